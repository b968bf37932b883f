#!/usr/bin/env bash
# Bad input ends every rank with one clear message and exit code 2.
source "$(dirname "$0")/common.bash"

"$HPCREC" generate --out "$TMP/r.tsv" --users 50 --items 40 --ratings 400 --seed 1 >/dev/null
# Line 57 malformed: at 1..4 ranks it is named, and no rank hangs.
awk 'NR == 57 { print "12\t7\tnot-a-rating\t0"; next } { print }' "$TMP/r.tsv" >"$TMP/bad.tsv"
for n in 1 2 3 4; do
  expect_fail 2 "bad.tsv:57: expected" timeout 60 "$MPIEXEC" -n $n "$HPCREC" train --ratings "$TMP/bad.tsv" --iterations 1
done
# --skip-invalid skips it and says so.
run_np 2 train --ratings "$TMP/bad.tsv" --iterations 1 --factors 2 --skip-invalid | grep -q "1 invalid lines skipped" ||
  fail "skip-invalid"
# Empty file, missing file, non-finite rating, too few fields.
: >"$TMP/empty.tsv"
expect_fail 2 "empty.tsv:1: expected" run_np 2 train --ratings "$TMP/empty.tsv"
expect_fail 2 "nope.tsv: cannot open" run_np 2 train --ratings "$TMP/nope.tsv"
printf '1\t2\t3\n1\t3\tnan\n' >"$TMP/nan.tsv"
expect_fail 2 "nan.tsv:2: expected" run_np 2 train --ratings "$TMP/nan.tsv"
printf '1,2,3\n1,3\n' >"$TMP/short.csv"
expect_fail 2 "short.csv:2: expected" run_np 2 train --ratings "$TMP/short.csv"
# Duplicates: error policy names the pair.
printf '1\t2\t3\t10\n1\t2\t4\t20\n' >"$TMP/dup.tsv"
expect_fail 2 "duplicate rating for user 1, item 2" run_np 2 train --ratings "$TMP/dup.tsv" --duplicates error
# Options: unknown, malformed, out of range.
expect_fail 2 "unrecognised option '--nope'|unrecognized option '--nope'" run_np 2 train --ratings "$TMP/r.tsv" --nope
expect_fail 2 "unrecognised option '--factor'|unrecognized option '--factor'" "$HPCREC" train --ratings "$TMP/r.tsv" --factor 8  # no prefix guessing
expect_fail 2 "factors" run_np 2 train --ratings "$TMP/r.tsv" --factors 0
expect_fail 2 "lambda" run_np 2 train --ratings "$TMP/r.tsv" --lambda abc
expect_fail 2 "unknown command" "$HPCREC" frobnicate
# --help prints defaults as written (0.05, not 0.050000000000000003).
for c in generate train recommend predict explain update fold-in info split similar tune; do
  if "$HPCREC" "$c" --help | grep -E "\(=-?[0-9]+\.[0-9]{6,}"; then fail "$c --help: a default printed with float noise"; fi
done
echo PASS
