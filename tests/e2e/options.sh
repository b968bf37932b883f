#!/usr/bin/env bash
# Every option a command's --help lists is accepted by that command, and
# none is taken from a prefix: "--OPTION minus its last letter" is refused
# (unless that is an option of its own), for the first options of each. Every --option the README names is
# some command's option (or mpirun's, sbatch's, ...).
source "$(dirname "$0")/common.bash"
README="$(dirname "$0")/../../README.md"
"$HPCREC" generate --out "$TMP/r.tsv" --users 20 --items 20 --ratings 100 >/dev/null
commands=(generate train recommend predict explain update fold-in info split similar tune plan)
all_options=()
checked=0
for c in "${commands[@]}"; do
  help=$("$HPCREC" "$c" --help)
  # "  --name arg ..." takes a value; "  --name   text" is a flag; the short
  # forms "  -q [ --quiet ]" are read as "  --quiet".
  mapfile -t lines < <(grep -E '^  (-[a-z] \[ )?--[a-z0-9-]+' <<<"$help" | sed -E 's/^  -[a-z] \[ (--[a-z0-9-]+) \]/  \1/' | grep -v '^  --help')
  names=()
  for line in "${lines[@]}"; do
    names+=("$(sed -E 's/^  --([a-z0-9-]+).*/\1/' <<<"$line")")
  done
  all_options+=("${names[@]}")
  # Accepted: all at once, each with a value where it takes one; --help
  # stops after parsing, so exit 0 means every one was taken.
  args=()
  for line in "${lines[@]}"; do
    name=$(sed -E 's/^  --([a-z0-9-]+).*/\1/' <<<"$line")
    args+=(--"$name")
    if grep -Eq "^  --$name arg" <<<"$line"; then args+=(1); fi
  done
  out=$("$HPCREC" "$c" "${args[@]}" --help 2>&1) || fail "$c: a documented option refused: $out"
  checked=$((checked + ${#names[@]}))
  # Refused: each of the first four options less its last letter (tune
  # hands unknown options to train, which refuses them up front).
  extra=()
  if [ "$c" = tune ]; then extra=(--algo als --ratings "$TMP/r.tsv"); fi
  for name in "${names[@]:0:4}"; do
    prefix=${name%?}
    if [ ${#prefix} -ge 2 ] && ! grep -qx -- "$prefix" <<<"$(printf '%s\n' "${names[@]}")"; then
      expect_fail 2 "unrecognised option '--$prefix'|unrecognized option '--$prefix'" \
        "$HPCREC" "$c" "${extra[@]}" --"$prefix" 1
    fi
  done
done
echo "$checked documented options accepted, their prefixes refused"
# The README's --options: each is an hpcrec option, or another tool's.
others="mpi|factor|allow-run-as-root|mpirun|srun|sbatch|ntasks|nodes|ntasks-per-node|cpus-per-task|time|signal|bind-to|map-by|oversubscribe|np|mca|output|partition|dependency|array|help|version|parsable|wait|depth|no-ff|force|mem|exclusive|kill-on-bad-exit|test|hostfile"
known=$(printf '%s\n' "${all_options[@]}")
mapfile -t readme < <(grep -oE -- '--[a-z][a-z0-9-]+' "$README" | sort -u)
for opt in "${readme[@]}"; do
  name=${opt#--}
  grep -qx -- "$name" <<<"$known" && continue
  grep -Eqx -- "$others" <<<"$name" && continue
  fail "README names $opt, which no hpcrec command has"
done
echo PASS
