#!/usr/bin/env bash
# Defaults against `hpcrec tune` on three datasets (the evidence behind the
# defaults; docs/BENCHMARKS.md, "Tuning"). For each (dataset, algorithm):
# train with defaults, then tune on a validation split of the training part
# and train the winner; both evaluated on the same test (threshold 4).
#   ml-100k       u1.base -> u1.test                 ials
#   ml-latest     ratings.csv, temporal 20%           ials knn hybrid
#   generated     1M ratings, 20k x 2k, per-user 20%  ials
#   counts        generate --counts, per-user 20%     ials, --confidence auto vs linear
# Prints one table row per pair: P@10 and NDCG@10 of the defaults and the
# tuned winner, the winner's validation NDCG@10 and settings.
#   BUDGET=20 RANKS=2 bench/tune_bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-${BUILD_DIR:-build}/hpcrec}
SHARED=${SHARED:-../shared/data}
OUT=${OUT:-out/bench/tune}
RANKS=${RANKS:-2}
BUDGET=${BUDGET:-20}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none
mkdir -p "$OUT"
[ -f "$OUT/gen.tsv" ] || "$BIN" generate --out "$OUT/gen.tsv" --users 20000 --items 2000 --ratings 1000000 >/dev/null
[ -f "$OUT/counts.tsv" ] || "$BIN" generate --counts --out "$OUT/counts.tsv" --users 5000 --items 2000 \
  --ratings 300000 >/dev/null

pn() { sed -n 's/^final:.* precision_at_k \([0-9.]*\).* ndcg_at_k \([0-9.]*\).*/\1 \2/p' "$1"; }
printf "%-10s %-7s %9s %9s %9s %9s %9s  %s\n" dataset algo P@10 NDCG@10 tuned_P tuned_N valid_N "winner (budget $BUDGET)"
row() {  # row NAME ALGO DATA-ARGS...
  local name=$1 algo=$2
  shift 2
  local tag="$OUT/${name}_$algo"
  mpirun -n "$RANKS" "$BIN" train --algo "$algo" "$@" --relevance-threshold 4 >"$tag.default.log"
  mpirun -n "$RANKS" "$BIN" tune --algo "$algo" "$@" --relevance-threshold 4 --budget "$BUDGET" \
    --work-dir "$tag.work" --out-config "$tag.ini" --trials-out "$tag.jsonl" >"$tag.tune.log"
  read -r dp dn < <(pn "$tag.default.log")
  read -r tp tn < <(pn "$tag.tune.log")
  local valid settings
  valid=$(sed -n 's/^best: trial [0-9]*, validation ndcg_at_k \([0-9.]*\).*/\1/p' "$tag.tune.log")
  settings=$(sed -n 's/^best: trial [0-9]*, validation [a-z_]* [0-9.]*: //p' "$tag.tune.log")
  printf "%-10s %-7s %9s %9s %9s %9s %9.4f  %s\n" "$name" "$algo" "$dp" "$dn" "$tp" "$tn" "$valid" "$settings"
}
if [ -f "$SHARED/ml-100k/u1.base" ]; then
  row ml-100k ials --ratings "$SHARED/ml-100k/u1.base" --test "$SHARED/ml-100k/u1.test"
fi
if [ -f "$SHARED/ml-latest-small/ratings.csv" ]; then
  for algo in ials knn hybrid; do
    row ml-latest "$algo" --ratings "$SHARED/ml-latest-small/ratings.csv" --split temporal --holdout 0.2
  done
fi
row generated ials --ratings "$OUT/gen.tsv" --split user --holdout 0.2
row counts ials --ratings "$OUT/counts.tsv" --split user --holdout 0.2
# Count data: what --confidence auto picks, against linear confidence with alpha 1.
mpirun -n "$RANKS" "$BIN" train --algo ials --ratings "$OUT/counts.tsv" --split user --holdout 0.2 \
  --relevance-threshold 4 --confidence linear --alpha 1 >"$OUT/counts_linear.log"
read -r lp ln < <(pn "$OUT/counts_linear.log")
echo "counts: $(grep '^confidence auto' "$OUT/counts_ials.default.log"); linear alpha 1: P@10 $lp NDCG@10 $ln"
