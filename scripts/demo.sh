#!/usr/bin/env bash
# The demo: installs what is missing, builds hpcrec (Release), generates the
# default synthetic dataset and trains on it with 2 MPI ranks, holding out
# 10% of the ratings; prints the per-iteration table, the final metrics and
# a few users' recommendations, and where its convergence plot is (drawn by
# scripts/plot.py when matplotlib is installed; otherwise how to get it).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
echo "== building (Release) =="
scripts/build.sh --target hpcrec >/dev/null
BIN=${BUILD_DIR:-build}/hpcrec
OUT=${OUT:-out/demo}
mkdir -p "$OUT"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none

echo "== generating the synthetic dataset =="
"$BIN" generate --out "$OUT/ratings.tsv" --users 20000 --items 2000 --ratings 1000000 --seed 42

echo "== training: mpirun -n 2 hpcrec train =="
mpirun -n 2 "$BIN" train --ratings "$OUT/ratings.tsv" --holdout 0.1 --factors 32 --iterations 10 \
  --model "$OUT/model.h5" --recommendations "$OUT/top10.csv" --metrics-out "$OUT/metrics.jsonl"

echo
echo "== a few users' recommendations ($OUT/top10.csv) =="
head -n 16 "$OUT/top10.csv"
echo "..."
echo
echo "== one user from the saved model: hpcrec recommend --user 7 =="
"$BIN" recommend --model "$OUT/model.h5" --user 7 --top-n 5
echo
echo "Files: model $OUT/model.h5, recommendations $OUT/top10.csv, metrics $OUT/metrics.jsonl"
plot_cmd=(scripts/plot.py convergence "$OUT/metrics.jsonl" -o "$OUT/convergence.png"
          --label als --title "demo: 1M generated ratings, 2 ranks, 10% held out")
if command -v python3 >/dev/null && python3 scripts/plot.py check >/dev/null 2>&1; then
  if python3 "${plot_cmd[@]}" >/dev/null; then
    echo "Plot: $OUT/convergence.png (train and test RMSE per iteration)"
  else
    echo "Plot: scripts/plot.py failed (above); the demo's results are unaffected"
  fi
else
  echo "Plot: not drawn (no matplotlib); to get it: HPCREC_WITH_PLOTS=1 scripts/setup.sh, then ${plot_cmd[*]:0:5}"
fi
