#!/usr/bin/env bash
# Regenerates every PNG under docs/img (docs/PLOTS.md shows them) in one go:
# small runs at 2 ranks with --metrics-out, the ALS and iALS benches on
# generated data at 1 and 2 ranks, then scripts/plot.py.
#   convergence-ml-100k.png     als and ials on ml-100k u1.base -> u1.test, per iteration
#   ranking-ml-100k.png         precision/recall/NDCG/MAP@10 of als, ials, knn, content, popular, hybrid
#   ranking-ml-latest-small.png the same on ml-latest-small, temporal 20%
#   scaling.png                 seconds per iteration against ranks (1M generated ratings)
# MovieLens is read from ../shared/data (never committed); a plot whose data
# is absent is skipped and its old PNG kept. About 3 minutes on the 2-core VM.
#
#   bench/plots.sh
#   RATINGS=10000000 USERS=100000 ITEMS=20000 bench/plots.sh   # the scaling plot on the benches' 10M
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-${BUILD_DIR:-build}/hpcrec}
DATA=${DATA:-../shared/data}
OUT=${OUT:-out/plots}
IMG=${IMG:-docs/img}
NP=${NP:-2}
PY=${PYTHON:-python3}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none

if ! command -v "$PY" >/dev/null || ! "$PY" scripts/plot.py check >/dev/null; then
  echo "plots.sh: no matplotlib; HPCREC_WITH_PLOTS=1 scripts/setup.sh installs it" >&2
  exit 3
fi
[ -x "$BIN" ] || scripts/build.sh --target hpcrec >/dev/null
mkdir -p "$OUT" "$IMG"
start=$SECONDS

train() {  # train DIR NAME hpcrec-train-args...: DIR/NAME.jsonl and DIR/NAME.log
  local dir=$1 name=$2
  shift 2
  mkdir -p "$dir"
  echo "  mpirun -n $NP hpcrec train $* ($((SECONDS - start)) s)"
  mpirun -n "$NP" "$BIN" train "$@" --metrics-out "$dir/$name.jsonl" >"$dir/$name.log" 2>&1 ||
    { tail -n 20 "$dir/$name.log" >&2; exit 1; }
}
plot() {  # plot KIND ... -o PNG: scripts/plot.py, the PNG's path printed
  echo "-> $("$PY" scripts/plot.py "$@")"
}

d=$DATA/ml-100k o=$OUT/ml-100k
if [ -f "$d/u1.base" ] && [ -f "$d/u.item" ]; then
  echo "== ml-100k u1 (relevance threshold 4) =="
  base=(--ratings "$d/u1.base" --test "$d/u1.test" --relevance-threshold 4)
  train "$o" als "${base[@]}" --algo als --ranking-every 1
  train "$o" ials "${base[@]}" --algo ials --ranking-every 1
  train "$o" hybrid "${base[@]}" --algo hybrid --blend auto --item-features "$d/u.item"
  plot convergence "$o/als.jsonl" "$o/ials.jsonl" -o "$IMG/convergence-ml-100k.png" \
    --title "ml-100k u1.base -> u1.test, defaults, $NP ranks"
  plot ranking --annotate "$o/als.jsonl" "$o/hybrid.jsonl" -o "$IMG/ranking-ml-100k.png" \
    --title "ml-100k u1.base -> u1.test, relevance threshold 4, defaults"
else
  echo "== ml-100k: no $d/u1.base or u.item, skipped (kept $IMG/convergence-ml-100k.png, ranking-ml-100k.png) =="
fi

d=$DATA/ml-latest-small o=$OUT/ml-latest-small
if [ -f "$d/ratings.csv" ] && [ -f "$d/movies.csv" ] && [ -f "$d/tags.csv" ]; then
  echo "== ml-latest-small, temporal 20% (relevance threshold 4) =="
  base=(--ratings "$d/ratings.csv" --split temporal --holdout 0.2 --relevance-threshold 4)
  train "$o" als "${base[@]}" --algo als
  train "$o" hybrid "${base[@]}" --algo hybrid --blend auto --item-features "$d/movies.csv" "$d/tags.csv"
  plot ranking --annotate "$o/als.jsonl" "$o/hybrid.jsonl" -o "$IMG/ranking-ml-latest-small.png" \
    --title "ml-latest-small, each user's latest 20% held out, relevance threshold 4, defaults"
else
  echo "== ml-latest-small: no $d/ratings.csv, movies.csv or tags.csv, skipped (kept $IMG/ranking-ml-latest-small.png) =="
fi

echo "== scaling: bench/als_bench.sh, bench/ials_bench.sh at 1 and 2 ranks ($((SECONDS - start)) s) =="
export USERS=${USERS:-20000} ITEMS=${ITEMS:-2000} RATINGS=${RATINGS:-1000000} RANKS=${RANKS:-"1 2"}
# Seconds on a shared machine mean little without its load: the plot gives it.
load="load average $(cut -d ' ' -f 1 /proc/loadavg 2>/dev/null || echo '?') on $(nproc) cores before the runs"
echo "$load"
awk -v l="$(cut -d ' ' -f 1 /proc/loadavg 2>/dev/null || echo 0)" -v n="$(nproc)" 'BEGIN { exit !(l > n / 2) }' &&
  echo "plots.sh: warning: the machine is busy; the seconds below measure that too (re-run when it is idle)"
OUT=$OUT/bench BIN=$BIN bench/als_bench.sh
OUT=$OUT/bench BIN=$BIN bench/ials_bench.sh
plot scaling "$OUT/bench/als_bench.tsv" "$OUT/bench/ials_bench.tsv" -o "$IMG/scaling.png" \
  --title "$(awk -v r="$RATINGS" 'BEGIN { printf(r >= 1e6 ? "%gM" : "%g", r >= 1e6 ? r / 1e6 : r) }') generated ratings ($USERS users x $ITEMS items), k = 64"$'\n'"$load"
echo
echo "Scaling, as a markdown table ($load):"
echo
echo "| series | ranks | threads | s/iter | speed-up | solver GF/s | CPU | ISA |"
echo "|---|---|---|---|---|---|---|---|"
awk -F '\t' 'FNR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
  { if (!($1 in base)) base[$1] = $c["s_per_iter"]
    printf "| %s | %s | %s | %.2f | %.2fx | %.1f | %s | %s |\n", $1, $c["ranks"], $c["threads"],
      $c["s_per_iter"], base[$1] / $c["s_per_iter"], $c["solver_gflops"], $c["cpu"], $c["isa"] }' \
  "$OUT/bench/als_bench.tsv" "$OUT/bench/ials_bench.tsv"
echo
echo "plots.sh: done in $((SECONDS - start)) s; metrics and logs in $OUT"
