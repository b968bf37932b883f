#!/usr/bin/env bash
# Content, hybrid and cold start on ml-latest-small (from ../shared/data,
# never committed): ratings + movies.csv + tags.csv, temporal split (each
# user's latest 20%), relevance threshold 4, k = 10.
#   table 1: every model alone and the hybrid (--blend auto), one job;
#            als from its own job (it is not in the default blend)
#   table 2: the same with 10% of the items held out entirely
#            (--cold-items 0.1): ranking on the known items and recall@10
#            etc. on the held-out ones
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-${BUILD_DIR:-build}/hpcrec}
DATA=${DATA:-../shared/data}/ml-latest-small
OUT=${OUT:-out/hybrid}
NP=${NP:-2}
BLEND=${BLEND:-auto}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none
[ -f "$DATA/ratings.csv" ] || { echo "no $DATA/ratings.csv: skipped"; exit 0; }
mkdir -p "$OUT"
field() { sed -n "s/.*\"$1\": *\([-0-9.e+]*\).*/\1/p" <<<"$2"; }
base=(--ratings "$DATA/ratings.csv" --split temporal --holdout 0.2 --relevance-threshold 4)
features=(--item-features "$DATA/movies.csv" "$DATA/tags.csv")

row() {  # row NAME JSON-LINE [cold]
  local f=$2
  if [ "${3:-}" = cold ]; then
    printf "| %s | %.4f | %.4f | %.4f | %.4f | %.4f |\n" "$1" "$(field ndcg_at_k "$f")" \
      "$(field cold_precision_at_k "$f")" "$(field cold_recall_at_k "$f")" "$(field cold_ndcg_at_k "$f")" \
      "$(field cold_hit_rate_at_k "$f")"
  else
    printf "| %s | %.4f | %.4f | %.4f | %.4f | %.4f |\n" "$1" "$(field precision_at_k "$f")" \
      "$(field recall_at_k "$f")" "$(field ndcg_at_k "$f")" "$(field map_at_k "$f")" "$(field coverage_at_k "$f")"
  fi
}

hybrid_table() {  # hybrid_table NAME MODE extra-args...
  local name=$1 mode=$2
  shift 2
  mpirun -n "$NP" "$BIN" train "${base[@]}" "$@" --algo als --metrics-out "$OUT/$name-als.jsonl" \
    >"$OUT/$name-als.log"
  mpirun -n "$NP" "$BIN" train "${base[@]}" "${features[@]}" "$@" --algo hybrid --blend "$BLEND" \
    --metrics-out "$OUT/$name-hybrid.jsonl" >"$OUT/$name-hybrid.log"
  row als "$(grep '"final": *true' "$OUT/$name-als.jsonl")" "$mode"
  for c in ials knn content popular; do
    row "$c" "$(grep "\"component\": *\"$c\"" "$OUT/$name-hybrid.jsonl" | grep -v validation | tail -n 1)" "$mode"
  done
  row "hybrid ($(grep -E '^hybrid:' "$OUT/$name-hybrid.log" | sed 's/^hybrid: //; s/ (min-history.*//'))" \
    "$(grep '"final": *true' "$OUT/$name-hybrid.jsonl")" "$mode"
}

echo "ml-latest-small, temporal 20%, threshold 4 (mpirun -n $NP hpcrec train ${base[*]} ${features[*]} --algo hybrid --blend $BLEND)"
echo
echo "| model | precision@10 | recall@10 | NDCG@10 | MAP@10 | coverage@10 |"
echo "|---|---|---|---|---|---|"
hybrid_table all ""
echo
echo "... --cold-items 0.1: NDCG@10 on the known items; on the held-out items' ratings:"
echo
echo "| model | NDCG@10 (known items) | cold precision@10 | cold recall@10 | cold NDCG@10 | cold hit rate@10 |"
echo "|---|---|---|---|---|---|"
hybrid_table cold cold --cold-items 0.1
