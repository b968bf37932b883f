#!/usr/bin/env bash
# bpmf against explicit ALS on the generated set of bench/als_bench.sh
# (USERS x ITEMS, RATINGS, seed 42), 10% held out (`hpcrec split --holdout
# 0.1 --split-seed 1`), at each rank count of RANKS: test RMSE, seconds per
# ALS sweep and per Gibbs sample. ALS runs with its default lambda and with
# ALS_LAMBDA (its best on this set); bpmf with SAMPLES/BURN_IN/THIN (its
# first sample's seconds include the 5 ALS start sweeps: the median is shown).
source "$(dirname "$0")/common.bash"
K=${K:-32}
SAMPLES=${SAMPLES:-30} BURN_IN=${BURN_IN:-10} THIN=${THIN:-2}
ALS_ITER=${ALS_ITER:-10} ALS_LAMBDA=${ALS_LAMBDA:-0.03}
train="$OUT/split_train.tsv" test="$OUT/split_test.tsv"
[ -f "$test" ] || "$BIN" split --ratings "$data" --holdout 0.1 --split-seed 1 --out-train "$train" \
  --out-test "$test" >/dev/null
echo "bpmf vs als: $(wc -l <"$train") training / $(wc -l <"$test") test ratings, k $K, $(cpu_name) ($(cpu_isa)), 1 thread per rank"
echo
echo "| ranks | model | settings | test RMSE | best test RMSE | median s per sweep/sample | training s |"
echo "|---|---|---|---|---|---|---|"
for np in $RANKS; do
  for spec in "als|--lambda 0.12 --iterations $ALS_ITER" "als|--lambda $ALS_LAMBDA --iterations $ALS_ITER" \
    "bpmf|--samples $SAMPLES --burn-in $BURN_IN --thin $THIN"; do
    algo=${spec%%|*}
    read -r -a extra <<<"${spec#*|}"
    log="$OUT/bpmf_bench_${algo}_np${np}_${extra[1]}.jsonl"
    mpirun -n "$np" --bind-to core "$BIN" train -q --algo "$algo" --ratings "$train" --test "$test" --factors "$K" \
      "${extra[@]}" --metrics-out "$log" >/dev/null
    rows=$(grep -v '"final"' "$log")
    best=$(sed -n 's/.*"test_rmse": *\([0-9.]*\).*/\1/p' <<<"$rows" | sort -g | head -n 1)
    # The median iteration (bpmf's first includes the ALS start), and the sum.
    secs=$(sed -n 's/.*"seconds": *\([0-9.]*\).*/\1/p' <<<"$rows" | sort -g |
      awk '{ v[NR] = $1; s += $1 } END { printf "%.2f %.1f", v[int((NR + 1) / 2)], s }')
    last=$(tail -n 1 "$log")
    printf "| %s | %s | %s | %.4f | %.4f | %s | %s |\n" "$np" "$algo" "${extra[*]}" "$(field test_rmse "$last")" \
      "$best" "${secs% *}" "${secs#* }"
  done
done
