#!/usr/bin/env bash
# scripts/plot.py on the metrics of tiny generated runs: convergence,
# ranking and scaling each write a PNG; a bad or empty file is an error (exit
# 2) naming the file and line. Skipped (77) without python3, and after the
# error checks without matplotlib.
source "$(dirname "$0")/common.bash"
PLOT=${SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/scripts/plot.py
PY=${PYTHON:-python3}
command -v "$PY" >/dev/null || { echo "skip: no $PY"; exit 77; }
plot() { "$PY" "$PLOT" "$@"; }

plot --help | grep -q "convergence" || fail "--help does not list convergence"

# Bad input needs no matplotlib: exit 2, the file (and line) named.
: >"$TMP/empty.jsonl"
expect_fail 2 "empty.jsonl: empty" plot convergence "$TMP/empty.jsonl" -o "$TMP/x.png"
printf '{"iteration": 1, "train_rmse": 0.9}\n{"iteration": 2, "train_rm\n' >"$TMP/cut.jsonl"
expect_fail 2 "cut.jsonl:2: not a JSON object" plot convergence "$TMP/cut.jsonl" -o "$TMP/x.png"
expect_fail 2 "cut.jsonl:2: not a JSON object" plot ranking "$TMP/cut.jsonl" -o "$TMP/x.png"
printf '{"iteration": 1, "train_rmse": "high"}\n' >"$TMP/word.jsonl"
expect_fail 2 "word.jsonl:1: \"train_rmse\" is not a number" plot convergence "$TMP/word.jsonl" -o "$TMP/x.png"
expect_fail 2 "nosuch.jsonl: cannot read" plot convergence "$TMP/nosuch.jsonl" -o "$TMP/x.png"
printf 'ranks\tseconds\n1\t2\n' >"$TMP/bad.tsv"
expect_fail 2 "bad.tsv:1: the header has no \"s_per_iter\" column" plot scaling "$TMP/bad.tsv" -o "$TMP/x.png"
[ ! -e "$TMP/x.png" ] || fail "a PNG was written from bad input"

if ! plot check >/dev/null 2>&1; then
  echo "skip: no matplotlib ($(plot check 2>&1 | tail -n 1))"
  exit 77
fi

"$HPCREC" generate --out "$TMP/r.tsv" --users 200 --items 80 --ratings 4000 --seed 9 >/dev/null
for n in 1 2; do
  run_np "$n" train --ratings "$TMP/r.tsv" --holdout 0.2 --factors 4 --iterations 4 \
    --metrics-out "$TMP/als_np$n.jsonl" >"$TMP/als_np$n.log"
done
run_np 2 train --algo ials --ratings "$TMP/r.tsv" --holdout 0.2 --factors 4 --iterations 3 --ranking-every 1 \
  --metrics-out "$TMP/ials.jsonl" >/dev/null
run_np 1 train --algo popular --ratings "$TMP/r.tsv" --holdout 0.2 --metrics-out "$TMP/popular.jsonl" >/dev/null

is_png() {  # is_png FILE: the PNG signature and some size
  if ! [ -s "$1" ] || [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" != 89504e470d0a1a0a ] ||
    [ "$(wc -c <"$1")" -le 2000 ]; then
    fail "$1 is not a PNG"
  fi
}

out=$(plot convergence "$TMP/als_np2.jsonl" "$TMP/ials.jsonl" -o "$TMP/img/conv.png" --title "tiny")
[ "$out" = "$TMP/img/conv.png" ] || fail "convergence printed '$out', not the PNG's path"
is_png "$TMP/img/conv.png"
plot ranking "$TMP/als_np2.jsonl" "$TMP/ials.jsonl" "$TMP/popular.jsonl" -o "$TMP/rank.png" --annotate >/dev/null
is_png "$TMP/rank.png"
plot scaling "$TMP/als_np1.jsonl" "$TMP/als_np2.jsonl" -o "$TMP/scale.png" >/dev/null
is_png "$TMP/scale.png"
printf 'series\tranks\tthreads\ts_per_iter\tisa\tcpu\nals\t1\t1\t2.0\tavx2\tsome CPU\nals\t2\t1\t1.1\tavx2\tsome CPU\n' \
  >"$TMP/bench.tsv"
plot scaling "$TMP/bench.tsv" -o "$TMP/scale2.png" >/dev/null
is_png "$TMP/scale2.png"

# A run without per-iteration records (popular) cannot make a convergence plot.
expect_fail 2 "popular.jsonl: no per-iteration records" plot convergence "$TMP/popular.jsonl" -o "$TMP/y.png"
echo "plot: ok"
