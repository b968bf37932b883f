#!/usr/bin/env bash
# Serving benchmark: `hpcrec recommend --all` (top-10 for every user) from a
# saved iALS model of ~10M generated interactions (100k users, 20k items,
# k = 64), at 1 and 2 ranks (1 thread each): load, scoring and write times,
# users per second, and scoring GFLOP/s (2 k flops per user-item pair) over
# the GFLOP/s of a dense Eigen product timed in the same process.
#
#   bench/recommend_bench.sh                  # defaults
#   RATINGS=1000000 bench/recommend_bench.sh  # smaller
source "$(dirname "$0")/common.bash"
K=${K:-64} ITERS=${ITERS:-2}
model="$OUT/recommend_ials_${USERS}_${ITEMS}_${RATINGS}_k$K.h5"
[ -f "$model" ] || mpirun -n 2 --bind-to core "$BIN" train --algo ials --ratings "$data" --factors "$K" \
  --iterations "$ITERS" --model "$model" >"$OUT/recommend_train.log"
isa=$(grep -o 'avx512f\|avx2' /proc/cpuinfo | sort -u | tr '\n' ' ')
echo "CPU: $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1); SIMD: ${isa:-none listed}"
printf "%-5s %8s %9s %9s %12s %11s %10s %7s\n" ranks load_s score_s write_s users/s scoreGF/s denseGF/s ratio
for n in $RANKS; do
  mpirun -n "$n" --bind-to core "$BIN" recommend --model "$model" --all --top-n 10 \
    --out "$OUT/recommend_np$n.csv" --bench-dense --metrics-out "$OUT/recommend_np$n.jsonl" 2>"$OUT/recommend_np$n.log"
  m=$(tail -n 1 "$OUT/recommend_np$n.jsonl")
  awk -v n="$n" -v l="$(field load_seconds "$m")" -v s="$(field score_seconds "$m")" -v w="$(field write_seconds "$m")" \
    -v u="$(field users_per_second "$m")" -v gf="$(field scoring_gflops "$m")" -v d="$(field dense_gflops "$m")" 'BEGIN {
      printf "%-5d %8.2f %9.2f %9.2f %12.0f %11.1f %10.1f %7.2f\n", n, l, s, w, u, gf, d, gf / (n * d) }'
done
echo "ratio = scoring GFLOP/s / (ranks x dense GFLOP/s of a 1024^3 Eigen product in the same process)"
