#!/usr/bin/env bash
# Strong generalisation: how well `recommend --user-ratings` (fold-in) serves
# users the model was not trained on, against training them in. On
# ml-latest-small: 10% of the users are held out (by a hash of the id); 80% of
# each held-out user's ratings (by a hash of user and item) are given to the
# model, the other 20% are the test (relevant: rating >= 4).
#   fold-in:    the model is trained on the other 90% of the users only; the
#               held-out users are folded in from their 80%.
#   trained-in: the model is trained on the other users and the held-out
#               users' 80% together.
# NDCG@10 etc. of the held-out users by bench/ranking_eval.py, same test.
#
#   bench/foldin_quality.sh [ALGO [train options...]]   # default: ials
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-${BUILD_DIR:-build}/hpcrec}
DATA=${DATA:-../shared/data/ml-latest-small/ratings.csv}
OUT=${OUT:-out/bench/foldin}
RANKS=${RANKS:-2}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
[ -f "$DATA" ] || { echo "no $DATA: skipped"; exit 0; }
algo=${1:-ials}
shift || true
mkdir -p "$OUT"
# Splits (awk, deterministic): base = other users; given / test = held-out users' 80% / 20%.
awk -F, -v out="$OUT" 'NR > 1 {
    h = ($1 * 2654435761) % 4294967296; held = (h % 10 == 0)
    if (!held) { print $1 "\t" $2 "\t" $3 "\t" $4 > out "/base.tsv"; next }
    g = ($1 * 31 + $2 * 17) % 10
    if (g < 8) print $1 "\t" $2 "\t" $3 "\t" $4 > out "/given.tsv"; else print $1 "\t" $2 "\t" $3 > out "/test.tsv"
  }' "$DATA"
cat "$OUT/base.tsv" "$OUT/given.tsv" >"$OUT/trained_in.tsv"
cut -f1 "$OUT/given.tsv" | sort -n -u >"$OUT/held_users.txt"
echo "$algo $*: $(wc -l <"$OUT/base.tsv") base ratings; $(wc -l <"$OUT/held_users.txt") held-out users with" \
  "$(wc -l <"$OUT/given.tsv") given and $(wc -l <"$OUT/test.tsv") test ratings"
mpirun -n "$RANKS" "$BIN" train --algo "$algo" --ratings "$OUT/base.tsv" --model "$OUT/base.h5" "$@" >"$OUT/base.log"
mpirun -n "$RANKS" "$BIN" recommend --model "$OUT/base.h5" --user-ratings "$OUT/given.tsv" \
  --out "$OUT/foldin.csv" 2>"$OUT/foldin.log"
mpirun -n "$RANKS" "$BIN" train --algo "$algo" --ratings "$OUT/trained_in.tsv" --model "$OUT/in.h5" "$@" >"$OUT/in.log"
mpirun -n "$RANKS" "$BIN" recommend --model "$OUT/in.h5" --users "$OUT/held_users.txt" \
  --out "$OUT/trained_in.csv" 2>"$OUT/in_rec.log"
f=$(python3 bench/ranking_eval.py "$OUT/foldin.csv" "$OUT/test.tsv")
t=$(python3 bench/ranking_eval.py "$OUT/trained_in.csv" "$OUT/test.tsv")
echo "fold-in:    $f"
echo "trained-in: $t"
awk -v f="$f" -v t="$t" 'BEGIN { split(f, a, " "); split(t, b, " ");
  printf "fold-in / trained-in NDCG@10: %.3f\n", a[4] / b[4] }'
