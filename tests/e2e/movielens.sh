#!/usr/bin/env bash
# MovieLens 100K, u1.base -> u1.test, default hyper-parameters, 2 ranks.
source "$(dirname "$0")/common.bash"
ML=${SHARED_DATA:-}/ml-100k
[ -f "$ML/u1.base" ] || { echo "no $ML: skip"; exit 77; }

run_np 2 train --ratings "$ML/u1.base" --test "$ML/u1.test" --metrics-out "$TMP/m.jsonl" | tee "$TMP/out.txt"
rmse=$(tail -n 1 "$TMP/m.jsonl" | sed 's/.*"test_rmse": *\([0-9.]*\).*/\1/')
echo "u1 test RMSE: $rmse"
awk -v r="$rmse" 'BEGIN { exit !(r <= 0.925) }' || fail "test RMSE $rmse > 0.925"
echo PASS
