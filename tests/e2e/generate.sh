#!/usr/bin/env bash
# End-to-end: `hpcrec generate` writes a well-formed, reproducible file, and
# bad options fail with exit status 2 and a message naming the option.
set -u

if [[ -z "${HPCREC:-}" || ! -x "${HPCREC}" ]]; then
  echo "skip: HPCREC (path of the hpcrec binary) is not set" >&2
  exit 77
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

gen() { "$HPCREC" generate "$@"; }

# A small dataset: 1000 lines of four tab-separated integer fields in range.
gen --out "$tmp/r.tsv" --users 100 --items 50 --ratings 1000 --seed 3 >"$tmp/out.txt" 2>&1 ||
  fail "generate exited with $?: $(cat "$tmp/out.txt")"
[[ -f "$tmp/r.tsv" ]] || fail "no output file"
lines=$(wc -l <"$tmp/r.tsv")
[[ "$lines" -eq 1000 ]] || fail "expected 1000 lines, got $lines"
bad=$(awk -F'\t' 'NF != 4 || $1 < 1 || $1 > 100 || $2 < 1 || $2 > 50 || $3 < 1 || $3 > 5 ||
                  $4 !~ /^[0-9]+$/ || $1 !~ /^[0-9]+$/ || $2 !~ /^[0-9]+$/' "$tmp/r.tsv" | wc -l)
[[ "$bad" -eq 0 ]] || fail "$bad malformed lines"
dups=$(cut -f1,2 "$tmp/r.tsv" | sort | uniq -d | wc -l)
[[ "$dups" -eq 0 ]] || fail "$dups duplicate (user, item) pairs"
grep -q "1000 ratings" "$tmp/out.txt" || fail "summary line missing: $(cat "$tmp/out.txt")"

# Deterministic per seed; another seed gives another file.
gen --out "$tmp/r2.tsv" --users 100 --items 50 --ratings 1000 --seed 3 >/dev/null 2>&1 || fail "second run failed"
cmp -s "$tmp/r.tsv" "$tmp/r2.tsv" || fail "same seed gave different files"
gen --out "$tmp/r3.tsv" --users 100 --items 50 --ratings 1000 --seed 4 >/dev/null 2>&1 || fail "seed 4 run failed"
cmp -s "$tmp/r.tsv" "$tmp/r3.tsv" && fail "different seeds gave identical files"

# Several ranks write the same file as one (rank 0 writes, the rest wait).
if [[ -n "${MPIEXEC:-}" ]] && command -v "$MPIEXEC" >/dev/null; then
  "$MPIEXEC" -n 2 "$HPCREC" generate --out "$tmp/r4.tsv" --users 100 --items 50 --ratings 1000 --seed 3 \
    >"$tmp/mpi.txt" 2>&1 || fail "generate under $MPIEXEC -n 2 failed: $(cat "$tmp/mpi.txt")"
  cmp -s "$tmp/r.tsv" "$tmp/r4.tsv" || fail "2 ranks wrote a different file"
fi

# Bad options: exit status 2, a message naming the option, no file left.
expect_bad() {
  local name=$1
  shift
  local out
  out=$(gen --out "$tmp/bad.tsv" "$@" 2>&1)
  local rc=$?
  [[ $rc -eq 2 ]] || fail "'$*' exited with $rc, expected 2"
  grep -q -- "$name" <<<"$out" || fail "'$*' message does not name $name: $out"
}
expect_bad --ratings --ratings 0
expect_bad --users --users -1
expect_bad --bogus --bogus 1
expect_bad --noise --noise -0.5
expect_bad --ratings --users 10 --items 10 --ratings 101
out=$(gen --users 10 2>&1)
[[ $? -eq 2 ]] || fail "missing --out did not exit 2"
grep -q -- "out" <<<"$out" || fail "missing --out message does not name it: $out"
[[ -e "$tmp/bad.tsv" ]] && fail "a failed run left $tmp/bad.tsv"

# --item-embeddings-out: the same ratings file, plus an HDF5 file holding one
# embedding (the planted factors, --rank wide) per item id 1..50, so every
# rated item has one; reproducible per seed; noise changes the vectors only.
if command -v h5dump >/dev/null; then
  emb() { gen --out "$tmp/e.tsv" --users 100 --items 50 --ratings 1000 --seed 3 "$@"; }
  # One dataset's values, one per line (h5dump's raw output, no indices).
  values() {
    h5dump -d "$2" -y -w 0 -o "$tmp/values.txt" "$1" >/dev/null && tr -s ', ' '\n\n' <"$tmp/values.txt" | grep .
  }
  emb --item-embeddings-out "$tmp/e1.h5" >"$tmp/emb.txt" 2>&1 || fail "embeddings run failed: $(cat "$tmp/emb.txt")"
  cmp -s "$tmp/r.tsv" "$tmp/e.tsv" || fail "--item-embeddings-out changed the ratings file"
  grep -q "item embeddings 50 x 10" "$tmp/emb.txt" || fail "no embeddings summary line: $(cat "$tmp/emb.txt")"
  h5ls -r "$tmp/e1.h5" | grep -q '^/items/embeddings *Dataset {50, 10}' || fail "no /items/embeddings {50, 10}"
  [[ "$(values "$tmp/e1.h5" /items/ids | xargs)" == "$(seq 1 50 | xargs)" ]] || fail "/items/ids is not 1..50"
  emb --item-embeddings-out "$tmp/e2.h5" >/dev/null 2>&1 || fail "second embeddings run failed"
  [[ "$(values "$tmp/e1.h5" /items/embeddings)" == "$(values "$tmp/e2.h5" /items/embeddings)" ]] ||
    fail "same seed gave different embeddings"
  emb --item-embeddings-out "$tmp/e3.h5" --item-embeddings-noise 0.5 >/dev/null 2>&1 || fail "noisy run failed"
  [[ "$(values "$tmp/e1.h5" /items/embeddings)" != "$(values "$tmp/e3.h5" /items/embeddings)" ]] ||
    fail "--item-embeddings-noise 0.5 did not change the embeddings"
  expect_bad --item-embeddings-noise --item-embeddings-noise 0.5
  expect_bad --item-embeddings-noise --item-embeddings-out "$tmp/bad.h5" --item-embeddings-noise -1
  [[ -e "$tmp/bad.h5" ]] && fail "a failed run left $tmp/bad.h5"
fi

# Nothing is left under a temporary name.
leftovers=$(find "$tmp" -name '*.tmp' | wc -l)
[[ "$leftovers" -eq 0 ]] || fail "temporary files left behind: $(find "$tmp" -name '*.tmp')"

if [[ $failures -ne 0 ]]; then
  echo "generate.sh: $failures failure(s)" >&2
  exit 1
fi
echo "generate.sh: all checks passed"
