#!/usr/bin/env bash
# Temporal update on ml-latest-small: ratings sorted by timestamp; the first
# 80% train the initial model, the next 10% are the new interactions (with
# new users and new items), the last 10% the test. `update` (default sweeps)
# against a full retrain on the first 90%: test RMSE (als) and NDCG@10 with
# relevance threshold 4 (ials), 2 ranks, default hyper-parameters.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-${BUILD_DIR:-build}/hpcrec}
DATA=${DATA:-../shared/data/ml-latest-small/ratings.csv}
OUT=${OUT:-out/bench/update_quality}
RANKS=${RANKS:-2}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
[ -f "$DATA" ] || { echo "no $DATA: skipped"; exit 0; }
mkdir -p "$OUT"
tail -n +2 "$DATA" | sort -t, -k4,4n -s | tr ',' '\t' >"$OUT/sorted.tsv"
n=$(wc -l <"$OUT/sorted.tsv")
a=$((n * 8 / 10)) b=$((n * 9 / 10))
head -n "$a" "$OUT/sorted.tsv" >"$OUT/initial.tsv"
sed -n "$((a + 1)),${b}p" "$OUT/sorted.tsv" >"$OUT/new.tsv"
head -n "$b" "$OUT/sorted.tsv" >"$OUT/first90.tsv"
tail -n +$((b + 1)) "$OUT/sorted.tsv" >"$OUT/test.tsv"
new_users=$(cut -f1 "$OUT/new.tsv" | sort -u | comm -23 - <(cut -f1 "$OUT/initial.tsv" | sort -u) | wc -l)
new_items=$(cut -f2 "$OUT/new.tsv" | sort -u | comm -23 - <(cut -f2 "$OUT/initial.tsv" | sort -u) | wc -l)
echo "initial $(wc -l <"$OUT/initial.tsv"), new $(wc -l <"$OUT/new.tsv") ($new_users new users, $new_items new items), test $(wc -l <"$OUT/test.tsv")"
metric() { sed -n "s/^final:.* $1 \([0-9.]*\).*; \([0-9.]*\) s training/\1 \2/p"; }
printf "%-5s %-10s %12s %10s %12s %10s %8s\n" algo metric update upd_s retrain ret_s ratio
for algo in als ials; do
  key=test_rmse
  [ "$algo" = ials ] && key=ndcg_at_k
  mpirun -n "$RANKS" "$BIN" train --algo "$algo" --ratings "$OUT/initial.tsv" --model "$OUT/$algo.h5" >/dev/null
  u=$(mpirun -n "$RANKS" "$BIN" update --model "$OUT/$algo.h5" --ratings "$OUT/new.tsv" --model-out "$OUT/$algo.u.h5" \
    --test "$OUT/test.tsv" --relevance-threshold 4 | metric $key)
  r=$(mpirun -n "$RANKS" "$BIN" train --algo "$algo" --ratings "$OUT/first90.tsv" --test "$OUT/test.tsv" \
    --relevance-threshold 4 | metric $key)
  awk -v algo="$algo" -v key="$key" -v u="$u" -v r="$r" 'BEGIN { split(u, x, " "); split(r, y, " ");
    printf "%-5s %-10s %12.4f %10.2f %12.4f %10.2f %8.3f\n", algo, key, x[1], x[2], y[1], y[2], x[1] / y[1] }'
done
echo "ratio = update / retrain (RMSE: lower is better; NDCG: higher is better); seconds = training only"
