#!/usr/bin/env bash
# KNN benchmark: item-item similarities (cosine and pearson-baseline, 40
# neighbours kept) on ~10M generated ratings at 1 and 2 ranks: ring time,
# peak RSS per rank after the similarities, ring traffic; at 1 rank also a
# plain sparse product X^T X of the same matrix (Eigen), timed in the same run.
#
#   bench/knn_bench.sh                   # defaults
#   RATINGS=1000000 bench/knn_bench.sh   # smaller
source "$(dirname "$0")/common.bash"
SIMS=${SIMS:-"cosine pearson-baseline"}
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
