#!/usr/bin/env bash
# Implicit counts end to end: `generate --counts` writes heavy-tailed positive
# integer counts, and `train --algo ials` with the default --confidence auto
# picks log confidence on them (and stores "log" in the model, never "auto"),
# linear on 1..5 ratings, the same at 1 and 2 ranks and in a hybrid's ials
# part; --confidence linear is kept as given.
source "$(dirname "$0")/common.bash"

gen=(--users 300 --items 200 --ratings 6000 --seed 5)
"$HPCREC" generate --out "$TMP/counts.tsv" --counts "${gen[@]}" | grep -q "6000 counts" || fail "no counts summary"
"$HPCREC" generate --out "$TMP/ratings.tsv" "${gen[@]}" >/dev/null
# Positive integer counts with a heavy tail; the ratings file's users and timestamps.
awk -F'\t' 'NF != 4 || $3 !~ /^[0-9]+$/ || $3 < 1 { bad++ } $3 > max { max = $3 }
  END { print "counts: max " max; exit !(bad == 0 && max > 100) }' "$TMP/counts.tsv" ||
  fail "counts are not positive integers with max > 100"
cmp -s <(cut -f1,4 "$TMP/counts.tsv") <(cut -f1,4 "$TMP/ratings.tsv") ||
  fail "--counts changed the users' activity or timestamps"

common=(--algo ials --factors 8 --iterations 3 --split user --holdout 0.2)
attr() {  # attr FILE NAME: a string attribute of the model's root group
  h5dump -a "/$2" "$1" | sed -n 's/.*(0): "\(.*\)".*/\1/p'
}
for n in 1 2; do
  run_np $n train --ratings "$TMP/counts.tsv" "${common[@]}" --model "$TMP/c$n.h5" >"$TMP/c$n.log"
  grep -E "^confidence auto: log \(values look like counts" "$TMP/c$n.log" ||
    fail "$n rank(s): auto did not pick log on counts: $(cat "$TMP/c$n.log")"
  [ "$(grep -c "^confidence auto" "$TMP/c$n.log")" = 1 ] || fail "the choice is printed more than once"
  run_np $n train --ratings "$TMP/ratings.tsv" "${common[@]}" --model "$TMP/r$n.h5" >"$TMP/r$n.log"
  grep -E "^confidence auto: linear" "$TMP/r$n.log" ||
    fail "$n rank(s): auto did not pick linear on 1..5 ratings: $(cat "$TMP/r$n.log")"
  if command -v h5dump >/dev/null; then
    [ "$(attr "$TMP/c$n.h5" confidence)" = log ] || fail "$n rank(s): model on counts does not store log"
    [ "$(attr "$TMP/r$n.h5" confidence)" = linear ] || fail "$n rank(s): model on ratings does not store linear"
  fi
done
if command -v h5diff >/dev/null; then
  h5diff "$TMP/c1.h5" "$TMP/c2.h5" /items/factors /items/factors || fail "log factors differ between 1 and 2 ranks"
fi

# An explicit choice is kept, and not announced.
run_np 2 train --ratings "$TMP/counts.tsv" "${common[@]}" --confidence linear --model "$TMP/lin.h5" >"$TMP/lin.log"
grep -q "confidence auto" "$TMP/lin.log" && fail "--confidence linear was resolved as auto"
if command -v h5dump >/dev/null; then
  [ "$(attr "$TMP/lin.h5" confidence)" = linear ] || fail "--confidence linear not stored"
fi
# A hybrid's ials part resolves it too.
run_np 1 train --ratings "$TMP/counts.tsv" --algo hybrid --blend ials:0.7,popular:0.3 --factors 8 --iterations 2 \
  >"$TMP/hy.log"
grep -q "^confidence auto: log" "$TMP/hy.log" || fail "hybrid: auto did not pick log on counts: $(cat "$TMP/hy.log")"
expect_fail 2 "--confidence must be auto, linear or log" run_np 1 train --ratings "$TMP/counts.tsv" --algo ials \
  --confidence sqrt
echo PASS
