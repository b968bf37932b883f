#!/usr/bin/env bash
# Implicit-ALS benchmark: ~10M generated interactions (100k users, 20k items),
# k = 64, conjugate gradient (3 steps) against exact Cholesky, at 1 and 2
# ranks (1 thread each): seconds per iteration, solver GFLOP/s and its ratio
# to OpenBLAS dgemm timed in the same process, and CG's speed-up.
# The same as a tab-separated table in $OUT/ials_bench.tsv (with the CPU and
# its ISA; scripts/plot.py scaling draws it).
#
#   bench/ials_bench.sh                  # defaults
#   RATINGS=1000000 bench/ials_bench.sh  # smaller
source "$(dirname "$0")/common.bash"
K=${K:-64} ITERS=${ITERS:-5}
tsv="$OUT/ials_bench.tsv" cpu=$(cpu_name) isa=$(cpu_isa)
printf "series\tranks\tthreads\ts_per_iter\tsolver_gflops\tdense_gflops\tisa\tcpu\n" >"$tsv"
echo "CPU: $cpu, SIMD $(simd_line), 1 thread per rank; $RATINGS interactions, k = $K, $ITERS iterations"
printf "%-9s %-5s %10s %11s %10s %7s %12s\n" solver ranks s/iter solverGF/s denseGF/s ratio "CG speed-up"
for n in $RANKS; do
  chol=""
  for solver in cholesky cg; do
    mpirun -n "$n" --bind-to core "$BIN" train --algo ials --solver "$solver" --ratings "$data" --factors "$K" \
      --iterations "$ITERS" --bench-dense --metrics-out "$OUT/ials_${solver}_np$n.jsonl" >"$OUT/ials_${solver}_np$n.log"
    final=$(tail -n 1 "$OUT/ials_${solver}_np$n.jsonl")
    spi=$(field seconds_per_iteration "$final")
    [ -n "$chol" ] || chol=$spi
    awk -v s="$solver" -v n="$n" -v spi="$spi" -v gf="$(field solver_gflops "$final")" \
      -v dense="$(field dense_gflops_f64 "$final")" -v chol="$chol" 'BEGIN {
        printf "%-9s %-5d %10.2f %11.1f %10.1f %7.2f %12s\n", s, n, spi, gf, dense, gf / (n * dense),
          (s == "cg" ? sprintf("%.2fx", chol / spi) : "-") }'
    printf "ials %s k=%s\t%s\t1\t%s\t%s\t%s\t%s\t%s\n" "$solver" "$K" "$n" "$spi" \
      "$(field solver_gflops "$final")" "$(field dense_gflops_f64 "$final")" "$isa" "$cpu" >>"$tsv"
  done
done
echo "ratio = solver GFLOP/s / (ranks x float64 GEMM GFLOP/s: OpenBLAS dgemm 1024^3, one thread, in the same process); table in $tsv"
