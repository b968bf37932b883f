#!/usr/bin/env bash
# hpcrec against the machine, in one run: the in-process yardsticks (dense
# float32 and float64 GEMM GFLOP/s by OpenBLAS on one thread, a STREAM-like
# triad in GB/s) and hpcrec's kernels as ratios to them:
#   recommend --all (top-N scoring, float32)  vs  ranks x float32 GEMM
#   iALS, CG and Cholesky (solver GFLOP/s)    vs  ranks x float64 GEMM
#   explicit ALS, each solver of $ALS_SOLVERS vs  ranks x float64 GEMM
# Every run times the yardsticks in its own processes (--bench-dense, the
# slowest rank's), so each ratio compares figures taken under the same load.
# Names the dispatched ISA (hpcrec --version), OpenBLAS's kernel set, the CPU
# and the load average. Tab-separated copy in $OUT/yardstick.tsv.
#
#   bench/yardstick.sh                                   # 10M generated, k = 64, 2 iterations
#   RATINGS=1000000 ITERS=1 RANKS=1 bench/yardstick.sh   # quick
#   ALS_SOLVERS=cholesky bench/yardstick.sh              # explicit ALS with one solver only
source "$(dirname "$0")/common.bash"
K=${K:-64} ITERS=${ITERS:-2} TOP_N=${TOP_N:-10}
ALS_SOLVERS=${ALS_SOLVERS:-"cg cholesky"} IALS_SOLVERS=${IALS_SOLVERS:-"cg cholesky"}
tsv="$OUT/yardstick.tsv" cpu=$(cpu_name) isa=$(cpu_isa)
model="$OUT/recommend_ials_${USERS}_${ITEMS}_${RATINGS}_k$K.h5"
[ -f "$model" ] || mpirun -n 2 --bind-to core "$BIN" train --algo ials --ratings "$data" --factors "$K" \
  --iterations 2 --model "$model" >"$OUT/recommend_train.log"
echo "CPU: $cpu; SIMD $(simd_line); $RATINGS ratings, k = $K, 1 thread per rank"
echo "load before: $(uptime | sed 's/.*load average: //')"
printf "what\tranks\tseconds\tgflops\tyardstick\tyardstick_gflops\tratio\tisa\tblas\tcpu\n" >"$tsv"
rows=()
yard=""
# row WHAT RANKS SECONDS GFLOPS YARDNAME YARD BLAS
row() {
  rows+=("$(awk -v w="$1" -v n="$2" -v s="$3" -v gf="$4" -v yn="$5" -v y="$6" 'BEGIN {
    printf "%-22s %5d %9.2f %9.1f %9s %9.1f %7.2f", w, n, s, gf, yn, y, gf / (n * y) }')")
  printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n" "$1" "$2" "$3" "$4" "$5" "$6" \
    "$(awk -v n="$2" -v gf="$4" -v y="$6" 'BEGIN { printf "%.3f", gf / (n * y) }')" "$isa" "$7" "$cpu" >>"$tsv"
}
for n in $RANKS; do
  mpirun -n "$n" --bind-to core "$BIN" recommend --model "$model" --all --top-n "$TOP_N" \
    --out "$OUT/yardstick_recommend_np$n.csv" --bench-dense --metrics-out "$OUT/yardstick_recommend_np$n.jsonl" \
    2>"$OUT/yardstick_recommend_np$n.log"
  m=$(tail -n 1 "$OUT/yardstick_recommend_np$n.jsonl")
  blas=$(sfield blas_core "$m")
  [ -n "$yard" ] || yard=$(awk -v a="$(field dense_gflops_f32 "$m")" -v b="$(field dense_gflops_f64 "$m")" \
    -v c="$(field stream_gbs "$m")" -v e="$(field dense_gflops "$m")" -v bl="$blas" 'BEGIN {
    printf "float32 GEMM %.1f GFLOP/s, float64 GEMM %.1f GFLOP/s (OpenBLAS %s), triad %.1f GB/s; Eigen float64 product %.1f GFLOP/s", a, b, bl, c, e }')
  row "recommend top-$TOP_N" "$n" "$(field score_seconds "$m")" "$(field scoring_gflops "$m")" f32GEMM \
    "$(field dense_gflops_f32 "$m")" "$blas"
  for spec in "ials:$IALS_SOLVERS" "als:$ALS_SOLVERS"; do
    algo=${spec%%:*}
    for solver in ${spec#*:}; do
      mpirun -n "$n" --bind-to core "$BIN" train --algo "$algo" --solver "$solver" --ratings "$data" \
        --factors "$K" --iterations "$ITERS" --bench-dense --metrics-out "$OUT/yardstick_${algo}_${solver}_np$n.jsonl" \
        >"$OUT/yardstick_${algo}_${solver}_np$n.log"
      f=$(tail -n 1 "$OUT/yardstick_${algo}_${solver}_np$n.jsonl")
      row "$algo $solver (s/iter)" "$n" "$(field seconds_per_iteration "$f")" "$(field solver_gflops "$f")" \
        f64GEMM "$(field dense_gflops_f64 "$f")" "$(sfield blas_core "$f")"
    done
  done
done
echo "yardsticks (one thread, in process): $yard; ISA $isa"
printf "%-22s %5s %9s %9s %9s %9s %7s\n" what ranks seconds GFLOP/s yardstick yardGF/s ratio
printf "%s\n" "${rows[@]}"
echo "ratio = GFLOP/s / (ranks x yardstick GFLOP/s of the same run); seconds: scoring (recommend) or per iteration"
echo "load after: $(uptime | sed 's/.*load average: //'); table in $tsv"
