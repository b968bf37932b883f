#!/usr/bin/env bash
# --algo bpmf: the same samples (factors, biases, kept samples) and the same
# predictions at 1, 2, 3 and 4 ranks and 2 threads; a run killed (SIGKILL of
# a rank) at -n 2 and resumed at -n 3 ends bitwise equal to an uninterrupted
# one, as does a resume from an early checkpoint; predict of the saved model
# reproduces train's test RMSE; bad settings are refused.
source "$(dirname "$0")/common.bash"
command -v h5diff >/dev/null || { echo "h5diff not installed: skip"; exit 77; }

final_rmse() { sed -n 's/^final:.* test_rmse \([0-9.]*\).*/\1/p' "$1"; }

"$HPCREC" generate --out "$TMP/r.tsv" --users 400 --items 150 --ratings 8000 --seed 9 >/dev/null
"$HPCREC" split --ratings "$TMP/r.tsv" --holdout 0.1 --split-seed 1 --out-train "$TMP/train.tsv" \
  --out-test "$TMP/test.tsv" >/dev/null
args=(train --algo bpmf --ratings "$TMP/train.tsv" --test "$TMP/test.tsv" --factors 6 --samples 12 --burn-in 4 --init-sweeps 2
  --thin 2)

echo "== bitwise the same at 1-4 ranks and 2 threads"
run_np 1 "${args[@]}" --model "$TMP/m1.h5" >"$TMP/m1.log"
grep -q "bpmf: the model is the mean of 4 kept sample(s) (width 24 = 4 x 6 factors)" "$TMP/m1.log" ||
  fail "kept samples: $(cat "$TMP/m1.log")"
for np in 2 3 4; do
  run_np "$np" "${args[@]}" --model "$TMP/m$np.h5" >"$TMP/m$np.log"
  same_model "$TMP/m1.h5" "$TMP/m$np.h5"
  [ "$(final_rmse "$TMP/m1.log")" = "$(final_rmse "$TMP/m$np.log")" ] || fail "test RMSE differs at -n $np"
done
run_np 2 "${args[@]}" --threads 2 --model "$TMP/m2t.h5" >/dev/null
same_model "$TMP/m1.h5" "$TMP/m2t.h5"
"$HPCREC" predict --model "$TMP/m1.h5" --pairs "$TMP/test.tsv" --out "$TMP/p1.csv" 2>"$TMP/p1.err"
run_np 3 predict --model "$TMP/m3.h5" --pairs "$TMP/test.tsv" --out "$TMP/p3.csv" 2>/dev/null
cmp -s "$TMP/p1.csv" "$TMP/p3.csv" || fail "predictions differ between models of -n 1 and -n 3"
rmse=$(final_rmse "$TMP/m1.log")
prmse=$(sed -n 's/.*; rmse \([0-9.]*\) .*/\1/p' "$TMP/p1.err")
awk -v a="$rmse" -v b="$prmse" 'BEGIN { d = a - b; exit !(d < 5e-5 && d > -5e-5) }' ||
  fail "predict RMSE $prmse, train $rmse"
echo "samples identical at 1-4 ranks; test RMSE $rmse, predict's $prmse"
run_np 2 recommend --model "$TMP/m2.h5" --all --out "$TMP/rec.csv" >/dev/null 2>&1 || fail "recommend --all"
[ "$(wc -l <"$TMP/rec.csv")" -gt 400 ] || fail "recommend: too few lines"

echo "== resume from an early checkpoint at another rank count"
run_np 2 "${args[@]}" --checkpoint-dir "$TMP/ck" --checkpoint-every 1 --keep 0 --model "$TMP/full.h5" >/dev/null
same_model "$TMP/m1.h5" "$TMP/full.h5"
for f in "$TMP"/ck/ckpt-*.h5; do
  n=$(basename "$f" .h5 | sed 's/ckpt-0*//')
  [ "$n" -le 7 ] || rm "$f"
done
run_np 3 "${args[@]}" --checkpoint-dir "$TMP/ck" --resume auto --model "$TMP/resumed.h5" >"$TMP/resumed.log"
grep -q "resume: .*ckpt-000007.h5 (after iteration 7)" "$TMP/resumed.log" || fail "$(cat "$TMP/resumed.log")"
same_model "$TMP/m1.h5" "$TMP/resumed.h5"
[ "$(final_rmse "$TMP/m1.log")" = "$(final_rmse "$TMP/resumed.log")" ] || fail "test RMSE differs after resume"
echo "resumed at -n 3 after sample 7 (3 kept): identical samples and test RMSE"

echo "== SIGKILL of one rank at -n 2, resume at -n 3"
"$HPCREC" generate --out "$TMP/big.tsv" --users 20000 --items 2000 --ratings 300000 --seed 5 >/dev/null
big=(train --algo bpmf --ratings "$TMP/big.tsv" --factors 16 --samples 14 --burn-in 4 --thin 2)
run_np 2 "${big[@]}" --model "$TMP/big_full.h5" >/dev/null
CK=$TMP/ck2
"$MPIEXEC" -n 2 "$HPCREC" "${big[@]}" --checkpoint-dir "$CK" --checkpoint-every 1 >"$TMP/killed.log" 2>&1 &
mpi=$!
for _ in $(seq 1 1200); do
  [ -f "$CK/ckpt-000006.h5" ] && break
  kill -0 "$mpi" 2>/dev/null || break
  sleep 0.05
done
victim=$(pgrep -P "$mpi" | tail -n 1 || true)
[ -n "$victim" ] && kill -9 "$victim" && echo "killed rank pid $victim"
rc=0
wait "$mpi" || rc=$?
echo "mpirun exit $rc; checkpoints: $(ls "$CK" | tr '\n' ' ')"
run_np 3 "${big[@]}" --checkpoint-dir "$CK" --checkpoint-every 1 --resume auto --model "$TMP/big_resumed.h5" \
  >"$TMP/big_resumed.log" 2>&1 || fail "resume failed: $(cat "$TMP/big_resumed.log")"
grep "^resume:" "$TMP/big_resumed.log" || fail "no resume: $(cat "$TMP/big_resumed.log")"
same_model "$TMP/big_full.h5" "$TMP/big_resumed.h5"
echo "killed and resumed at -n 3: identical to the uninterrupted run"

echo "== refused"
base=(train --algo bpmf --ratings "$TMP/train.tsv" --factors 6)
expect_fail 2 "--burn-in 12 must be below --samples 12" run_np 1 "${base[@]}" --samples 12 --burn-in 12
expect_fail 2 "--algo bpmf counts --samples" run_np 1 "${base[@]}" --iterations 3
expect_fail 2 "factors differs" run_np 2 "${base[@]}" --test "$TMP/test.tsv" --samples 20 --burn-in 4 --thin 2 \
  --checkpoint-dir "$TMP/ck" --resume auto
expect_fail 2 "bpmf models do not fold in" run_np 1 recommend --model "$TMP/m1.h5" --user-ratings "$TMP/test.tsv"
echo PASS
