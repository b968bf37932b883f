#!/usr/bin/env bash
# MovieLens 100K u1.base -> u1.test, relevance threshold 4, defaults: iALS
# precision@10 >= 0.25 and at least 1.2 times popularity's precision@10 and NDCG@10;
# explicit ALS, ranked by support (its default), at least popularity's
# precision@10, with the same test RMSE as ranked by rating.
source "$(dirname "$0")/common.bash"
ML=${SHARED_DATA:-}/ml-100k
[ -f "$ML/u1.base" ] || { echo "no $ML: skip"; exit 77; }
get() { sed -n "s/.*\"$1\": *\([-0-9.e+]*\).*/\1/p" <<<"$2"; }
for algo in ials popular; do
  run_np 2 train --algo $algo --ratings "$ML/u1.base" --test "$ML/u1.test" --relevance-threshold 4 \
    --metrics-out "$TMP/$algo.jsonl" | tail -n 2
done
ials=$(tail -n 1 "$TMP/ials.jsonl")
pop=$(tail -n 1 "$TMP/popular.jsonl")
pi=$(get precision_at_k "$ials"); pp=$(get precision_at_k "$pop")
ni=$(get ndcg_at_k "$ials"); np=$(get ndcg_at_k "$pop")
echo "precision@10 ials $pi popular $pp; ndcg@10 ials $ni popular $np"
awk -v a="$pi" -v b="$pp" -v c="$ni" -v d="$np" 'BEGIN { exit !(a >= 0.25 && a >= 1.2 * b && c >= 1.2 * d) }' ||
  fail "iALS below target"
for by in support rating; do
  run_np 2 train --algo als --ratings "$ML/u1.base" --test "$ML/u1.test" --relevance-threshold 4 --rank-by $by \
    --metrics-out "$TMP/als-$by.jsonl" | tail -n 1
done
as=$(tail -n 1 "$TMP/als-support.jsonl")
ar=$(tail -n 1 "$TMP/als-rating.jsonl")
echo "precision@10 als by support $(get precision_at_k "$as"), by rating $(get precision_at_k "$ar"), popular $pp"
awk -v a="$(get precision_at_k "$as")" -v b="$pp" 'BEGIN { exit !(a >= b) }' || fail "als by support below popular"
[ "$(get test_rmse "$as")" = "$(get test_rmse "$ar")" ] || fail "als test RMSE changed with the ranking"
echo PASS
