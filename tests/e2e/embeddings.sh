#!/usr/bin/env bash
# Content from given item embeddings (--item-embeddings FILE.h5) end to end,
# on the genre checkerboard: comedies (items 0..49, and 100..109 that nobody
# rated) point one way, horror films (50..99) the other. Every item is a
# candidate with dense vectors, so each user's unrated items of their own
# half must come first: 40 warm ones (+ the 10 cold comedies for comedy fans).
source "$(dirname "$0")/common.bash"
command -v h5import >/dev/null || { echo "no h5import (hdf5-tools): skipped"; exit 77; }

awk 'BEGIN { srand(5); for (u = 0; u < 200; u++) { delete seen; n = 0; while (n < 10) {
  i = int(50 * rand()) + 50 * (u % 2); if (i in seen) continue; seen[i] = 1; n++;
  printf "%d\t%d\t%d\n", u, i, 3 + int(3 * rand()) } } }' >"$TMP/r.tsv"
seq 0 109 >"$TMP/ids.txt"
for i in $(seq 0 109); do
  if [ "$i" -lt 50 ] || [ "$i" -ge 100 ]; then echo "0.9 0.1 0.05"; else echo "0.1 0.9 0.05"; fi
done >"$TMP/emb.txt"
printf 'PATH /items/ids\nINPUT-CLASS TEXTIN\nRANK 1\nDIMENSION-SIZES 110\nOUTPUT-CLASS IN\nOUTPUT-SIZE 64\n' \
  >"$TMP/ids.cfg"
printf 'PATH /items/embeddings\nINPUT-CLASS TEXTFP\nRANK 2\nDIMENSION-SIZES 110 3\nOUTPUT-CLASS FP\nOUTPUT-SIZE 32\n' \
  >"$TMP/emb.cfg"
h5import "$TMP/ids.txt" -c "$TMP/ids.cfg" "$TMP/emb.txt" -c "$TMP/emb.cfg" -o "$TMP/emb.h5"

for n in 1 3; do
  run_np $n train --algo content --implicit-profile --item-embeddings "$TMP/emb.h5" --ratings "$TMP/r.tsv" \
    --top-n 60 --recommendations "$TMP/e$n.csv" --model "$TMP/e$n.h5" | grep "content:"
done
cmp -s "$TMP/e1.csv" "$TMP/e3.csv" || fail "embedding recommendations differ between 1 and 3 ranks"
wrong=$(awk -F, 'NR > 1 && $2 <= 40 && ($1 % 2) != ($3 >= 50 && $3 < 100) { bad++ } END { print bad + 0 }' \
  "$TMP/e1.csv")
[ "$wrong" = 0 ] || fail "$wrong items of the other half among the first 40"
cold=$(awk -F, 'NR > 1 && $3 >= 100 && $2 <= 50 && $1 % 2 == 0 { n++ } END { print n + 0 }' "$TMP/e1.csv")
echo "cold-start recommendations in the first 50: $cold"
[ "$cold" = 1000 ] || fail "cold items (embeddings only) not recommended to every comedy fan (100 x 10)"
"$HPCREC" similar --model "$TMP/e1.h5" --item 3 --top-n 5 | tail -n 5 | cut -d, -f2 | while read -r j; do
  [ "$j" -lt 50 ] || [ "$j" -ge 100 ] || fail "a comedy's embedding neighbour $j is a horror film"
done

expect_fail 2 "nope.h5" run_np 2 train --algo content --item-embeddings "$TMP/nope.h5" --ratings "$TMP/r.tsv"
expect_fail 2 "not both" run_np 1 train --algo content --item-embeddings "$TMP/emb.h5" \
  --item-features "$TMP/r.tsv" --ratings "$TMP/r.tsv"
echo PASS
