#!/usr/bin/env bash
# Implicit ALS, popularity and the ranking metrics end to end, on a
# checkerboard whose right answer is known: iALS beats popularity, metrics keys are present, folds report a
# mean and standard deviation, and the factors do not depend on the ranks.
source "$(dirname "$0")/common.bash"

# A checkerboard: even users interact with items 0..49, odd users with 50..99,
# each with 20 of their half (skewed towards low ids, so popularity is a real
# baseline). The right answer for every user is the rest of their half.
awk 'BEGIN { srand(3); for (u = 0; u < 400; u++) { delete seen; n = 0; while (n < 20) {
  i = int(50 * rand() * rand()) + 50 * (u % 2); if (i in seen) continue; seen[i] = 1; n++;
  printf "%d\t%d\t%d\t%d\n", u, i, 1 + int(5 * rand()), 1000 + n } } }' >"$TMP/r.tsv"
common=(--ratings "$TMP/r.tsv" --split user --holdout 0.2 --factors 8 --iterations 6)
run_np 2 train "${common[@]}" --algo ials --alpha 2 --metrics-out "$TMP/ials.jsonl" --model "$TMP/i2.h5" | tail -3
run_np 3 train "${common[@]}" --algo ials --alpha 2 --model "$TMP/i3.h5" >/dev/null
run_np 2 train "${common[@]}" --algo popular --metrics-out "$TMP/pop.jsonl" --recommendations "$TMP/pop.csv" | tail -2
run_np 1 train "${common[@]}" --algo als --metrics-out "$TMP/als.jsonl" --ranking-every 3 | tail -2

final=$(tail -n 1 "$TMP/ials.jsonl")
for key in precision_at_k recall_at_k ndcg_at_k map_at_k hit_rate_at_k coverage_at_k '"k"' loss; do
  grep -q "$key" <<<"$final" || fail "ials final metrics lack $key"
done
get() { sed -n "s/.*\"$1\": *\([-0-9.e+]*\).*/\1/p" <<<"$2"; }
p_ials=$(get ndcg_at_k "$final")
p_pop=$(get ndcg_at_k "$(tail -n 1 "$TMP/pop.jsonl")")
echo "ndcg@10: ials $p_ials, popular $p_pop"
awk -v a="$p_ials" -v b="$p_pop" 'BEGIN { exit !(a > b) }' || fail "ials does not beat popularity"
grep -q '"ndcg_at_k"' <(sed -n 3p "$TMP/als.jsonl") || fail "--ranking-every 3: no ranking metrics at iteration 3"
grep -q "test_rmse" <(tail -n 1 "$TMP/als.jsonl") || fail "explicit ALS final line lacks test_rmse"

# Popularity recommends the same top items to everyone, minus what they rated.
[ "$(tail -n +2 "$TMP/pop.csv" | cut -d, -f3 | sort -u | wc -l)" -lt 40 ] || fail "popular recommends too many items"
# iALS recommends each user items of their own half.
run_np 2 train --ratings "$TMP/r.tsv" --algo ials --factors 8 --iterations 6 --alpha 2 --recommendations "$TMP/i.csv" >/dev/null
wrong=$(awk -F, 'NR > 1 && ($1 % 2) != ($3 >= 50) { bad++ } END { print bad + 0 }' "$TMP/i.csv")
echo "ials recommendations from the other half: $wrong of 4000"
[ "$wrong" -lt 200 ] || fail "iALS ignores the checkerboard"

if command -v h5diff >/dev/null; then
  h5diff "$TMP/i2.h5" "$TMP/i3.h5" /items/factors /items/factors || fail "ials factors differ between 2 and 3 ranks"
fi

# Cross-validation: one line per fold, then the summary with _std keys.
run_np 2 train --ratings "$TMP/r.tsv" --algo ials --factors 4 --iterations 2 --folds 3 --metrics-out "$TMP/cv.jsonl" \
  | tail -n 4
tail -n 1 "$TMP/cv.jsonl" | grep -q '"folds": *3' || fail "no cross-validation summary"
tail -n 1 "$TMP/cv.jsonl" | grep -q 'ndcg_at_k_std' || fail "no standard deviation"
expect_fail 2 "folds" run_np 2 train --ratings "$TMP/r.tsv" --folds 3 --holdout 0.2
expect_fail 2 "--solver" run_np 1 train --ratings "$TMP/r.tsv" --algo ials --solver qr
echo PASS
