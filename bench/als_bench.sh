#!/usr/bin/env bash
# Explicit-ALS benchmark: ~10M generated ratings (100k users, 20k items),
# k = 64, 3 iterations, at 1 and 2 ranks (1 thread each), for each row
# solver of SOLVERS ("cg cholesky"). Prints one table: seconds per
# iteration, solver GFLOP/s (CG: its passes; Cholesky: normal-equation build
# + factorisation) and its ratio to OpenBLAS dgemm timed in the same process, parse
# MB/s, peak RSS per rating, MB exchanged per iteration, 2-rank speed-up.
# The same as a tab-separated table in $OUT/als_bench.tsv (with the CPU and
# its ISA; scripts/plot.py scaling draws it).
#
#   bench/als_bench.sh                 # defaults
#   RATINGS=1000000 bench/als_bench.sh # smaller
source "$(dirname "$0")/common.bash"
K=${K:-64} ITERS=${ITERS:-3} SOLVERS=${SOLVERS:-"cg cholesky"}
tsv="$OUT/als_bench.tsv" cpu=$(cpu_name) isa=$(cpu_isa)
printf "series\tranks\tthreads\ts_per_iter\tsolver_gflops\tdense_gflops\tspeedup\tisa\tcpu\n" >"$tsv"
echo "CPU: $cpu, SIMD $(simd_line), 1 thread per rank; $RATINGS ratings, k = $K, $ITERS iterations"
printf "%-9s %-5s %10s %10s %8s %7s %9s %10s %11s %11s %8s\n" solver ranks s/iter solverGF/s denseGF/s ratio parseMB/s \
  RSSB/rating RSSmax_MB MB_exch/it speedup
for solver in $SOLVERS; do
base=""
for n in $RANKS; do
  mpirun -n "$n" --bind-to core "$BIN" train --ratings "$data" --factors "$K" --iterations "$ITERS" \
    --solver "$solver" --bench-dense --metrics-out "$OUT/${solver}_np$n.jsonl" >"$OUT/${solver}_np$n.log"
  final=$(tail -n 1 "$OUT/${solver}_np$n.jsonl")
  spi=$(field seconds_per_iteration "$final")
  gf=$(field solver_gflops "$final")
  dense=$(field dense_gflops_f64 "$final")
  [ -n "$base" ] || base=$spi
  awk -v solver="$solver" -v n="$n" -v spi="$spi" -v gf="$gf" -v dense="$dense" -v parse="$(field parse_mb_per_s "$final")" \
    -v rss="$(field peak_rss_bytes_per_rating "$final")" -v rmax="$(field peak_rss_mb_max_rank "$final")" \
    -v ex="$(field mb_exchanged_per_iteration "$final")" -v base="$base" 'BEGIN {
      printf "%-9s %-5d %10.2f %10.1f %8.1f %7.2f %9.0f %10.1f %11.0f %11.1f %8.2f\n",
        solver, n, spi, gf, dense, gf / (n * dense), parse, rss, rmax, ex, base / spi }'
  printf "als %s k=%s\t%s\t1\t%s\t%s\t%s\t%s\t%s\t%s\n" "$solver" "$K" "$n" "$spi" "$gf" "$dense" \
    "$(awk -v b="$base" -v s="$spi" 'BEGIN { printf "%.3f", b / s }')" "$isa" "$cpu" >>"$tsv"
done
done
echo "ratio = solver GFLOP/s / (ranks x float64 GEMM GFLOP/s: OpenBLAS dgemm 1024^3, one thread, in the same process)"
echo "RSS B/rating = sum over ranks of peak RSS / training ratings; logs in $OUT/{cg,cholesky}_np*.log; table in $tsv"
