#!/usr/bin/env bash
# Rating accuracy (test RMSE) on MovieLens from ../shared/data (never
# committed), each model with its defaults, at NP ranks:
#   ml-100k u1..u5 (base -> test) and their mean,
#   ml-latest-small, a random 10% held out (--holdout 0.1 --split-seed 1).
# MODELS: "name=train args" entries separated by ';' (default: als, knn,
# bpmf and the rating blend of the three).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-${BUILD_DIR:-build}/hpcrec}
DATA=${DATA:-../shared/data}
OUT=${OUT:-out/rating_accuracy}
NP=${NP:-2}
MODELS=${MODELS:-"als=--algo als;knn=--algo knn;bpmf=--algo bpmf;blend=--algo hybrid --blend-target rating --blend auto:als,knn,bpmf"}
FOLDS=${FOLDS:-"1 2 3 4 5"}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none
mkdir -p "$OUT"
[ -f "$DATA/ml-100k/u1.base" ] || { echo "no MovieLens under $DATA: skipped"; exit 0; }

rmse_of() {  # rmse_of LOG: the final line's test_rmse
  sed -n 's/^final:.* test_rmse \([0-9.]*\).*/\1/p' "$1" | tail -n 1
}
run() {  # run NAME LOG train-args...
  local name=$1 log=$2
  shift 2
  local t0 t1
  t0=$(date +%s.%N)
  mpirun -n "$NP" "$BIN" train -q "$@" >"$log" 2>&1 || { echo "$name failed: $(tail -n 3 "$log")" >&2; return 1; }
  t1=$(date +%s.%N)
  echo "$(rmse_of "$log") $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')"
}

IFS=';' read -r -a entries <<<"$MODELS"
header="| model |"
rule="|---|"
for f in $FOLDS; do
  header+=" u$f |"
  rule+="---|"
done
header+=" mean u1-u5 | ml-latest-small (random 10%) | seconds u1 |"
rule+="---|---|---|"
echo "ml-100k and ml-latest-small test RMSE, mpirun -n $NP, $(nproc) cores"
echo
echo "$header"
echo "$rule"
for entry in "${entries[@]}"; do
  name=${entry%%=*}
  read -r -a args <<<"${entry#*=}"
  row="| $name |"
  sum=0
  secs=-
  for f in $FOLDS; do
    read -r r s < <(run "$name" "$OUT/$name-u$f.log" "${args[@]}" --ratings "$DATA/ml-100k/u$f.base" \
      --test "$DATA/ml-100k/u$f.test")
    row+=" $r |"
    sum=$(awk -v a="$sum" -v b="$r" 'BEGIN { print a + b }')
    [ "$f" = 1 ] && secs=$s
  done
  mean=$(awk -v a="$sum" -v n="$(wc -w <<<"$FOLDS")" 'BEGIN { printf "%.4f", a / n }')
  small=-
  if [ -f "$DATA/ml-latest-small/ratings.csv" ]; then
    read -r small _ < <(run "$name" "$OUT/$name-small.log" "${args[@]}" \
      --ratings "$DATA/ml-latest-small/ratings.csv" --holdout 0.1 --split-seed 1)
  fi
  echo "$row $mean | $small | $secs |"
done
