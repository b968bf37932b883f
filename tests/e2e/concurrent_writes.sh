#!/usr/bin/env bash
# Two jobs writing the same --model and --recommendations at the same time
# never leave a mixed file: each writes under its own temporary name
# (PATH.HOST-PID.tmp) and renames only its complete file, so each final
# file is one job's, whole (the last rename wins), and no temporary file is
# left behind.
source "$(dirname "$0")/common.bash"

"$HPCREC" generate --out "$TMP/r.tsv" --users 3000 --items 800 --ratings 120000 --seed 4 >/dev/null
# The two jobs' own outputs, written alone: the references.
for s in 1 2; do
  run_np 1 train --ratings "$TMP/r.tsv" --factors 16 --iterations 3 --seed $s --model "$TMP/ref$s.h5" \
    --recommendations "$TMP/ref$s.csv" >/dev/null || fail "reference run $s"
done
for round in 1 2 3; do
  rm -f "$TMP/shared.h5" "$TMP/shared.csv"
  run_np 1 train --ratings "$TMP/r.tsv" --factors 16 --iterations 3 --seed 1 --model "$TMP/shared.h5" \
    --recommendations "$TMP/shared.csv" >"$TMP/a.log" 2>&1 &
  a=$!
  run_np 1 train --ratings "$TMP/r.tsv" --factors 16 --iterations 3 --seed 2 --model "$TMP/shared.h5" \
    --recommendations "$TMP/shared.csv" >"$TMP/b.log" 2>&1 &
  b=$!
  wait $a || fail "round $round: job a failed: $(cat "$TMP/a.log")"
  wait $b || fail "round $round: job b failed: $(cat "$TMP/b.log")"
  cmp -s "$TMP/shared.csv" "$TMP/ref1.csv" || cmp -s "$TMP/shared.csv" "$TMP/ref2.csv" ||
    fail "round $round: the top-N file is neither job's"
  if command -v h5diff >/dev/null; then
    # The model is one job's whole: its factors and its seed attribute agree.
    which=0
    for s in 1 2; do
      if h5diff "$TMP/shared.h5" "$TMP/ref$s.h5" /users/factors /users/factors >/dev/null &&
        h5diff "$TMP/shared.h5" "$TMP/ref$s.h5" /items/factors /items/factors >/dev/null; then which=$s; fi
    done
    [ "$which" != 0 ] || fail "round $round: the model's factors are neither job's"
    h5dump -a /seed "$TMP/shared.h5" | grep -q "(0): $which\$" || fail "round $round: factors of job $which, another seed"
  fi
  [ -z "$(find "$TMP" -name '*.tmp')" ] || fail "round $round: temporary files left: $(find "$TMP" -name '*.tmp')"
done
echo PASS
