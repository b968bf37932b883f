#!/usr/bin/env bash
# Models trained at 1 and 3 ranks (and 2 threads) have identical factors.
source "$(dirname "$0")/common.bash"
command -v h5diff >/dev/null || { echo "h5diff not installed: skip"; exit 77; }

"$HPCREC" generate --out "$TMP/r.tsv" --users 400 --items 150 --ratings 8000 --seed 9 >/dev/null
args=(train --ratings "$TMP/r.tsv" --holdout 0.1 --factors 6 --iterations 3)
run_np 1 "${args[@]}" --model "$TMP/m1.h5" >/dev/null
run_np 3 "${args[@]}" --model "$TMP/m3.h5" >/dev/null
run_np 2 "${args[@]}" --model "$TMP/m2t.h5" --threads 2 >/dev/null
for f in m3 m2t; do
  for d in /users/factors /items/factors /users/bias /items/bias /users/ids /items/ids; do
    h5diff "$TMP/m1.h5" "$TMP/$f.h5" "$d" "$d" || fail "$d differs between m1 and $f"
  done
done
echo PASS
