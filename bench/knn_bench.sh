#!/usr/bin/env bash
# KNN benchmark: item-item similarities (cosine and pearson-baseline, 40
# neighbours kept) on ~10M generated ratings at 1 and 2 ranks: ring time,
# peak RSS per rank after the similarities, ring traffic; at 1 rank also a
# plain sparse product X^T X of the same matrix (Eigen), timed in the same run.
#
#   bench/knn_bench.sh                   # defaults
#   RATINGS=1000000 bench/knn_bench.sh   # smaller
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-${BUILD_DIR:-build}/hpcrec}
OUT=${OUT:-out/bench}
USERS=${USERS:-100000} ITEMS=${ITEMS:-20000} RATINGS=${RATINGS:-10000000}
RANKS=${RANKS:-"1 2"} SIMS=${SIMS:-"cosine pearson-baseline"}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none
mkdir -p "$OUT"
data="$OUT/ratings_${USERS}_${ITEMS}_${RATINGS}.tsv"
[ -f "$data" ] || "$BIN" generate --out "$data" --users "$USERS" --items "$ITEMS" --ratings "$RATINGS" --seed 42

field() { sed -n "s/.*\"$1\": \([-0-9.e+a-z]*\).*/\1/p" <<<"$2"; }
printf "%-17s %-5s %14s %17s %12s %17s\n" similarity ranks similarity_s "peak RSS/rank MB" "ring MB" "sparse X^T X s"
for sim in $SIMS; do
  for n in $RANKS; do
    extra=()
    [ "$n" = 1 ] && [ "$sim" = cosine ] && extra=(--bench-sparse)
    mpirun -n "$n" --bind-to core "$BIN" train --algo knn --similarity "$sim" --neighbors 40 --ratings "$data" \
      "${extra[@]}" --metrics-out "$OUT/knn_${sim}_np$n.jsonl" >"$OUT/knn_${sim}_np$n.log"
    final=$(tail -n 1 "$OUT/knn_${sim}_np$n.jsonl")
    ring=$(sed -n 's/.*, \([0-9.]*\) MB passed around the ring/\1/p' "$OUT/knn_${sim}_np$n.log")
    printf "%-17s %-5s %14.1f %17.0f %12s %17s\n" "$sim" "$n" "$(field similarity_seconds "$final")" \
      "$(field similarity_peak_rss_mb_max_rank "$final")" "$ring" "$(field sparse_gram_seconds "$final")"
  done
done
