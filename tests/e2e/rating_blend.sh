#!/usr/bin/env bash
# The rating blend (--algo hybrid --blend-target rating) end to end on
# generated ratings: least-squares weights and test RMSE identical at 1, 2
# and 3 ranks; a saved blend's predict gives the RMSE train reported and
# recommend --all reproduces train's lists; components that predict no
# ratings are refused; the ranking blend keeps its behaviour and files.
source "$(dirname "$0")/common.bash"

run_np 1 generate --out "$TMP/all.tsv" --users 300 --items 150 --ratings 9000 --seed 5 >/dev/null
run_np 1 split --ratings "$TMP/all.tsv" --out-train "$TMP/train.tsv" --out-test "$TMP/test.tsv" \
  --holdout 0.1 >/dev/null
common=(train --algo hybrid --blend-target rating --ratings "$TMP/train.tsv" --test "$TMP/test.tsv"
  --factors 8 --iterations 5 --neighbors 50)

# weights FILE: the blend record of FILE (weights, validation figures), without the run's context.
weights() { grep '"blend": *{' "$1" | head -n 1 | sed 's/"settings".*//; s/"ranks": *[0-9]*//'; }
number() { grep -o "\"$1\": *[-0-9.e+]*" | head -n 1 | sed 's/.*: *//'; }

for n in 1 2 3; do
  extra=()
  [ "$n" = 2 ] && extra=(--model "$TMP/blend.h5" --recommendations "$TMP/blend.csv")
  run_np $n "${common[@]}" --blend als,knn --metrics-out "$TMP/b$n.jsonl" "${extra[@]}" >"$TMP/b$n.txt"
  grep -E "^blend auto \(rating\)|^hybrid \(rating\)|^test " "$TMP/b$n.txt"
  grep -q '"blend": *{"intercept"' "$TMP/b$n.jsonl" || fail "no learnt weights in the records at $n ranks"
  grep '"final"' "$TMP/b$n.jsonl" | sed 's/"settings".*//' | number test_rmse >"$TMP/rmse$n"
  grep '"component"' "$TMP/b$n.jsonl" | grep -v '"validation"\|"iteration"' |
    grep -o '"component": *"[a-z]*".*"test_rmse": *[-0-9.e+]*' >"$TMP/parts$n"
done
grep -q "blend auto (rating): least squares over" "$TMP/b1.txt" || fail "learnt weights not printed"
grep -q "blend auto (rating): validation rmse .* (single models: als .* knn " "$TMP/b1.txt" ||
  fail "validation RMSEs not printed"
[ "$(wc -l <"$TMP/parts1")" = 2 ] || fail "expected a test RMSE record per component: $(cat "$TMP/parts1")"
for n in 2 3; do
  [ "$(weights "$TMP/b1.jsonl")" = "$(weights "$TMP/b$n.jsonl")" ] ||
    fail "weights differ between 1 and $n ranks: $(weights "$TMP/b1.jsonl") vs $(weights "$TMP/b$n.jsonl")"
  cmp -s "$TMP/rmse1" "$TMP/rmse$n" || fail "test RMSE differs between 1 and $n ranks"
  cmp -s "$TMP/parts1" "$TMP/parts$n" || fail "component test RMSEs differ between 1 and $n ranks"
done
rmse=$(cat "$TMP/rmse1")
[ -n "$rmse" ] || fail "no test_rmse in the final record"
echo "weights and test RMSE ($rmse) identical at 1, 2 and 3 ranks"

# The saved blend: predict reproduces train's test RMSE; recommend --all its lists.
pred=$(run_np 1 predict --model "$TMP/blend.h5" --pairs "$TMP/test.tsv" --out "$TMP/pred.csv" 2>&1)
echo "$pred"
got=$(grep -o 'rmse [0-9.e+-]*' <<<"$pred" | cut -d' ' -f2)
awk -v a="$got" -v b="$rmse" 'BEGIN { d = a - b; exit !(d < 1e-9 && d > -1e-9) }' ||
  fail "predict RMSE $got differs from train's $rmse"
run_np 2 recommend --model "$TMP/blend.h5" --all --out "$TMP/served.csv" 2>/dev/null
cmp -s "$TMP/blend.csv" "$TMP/served.csv" || fail "recommend --all differs from train --recommendations"
attrs=$(h5dump -A "$TMP/blend.h5")
target=$(grep -A10 'ATTRIBUTE "blend_target"' <<<"$attrs")
grep -q '"rating"' <<<"$target" || fail "no blend_target rating"
grep -q 'ATTRIBUTE "blend_intercept"' <<<"$attrs" || fail "no blend_intercept"

# Fixed weights are used as given (normalised, no intercept).
run_np 2 "${common[@]}" --blend als:3,knn:1 >"$TMP/fixed.txt"
grep -qF "hybrid (rating): 0 + (0.75 + 0 fu + 0 fi) als + (0.25 + 0 fu + 0 fi) knn + 0 fu + 0 fi" "$TMP/fixed.txt" ||
  fail "fixed weights: $(cat "$TMP/fixed.txt")"

# Components must predict ratings (each refusal costs an MPI start-up, ~2.5 s: few of them).
expect_fail 2 "blend-target rating: ials does not predict ratings \(use als, bpmf, knn" \
  run_np 1 "${common[@]}" --blend ials,knn
expect_fail 2 "blend-target must be ranking or rating" run_np 1 train --algo hybrid --ratings "$TMP/train.tsv" \
  --blend-target score

# The ranking blend is unchanged: the default, no rating attributes in its file.
rank=(train --algo hybrid --ratings "$TMP/train.tsv" --test "$TMP/test.tsv" --factors 8 --iterations 5
  --neighbors 50 --blend als:0.5,knn:0.5)
run_np 2 "${rank[@]}" --model "$TMP/rank.h5" --recommendations "$TMP/rank.csv" >"$TMP/rank.txt"
run_np 2 "${rank[@]}" --blend-target ranking --recommendations "$TMP/rank2.csv" >/dev/null
cmp -s "$TMP/rank.csv" "$TMP/rank2.csv" || fail "--blend-target ranking differs from the default"
grep -q "^hybrid: als 0.5 knn 0.5" "$TMP/rank.txt" || fail "ranking blend line changed"
attrs=$(h5dump -A "$TMP/rank.h5")
! grep -q 'ATTRIBUTE "blend_\(target\|intercept\)"' <<<"$attrs" || fail "a ranking blend's file has rating attributes"
echo PASS
