#!/usr/bin/env bash
# KNN end to end: the model's neighbour lists, similar, recommend agreeing
# with the top-N file, rank invariance; MovieLens 100K u1 RMSE when present.
source "$(dirname "$0")/common.bash"

"$HPCREC" generate --out "$TMP/r.tsv" --users 300 --items 100 --ratings 6000 --seed 2 >/dev/null
for n in 1 3; do
  run_np $n train --algo knn --ratings "$TMP/r.tsv" --holdout 0.2 --neighbors 30 --model "$TMP/k$n.h5" \
    --recommendations "$TMP/k$n.csv" --metrics-out "$TMP/k$n.jsonl" | tail -n 2
done
cmp -s "$TMP/k1.csv" "$TMP/k3.csv" || fail "KNN recommendations differ between 1 and 3 ranks"
if command -v h5diff >/dev/null; then
  for d in /knn/neighbor_index /knn/similarity /knn/support /items/bias /users/bias; do
    h5diff "$TMP/k1.h5" "$TMP/k3.h5" $d $d || fail "$d differs between 1 and 3 ranks"
  done
fi
tail -n 1 "$TMP/k1.jsonl" | grep -q '"test_rmse"' || fail "no test RMSE"
"$HPCREC" similar --model "$TMP/k1.h5" --item 5 --top-n 3 | tee "$TMP/sim.txt"
head -n 1 "$TMP/sim.txt" | grep -qx "rank,item,similarity,support" || fail "similar header"
[ "$(wc -l <"$TMP/sim.txt")" = 4 ] || fail "similar lists 3 neighbours"
"$HPCREC" recommend --model "$TMP/k1.h5" --user 9 --top-n 5 >"$TMP/rec.txt"
diff <(tail -n +2 "$TMP/rec.txt" | cut -d, -f2,3) <(grep '^9,' "$TMP/k1.csv" | head -n 5 | cut -d, -f2,3) ||
  fail "recommend differs from the top-N file"
expect_fail 2 "neighbours of items only" "$HPCREC" similar --model "$TMP/k1.h5" --user 9
run_np 2 train --algo knn --knn-on users --similarity cosine --ratings "$TMP/r.tsv" --holdout 0.2 | tail -n 1

# Factor models: cosine of the factors, among items with >= --min-ratings ratings.
run_np 2 train --ratings "$TMP/r.tsv" --factors 8 --iterations 3 --model "$TMP/als.h5" >/dev/null
min=$(cut -f2 "$TMP/r.tsv" | sort | uniq -c | sort -n | awk '{ c[NR] = $1 } END { print c[int(NR / 2)] }')
"$HPCREC" similar --model "$TMP/als.h5" --item 5 --top-n 10 --min-ratings "$min" | tail -n +2 | cut -d, -f2 >"$TMP/nb.txt"
[ -s "$TMP/nb.txt" ] || fail "similar on a factor model lists nothing"
while read -r j; do
  n=$(awk -F'\t' -v j="$j" '$2 == j' "$TMP/r.tsv" | wc -l)
  [ "$n" -ge "$min" ] || fail "similar --min-ratings $min listed item $j with $n ratings"
done <"$TMP/nb.txt"
expect_fail 2 "min-ratings" "$HPCREC" similar --model "$TMP/als.h5" --item 5 --min-ratings -1

ML=${SHARED_DATA:-}/ml-100k
if [ -f "$ML/u1.base" ]; then
  run_np 2 train --algo knn --ratings "$ML/u1.base" --test "$ML/u1.test" --metrics-out "$TMP/ml.jsonl" | tail -n 2
  rmse=$(tail -n 1 "$TMP/ml.jsonl" | sed 's/.*"test_rmse": *\([0-9.]*\).*/\1/')
  awk -v r="$rmse" 'BEGIN { exit !(r <= 0.940) }' || fail "ml-100k u1 KNNBaseline RMSE $rmse > 0.940"
fi
echo PASS
