#!/usr/bin/env bash
# Quality on MovieLens (from ../shared/data, never committed): every
# algorithm with its defaults, one markdown table per dataset.
#   ml-100k: u1.base -> u1.test, relevance threshold 4
#   ml-latest-small: temporal split (each user's latest 20%), relevance threshold 4
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-${BUILD_DIR:-build}/hpcrec}
DATA=${DATA:-../shared/data}
OUT=${OUT:-out/movielens}
NP=${NP:-2}
ALGOS=${ALGOS:-"als ials knn popular"}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none
mkdir -p "$OUT"
field() { sed -n "s/.*\"$1\": *\([-0-9.e+]*\).*/\1/p" <<<"$2"; }

table() {  # table NAME train-args...
  local name=$1
  shift
  echo
  echo "$name (mpirun -n $NP hpcrec train $* --relevance-threshold 4 --algo ALGO)"
  echo
  echo "| algo | test RMSE | precision@10 | recall@10 | NDCG@10 | MAP@10 | hit rate@10 | coverage@10 | seconds |"
  echo "|---|---|---|---|---|---|---|---|---|"
  for algo in $ALGOS; do
    mpirun -n "$NP" "$BIN" train "$@" --relevance-threshold 4 --algo "$algo" \
      --metrics-out "$OUT/$name-$algo.jsonl" >"$OUT/$name-$algo.log"
    f=$(tail -n 1 "$OUT/$name-$algo.jsonl")
    rmse=$(field test_rmse "$f")
    printf "| %s | %s | %.4f | %.4f | %.4f | %.4f | %.4f | %.4f | %.1f |\n" "$algo" "${rmse:--}" \
      "$(field precision_at_k "$f")" "$(field recall_at_k "$f")" "$(field ndcg_at_k "$f")" "$(field map_at_k "$f")" \
      "$(field hit_rate_at_k "$f")" "$(field coverage_at_k "$f")" "$(field seconds "$f")"
  done
}

if [ -f "$DATA/ml-100k/u1.base" ]; then
  table ml-100k-u1 --ratings "$DATA/ml-100k/u1.base" --test "$DATA/ml-100k/u1.test"
fi
if [ -f "$DATA/ml-latest-small/ratings.csv" ]; then
  table ml-latest-small-temporal --ratings "$DATA/ml-latest-small/ratings.csv" --split temporal --holdout 0.2
fi
