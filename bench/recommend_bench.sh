#!/usr/bin/env bash
# Serving benchmark: `hpcrec recommend --all` (top-10 for every user) from a
# saved iALS model of ~10M generated interactions (100k users, 20k items,
# k = 64), at 1 and 2 ranks (1 thread each): load, scoring and write times,
# users per second, and scoring GFLOP/s (2 k flops per user-item pair) over
# ranks x the float32 GEMM GFLOP/s of OpenBLAS timed in the same process
# (one thread; scoring runs in float32). The table names the ISA the
# kernels dispatch to and OpenBLAS's kernel set.
#
#   bench/recommend_bench.sh                  # defaults
#   RATINGS=1000000 bench/recommend_bench.sh  # smaller
#   TOP_N=100 bench/recommend_bench.sh        # longer lists
source "$(dirname "$0")/common.bash"
K=${K:-64} ITERS=${ITERS:-2} TOP_N=${TOP_N:-10}
model="$OUT/recommend_ials_${USERS}_${ITEMS}_${RATINGS}_k$K.h5"
[ -f "$model" ] || mpirun -n 2 --bind-to core "$BIN" train --algo ials --ratings "$data" --factors "$K" \
  --iterations "$ITERS" --model "$model" >"$OUT/recommend_train.log"
echo "CPU: $(cpu_name); SIMD $(simd_line); load: $(uptime | sed 's/.*load average: //')"
printf "%-5s %6s %8s %9s %9s %12s %11s %10s %10s %7s %s\n" ranks isa load_s score_s write_s users/s scoreGF/s \
  f32GEMM f64GEMM ratio blas
for n in $RANKS; do
  mpirun -n "$n" --bind-to core "$BIN" recommend --model "$model" --all --top-n "$TOP_N" \
    --out "$OUT/recommend_np$n.csv" --bench-dense --metrics-out "$OUT/recommend_np$n.jsonl" 2>"$OUT/recommend_np$n.log"
  m=$(tail -n 1 "$OUT/recommend_np$n.jsonl")
  awk -v n="$n" -v isa="$(sfield isa "$m")" -v l="$(field load_seconds "$m")" -v s="$(field score_seconds "$m")" \
    -v w="$(field write_seconds "$m")" -v u="$(field users_per_second "$m")" -v gf="$(field scoring_gflops "$m")" \
    -v f32="$(field dense_gflops_f32 "$m")" -v f64="$(field dense_gflops_f64 "$m")" -v blas="$(sfield blas_core "$m")" 'BEGIN {
      printf "%-5d %6s %8.2f %9.2f %9.2f %12.0f %11.1f %10.1f %10.1f %7.2f %s\n", n, isa, l, s, w, u, gf, f32, f64,
        gf / (n * f32), blas }'
done
echo "ratio = scoring GFLOP/s / (ranks x float32 GEMM GFLOP/s: OpenBLAS sgemm 1024^3, one thread, in the same process)"
echo "load after: $(uptime | sed 's/.*load average: //')"
