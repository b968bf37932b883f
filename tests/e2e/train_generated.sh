#!/usr/bin/env bash
# The real binary on generated data: train at 2 ranks with a holdout, then
# the model, top-N files, recommend and info.
source "$(dirname "$0")/common.bash"

"$HPCREC" generate --out "$TMP/r.tsv" --users 300 --items 120 --ratings 6000 --seed 5 >/dev/null
run_np 2 train --ratings "$TMP/r.tsv" --holdout 0.2 --factors 8 --iterations 6 \
  --model "$TMP/m.h5" --recommendations "$TMP/top.csv" --top-n 5 --metrics-out "$TMP/m.jsonl" >"$TMP/out.txt"
cat "$TMP/out.txt"
grep -q "^final:.* test_rmse [0-9.]*" "$TMP/out.txt" || fail "no final test RMSE"
[ -f "$TMP/m.h5" ] && [ ! -e "$TMP/m.h5.tmp" ] || fail "model missing or .tmp left"

# Metrics: one JSON object per iteration and a final one.
[ "$(grep -c '"iteration"' "$TMP/m.jsonl")" = 7 ] || fail "expected 7 metrics lines"
tail -n 1 "$TMP/m.jsonl" | grep -q '"final": *true' || fail "no final metrics line"
for key in iteration seconds train_rmse test_rmse test_mae; do
  head -n 1 "$TMP/m.jsonl" | grep -q "\"$key\"" || fail "metrics key $key missing"
done
rmse=$(tail -n 1 "$TMP/m.jsonl" | sed 's/.*"test_rmse": *\([0-9.]*\).*/\1/')
awk -v r="$rmse" 'BEGIN { exit !(r > 0 && r < 1.2) }' || fail "test RMSE $rmse out of range"

# Top-N CSV: header, 5 rows for each of the 300 users, ranks 1..5.
head -n 1 "$TMP/top.csv" | grep -qx "user,rank,item,score" || fail "CSV header"
[ "$(($(wc -l <"$TMP/top.csv") - 1))" = 1500 ] || fail "expected 1500 recommendation rows"

# recommend agrees with the top-N file for one user.
"$HPCREC" recommend --model "$TMP/m.h5" --user 17 --top-n 5 >"$TMP/rec.txt"
diff <(tail -n +2 "$TMP/rec.txt") <(grep '^17,' "$TMP/top.csv") || fail "recommend differs from the top-N file"
# A user the model does not know gets the popularity list, and says so.
"$HPCREC" recommend --model "$TMP/m.h5" --user 99999 --top-n 3 >"$TMP/new.txt"
head -n 1 "$TMP/new.txt" | grep -qx "user,rank,item,score,source" || fail "no source column for a new user"
[ "$(grep -c '^99999,[123],.*,popular$' "$TMP/new.txt")" = 3 ] || fail "new user: not 3 popular items"


# HDF5 top-N and the model read with h5dump.
run_np 3 train --ratings "$TMP/r.tsv" --factors 4 --iterations 2 --recommendations "$TMP/top.h5" >/dev/null
if command -v h5dump >/dev/null; then
  h5dump -H "$TMP/top.h5" | grep -q '"items"' || fail "/topn/items missing"
  for a in command algorithm version isa ranks threads settings; do
    h5dump -a "/topn/$a" "$TMP/top.h5" >/dev/null 2>&1 || fail "/topn lacks the run attribute $a"
  done
  h5dump -H "$TMP/m.h5" | grep -q '"factors"' || fail "model factors missing"
fi

run_np 2 info --ratings "$TMP/r.tsv" | tee "$TMP/info.txt"
grep -q "users: *300" "$TMP/info.txt" || fail "info users"
echo PASS
