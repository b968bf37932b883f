#!/usr/bin/env bash
# Every kind of metrics record validates against docs/metrics.schema.json
# (scripts/check_metrics.py, Python's json only): iterations with ranking
# metrics, finals, a hybrid's blend and component records (ranking and
# rating blends), cross-validation, resume, recommend --all timings, tune
# trials. Folds are numbered from 1.
source "$(dirname "$0")/common.bash"
PY=$(command -v python3 || true)
[ -n "$PY" ] || { echo "no python3: skip"; exit 77; }
CHECK="$(dirname "$0")/../../scripts/check_metrics.py"

"$HPCREC" generate --out "$TMP/r.tsv" --users 60 --items 50 --ratings 900 --seed 3 >/dev/null
common=(--ratings "$TMP/r.tsv" --holdout 0.2 --factors 4 --iterations 3)
run_np 2 train "${common[@]}" --algo als --ranking-every 1 --metrics-out "$TMP/als.jsonl" --model "$TMP/als.h5" >/dev/null
run_np 1 train "${common[@]}" --algo ials --metrics-out "$TMP/ials.jsonl" >/dev/null
run_np 2 train "${common[@]}" --algo knn --metrics-out "$TMP/knn.jsonl" >/dev/null
run_np 2 train "${common[@]}" --algo popular --metrics-out "$TMP/popular.jsonl" >/dev/null
run_np 2 train "${common[@]}" --algo hybrid --blend ials:0.6,knn:0.4 --metrics-out "$TMP/hybrid.jsonl" >/dev/null
run_np 2 train "${common[@]}" --algo hybrid --blend-target rating --blend als,knn,bpmf --samples 6 --burn-in 2 \
  --metrics-out "$TMP/rating_blend.jsonl" >/dev/null
run_np 2 train --ratings "$TMP/r.tsv" --holdout 0.1 --algo bpmf --factors 4 --samples 6 --burn-in 2 --init-sweeps 1 \
  --metrics-out "$TMP/bpmf.jsonl" >/dev/null
run_np 2 train --ratings "$TMP/r.tsv" --factors 4 --iterations 2 --folds 3 --metrics-out "$TMP/cv.jsonl" >/dev/null
run_np 2 train --ratings "$TMP/r.tsv" --factors 4 --iterations 2 --metrics-out "$TMP/none.jsonl" >/dev/null
run_np 2 recommend --model "$TMP/als.h5" --all --out "$TMP/all.csv" --metrics-out "$TMP/rec.jsonl" --bench-dense \
  2>/dev/null
run_np 2 tune --ratings "$TMP/r.tsv" --algo als --budget 2 --iterations 2 --validation-holdout 0.2 \
  --trials-out "$TMP/trials.jsonl" >/dev/null
for f in als ials bpmf knn popular hybrid rating_blend cv none rec trials; do
  "$PY" "$CHECK" "$TMP/$f.jsonl" || fail "$f.jsonl does not validate"
done
# --bench-dense: the yardsticks (OpenBLAS GEMM, triad, its kernel set) and the scoring ratio.
for key in dense_gflops dense_gflops_f32 dense_gflops_f64 stream_gbs scoring_to_gemm_f32; do
  grep -Eq "\"$key\": ?[0-9]" "$TMP/rec.jsonl" || fail "no $key in $(cat "$TMP/rec.jsonl")"
done
grep -Eq '"blas_core": ?"[^"]+"' "$TMP/rec.jsonl" || fail "no blas_core in $(cat "$TMP/rec.jsonl")"
# Records carry the run: command, algorithm, hyper-parameters, ranks, version, ISA.
head -n 1 "$TMP/als.jsonl" | grep -Eq '^\{"command": ?"train", ?"algorithm": ?"als", ?"version": ?"[0-9.]+", ?"isa"' ||
  fail "als record head: $(head -n 1 "$TMP/als.jsonl")"
grep -q '"factors": *4' "$TMP/als.jsonl" || fail "no factors in the settings"
grep -q '"ranks": *2' "$TMP/als.jsonl" || fail "no rank count"
grep -q '"component": *"knn"' "$TMP/hybrid.jsonl" || fail "no component record"
grep -q '"blend": *{"intercept"' "$TMP/rating_blend.jsonl" || fail "no rating blend record"
grep -q '"component": *"als", *"validation_rmse"' "$TMP/rating_blend.jsonl" || fail "no validation RMSE records"
grep -q '"fold": *1,' "$TMP/cv.jsonl" || fail "folds not numbered from 1"
grep -q '"fold": *0,' "$TMP/cv.jsonl" && fail "a fold numbered 0"
grep -q '"fold": *3,' "$TMP/cv.jsonl" || fail "no fold 3 of 3"
# The checker itself: a record without its context, a metric as a string.
echo '{"iteration": 1}' >"$TMP/bad1.jsonl"
expect_fail 2 "bad1.jsonl:1: missing key 'command'" "$PY" "$CHECK" "$TMP/bad1.jsonl"
sed -n 1p "$TMP/als.jsonl" | sed 's/"train_rmse": *[0-9.e+-]*/"train_rmse":"x"/' >"$TMP/bad2.jsonl"
expect_fail 2 "bad2.jsonl:1: train_rmse: expected number or null" "$PY" "$CHECK" "$TMP/bad2.jsonl"
echo PASS
