#!/usr/bin/env bash
# Hybrid models end to end: fixed and learnt (--blend auto) weights, the
# same recommendations at any rank count, cold items through content, light
# users (--min-history) through content + popularity, --cold-items metrics.
# Checkerboard: even users rate comedies (items 0..49), odd users horror
# films (50..99); items 100..109 are comedies nobody has rated.
source "$(dirname "$0")/common.bash"

awk 'BEGIN { srand(7); for (u = 0; u < 200; u++) { delete seen; n = 0; m = (u < 190) ? 12 : 4;
  while (n < m) { i = int(50 * rand()) + 50 * (u % 2); if (i in seen) continue; seen[i] = 1; n++;
  printf "%d\t%d\t%d\t%d\n", u, i, 3 + int(3 * rand()), 1000 * u + n } } }' >"$TMP/r.tsv"
checkerboard_movies >"$TMP/movies.csv"  # items 100..109: comedies nobody rated
common=(train --algo hybrid --item-features "$TMP/movies.csv" --ratings "$TMP/r.tsv" --implicit-profile
  --factors 8 --iterations 5 --neighbors 40)
other_half='NR > 1 && ($1 % 2) != ($3 >= 50 && $3 < 100) { bad++ } END { print bad + 0 }'

# Fixed weights: the same lists at 1 and 3 ranks, none from the other half.
for n in 1 3; do
  run_np $n "${common[@]}" --blend ials:0.5,knn:0.3,content:0.2 --split user --holdout 0.2 \
    --recommendations "$TMP/h$n.csv" --metrics-out "$TMP/h$n.jsonl" | grep -E "^hybrid:|ranking"
done
cmp -s "$TMP/h1.csv" "$TMP/h3.csv" || fail "hybrid recommendations differ between 1 and 3 ranks"
wrong=$(awk -F, "$other_half" "$TMP/h1.csv")
[ "$wrong" = 0 ] || fail "$wrong hybrid recommendations from the other half"
grep -q '"component": *"knn"' "$TMP/h1.jsonl" || fail "no per-component metrics"
grep -Eq '"blend": ?\{"ials": ?0.5, ?"knn": ?0.3, ?"content": ?0.2' "$TMP/h1.jsonl" || fail "weights not reported"

# Cold items (no ratings) reach comedy lovers through content, and only them
# (each user has 38 unrated items of their own half to rank first).
run_np 2 "${common[@]}" --blend ials:0.5,content:0.5 --top-n 60 --recommendations "$TMP/long.csv" >/dev/null
cold=$(awk -F, 'NR > 1 && $3 >= 100 { n++; if ($1 % 2) bad++ } END { print n + 0, bad + 0 }' "$TMP/long.csv")
echo "cold-start recommendations (all, to horror fans): $cold"
[ "${cold% *}" -gt 0 ] || fail "no cold-start item recommended"
[ "${cold#* }" = 0 ] || fail "cold comedies recommended to horror fans"

# Learnt weights, light users and held-out items, at 2 ranks.
out=$(run_np 2 "${common[@]}" --blend auto --split temporal --holdout 0.2 --min-history 5 \
  --cold-items 0.1 --metrics-out "$TMP/auto.jsonl")
echo "$out" | grep -E "blend auto|^hybrid:|ranking hybrid"
grep -q "blend auto: validation ndcg@10" <<<"$out" || fail "no learnt weights"
grep -q "ranking hybrid light users@10" <<<"$out" || fail "no light-user metrics"
final=$(grep '"final": *true' "$TMP/auto.jsonl")
for key in ndcg_at_k cold_recall_at_k light_ndcg_at_k; do
  grep -q "\"$key\": *[0-9]" <<<"$final" || fail "final metrics lack $key: $final"
done
cold_recall=$(grep -o '"cold_recall_at_k": *[0-9.e-]*' <<<"$final" | sed 's/.*: *//')
awk -v r="$cold_recall" 'BEGIN { exit !(r > 0) }' || fail "held-out items never recommended (cold recall $cold_recall)"

expect_fail 2 "unknown model 'svd'" run_np 1 train --algo hybrid --ratings "$TMP/r.tsv" --blend svd:1
expect_fail 2 "needs|give --item-features" run_np 1 train --algo hybrid --ratings "$TMP/r.tsv" --blend content:1
expect_fail 2 "goes with --algo hybrid" run_np 1 train --ratings "$TMP/r.tsv" --blend ials:1
expect_fail 2 "cold-items" run_np 1 train --ratings "$TMP/r.tsv" --cold-items 1.5
echo PASS
