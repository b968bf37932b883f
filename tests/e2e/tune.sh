#!/usr/bin/env bash
# hpcrec tune end to end: the trials and the winner are the same at 1, 2
# and 4 ranks with group sizes 1 and 2; the test data is never read during
# the search (the trials are the same with and without --test); the
# winner's config is what train --config accepts; bad options fail early.
source "$(dirname "$0")/common.bash"

"$HPCREC" generate --out "$TMP/all.tsv" --users 300 --items 120 --ratings 9000 --seed 11 >/dev/null
awk -F'\t' '{ if (($1 * 7 + $2) % 5 == 0) print > "'"$TMP"'/test.tsv"; else print > "'"$TMP"'/train.tsv" }' "$TMP/all.tsv"

# tune_run NAME NP [args...]: ials, a small budget; the trials without their timings.
tune_run() {
  local name=$1 n=$2
  shift 2
  run_np "$n" tune --algo ials --ratings "$TMP/train.tsv" --relevance-threshold 4 --budget 4 --iterations 6 \
    --work-dir "$TMP/w_$name" --out-config "$TMP/$name.ini" --trials-out "$TMP/$name.jsonl" "$@" >"$TMP/$name.log" ||
    fail "tune $name"
  sed 's/"seconds": *[^,]*, *//' "$TMP/$name.jsonl" >"$TMP/$name.trials"
}
tune_run np1 1 --test "$TMP/test.tsv"
grep -q '^trial iters' "$TMP/np1.log" || fail "no trial table"
grep -qE '^best: trial [0-9]+, validation ndcg_at_k 0\.[0-9]+' "$TMP/np1.log" || fail "no winner line"
grep -qE '^tune: ndcg_at_k validation 0\.[0-9]+, test 0\.[0-9]+' "$TMP/np1.log" || fail "no final test line"
[ "$(wc -l <"$TMP/np1.jsonl")" -ge 6 ] || fail "too few trials"
for run in "np2g1 2 --group-size 1" "np2g2 2 --group-size 2" "np4g1 4 --group-size 1" "np4g2 4 --group-size 2"; do
  set -- $run
  tune_run "$@" --test "$TMP/test.tsv"
  # Rows arrive per round, so compare as sets; the winner must be identical.
  diff <(sort "$TMP/np1.trials") <(sort "$TMP/$1.trials") >/dev/null || fail "tune $1: other trials than at 1 rank"
  cmp -s "$TMP/np1.ini" "$TMP/$1.ini" || fail "tune $1: another winner than at 1 rank"
done
grep -q '2 group(s) of 2 rank(s)' "$TMP/np4g2.log" || fail "no groups at 4 ranks, group size 2"
# Without --test: the same trials and winner (the test is not read in the search).
tune_run notest 2
cmp -s "$TMP/np1.trials" "$TMP/notest.trials" || fail "tune: the trials depend on the test data"
cmp -s "$TMP/np1.ini" "$TMP/notest.ini" || fail "tune: the winner depends on the test data"
if grep -q '^== the winner' "$TMP/notest.log"; then fail "tune without a test trained a final model"; fi
# The config is train's: the winner trained by train --config scores as tune's final run.
run_np 2 train --config "$TMP/np1.ini" --ratings "$TMP/train.tsv" --test "$TMP/test.tsv" --relevance-threshold 4 \
  >"$TMP/final.log" || fail "train --config best.ini"
want=$(sed -n 's/^tune: ndcg_at_k validation [0-9.e-]*, test \([0-9.e-]*\)$/\1/p' "$TMP/np1.log")
got=$(sed -n 's/^final:.* ndcg_at_k \([0-9.]*\).*/\1/p' "$TMP/final.log")
awk -v a="$want" -v b="$got" 'BEGIN { d = a - b; exit !(d < 0.00006 && d > -0.00006) }' ||
  fail "train --config: ndcg $got, tune's final run $want"

# A split of --ratings: the test part is set aside; knn (no iterations) and a grid.
run_np 2 tune --algo knn --ratings "$TMP/all.tsv" --split user --holdout 0.2 --relevance-threshold 4 --search grid \
  --space 'similarity=cosine,jaccard;neighbors=20,50;shrink=0' --work-dir "$TMP/wk" --model "$TMP/knn.h5" \
  >"$TMP/knn.log" || fail "tune knn grid"
grep -q 'grid search, 4 configurations' "$TMP/knn.log" || fail "knn grid: not 4 configurations"
grep -q 'test ratings set aside' "$TMP/knn.log" || fail "knn: no test split set aside"
[ -f "$TMP/knn.h5" ] || fail "tune --model wrote no model"

# Errors, before any trial.
expect_fail 2 "--group-size 3 is more than the 2 ranks" run_np 2 tune --algo ials --ratings "$TMP/train.tsv" --group-size 3 \
  --work-dir "$TMP/we"
expect_fail 2 "--space lambda: a range is" "$HPCREC" tune --algo ials --ratings "$TMP/train.tsv" \
  --space 'lambda=exp:1:2' --work-dir "$TMP/we"
expect_fail 2 "has no default search space" "$HPCREC" tune --algo popular --ratings "$TMP/train.tsv" \
  --work-dir "$TMP/we"
expect_fail 2 "unrecognised option|unrecognized option" "$HPCREC" tune --algo ials --ratings "$TMP/train.tsv" \
  --factorz 3 --work-dir "$TMP/we"
expect_fail 2 "ials predicts no ratings" "$HPCREC" tune --algo ials --ratings "$TMP/train.tsv" --metric rmse \
  --work-dir "$TMP/we"
echo "tune: ok"
