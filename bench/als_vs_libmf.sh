#!/usr/bin/env bash
# Time to accuracy, explicit MF: hpcrec ALS (each solver of SOLVERS) against
# LIBMF (SGD; Chin et al.), on the generated set of bench/als_bench.sh
# (USERS x ITEMS, RATINGS, seed 42) with 10% held out (`hpcrec split
# --holdout 0.1 --split-seed 1`), k = K, L2 = LAMBDA for both (LIBMF's -l2
# is applied per rating, which is ALS-WR's lambda times the row's count).
#
# For hpcrec: per iteration, its seconds, the training seconds so far and
# the test RMSE, at NP ranks (1 thread each); then the training seconds to
# reach TARGET and the best test RMSE. For LIBMF (LIBMF=path to a built
# LIBMF folder with mf-train and mf-predict; skipped when unset): its test
# RMSE per epoch (-p, NT threads), then a timed run without -p for just the
# epochs that reach TARGET: its wall time (reading the text file included),
# checked with mf-predict.
#
#   LIBMF=/path/to/libmf bench/als_vs_libmf.sh
source "$(dirname "$0")/common.bash"
K=${K:-64} LAMBDA=${LAMBDA:-0.05} ITERS=${ITERS:-8} TARGET=${TARGET:-0.632} NP=${NP:-2} NT=${NT:-2}
SOLVERS=${SOLVERS:-"cg cholesky"} LIBMF=${LIBMF:-}
train="$OUT/split_train.tsv" test="$OUT/split_test.tsv"
[ -f "$test" ] || "$BIN" split --ratings "$data" --holdout 0.1 --split-seed 1 --out-train "$train" \
  --out-test "$test" >/dev/null
echo "$(wc -l <"$train") training / $(wc -l <"$test") test ratings, k $K, L2 $LAMBDA; $(cpu_name), SIMD $(simd_line); load $(cut -d' ' -f1-3 /proc/loadavg)"
for solver in $SOLVERS; do
  log="$OUT/als_vs_libmf_${solver}_np$NP.jsonl"
  mpirun -n "$NP" --bind-to core "$BIN" train -q --algo als --solver "$solver" --ratings "$train" --test "$test" \
    --factors "$K" --lambda "$LAMBDA" --iterations "$ITERS" --metrics-out "$log" >"$OUT/als_vs_libmf_$solver.log"
  echo
  echo "hpcrec als --solver $solver, $NP ranks:"
  echo "| iteration | s | training s so far | test RMSE |"
  echo "|---|---|---|---|"
  grep -v '"final"' "$log" | sed -n 's/.*"iteration": *\([0-9]*\),.*"seconds": *\([0-9.]*\),.*"test_rmse": *\([0-9.]*\),.*/\1 \2 \3/p' |
    awk -v target="$TARGET" -v solver="$solver" '{
        sum += $2; printf "| %d | %.2f | %.2f | %.4f |\n", $1, $2, sum, $3
        if (!hit && $3 <= target) { hit = $1; at = sum }
        if (best == "" || $3 < best) best = $3 }
      END { if (hit) printf "%s: test RMSE <= %s after %d iterations, %.2f training s; best %.4f\n", solver, target, hit, at, best
            else printf "%s: test RMSE never <= %s in %d iterations; best %.4f\n", solver, target, NR, best }'
  sed -n 's/^wall time/hpcrec wall time/p' "$OUT/als_vs_libmf_$solver.log"
done
[ -n "$LIBMF" ] || exit 0
ltrain="$OUT/libmf_train.txt" ltest="$OUT/libmf_test.txt"
# LIBMF reads "user item rating", ids from 0.
[ -f "$ltest" ] || { awk '{ print $1 - 1, $2 - 1, $3 }' "$train" >"$ltrain"; awk '{ print $1 - 1, $2 - 1, $3 }' "$test" >"$ltest"; }
echo
echo "LIBMF ($LIBMF), $NT threads, -k $K -l2 $LAMBDA, per epoch:"
"$LIBMF/mf-train" -k "$K" -s "$NT" -t 20 -l2 "$LAMBDA" -p "$ltest" "$ltrain" "$OUT/libmf.model" >"$OUT/libmf_epochs.log"
cat "$OUT/libmf_epochs.log"
epochs=$(awk -v target="$TARGET" '$1 ~ /^[0-9]+$/ && $3 <= target { print $1 + 1; exit }' "$OUT/libmf_epochs.log")
[ -n "$epochs" ] || { echo "LIBMF: test RMSE never <= $TARGET in 20 epochs"; exit 0; }
start=$(date +%s.%N)
"$LIBMF/mf-train" -k "$K" -s "$NT" -t "$epochs" -l2 "$LAMBDA" "$ltrain" "$OUT/libmf.model" >/dev/null
end=$(date +%s.%N)
rmse=$("$LIBMF/mf-predict" -e 0 "$ltest" "$OUT/libmf.model" "$OUT/libmf.pred" | sed -n 's/.*= *//p')
awk -v e="$epochs" -v s="$start" -v t="$end" -v r="$rmse" -v target="$TARGET" 'BEGIN {
  printf "LIBMF: test RMSE <= %s after %d epochs: %.2f s wall (reading included), mf-predict RMSE %s\n", target, e, t - s, r }'
