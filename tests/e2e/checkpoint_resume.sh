#!/usr/bin/env bash
# Checkpoints: a rank killed (SIGKILL) mid-run at -n 2, resumed at -n 3 with
# --resume auto, ends bitwise equal to an uninterrupted run; a truncated or
# corrupt newest checkpoint is reported and the previous one used; SIGTERM
# checkpoints and exits 3; SIGUSR1 to mpirun gives exit 3 and a checkpoint; mismatches name the field; keep-K rotation; an
# unwritable checkpoint directory is a clear error.
source "$(dirname "$0")/common.bash"
command -v h5diff >/dev/null || { echo "h5diff not installed: skip"; exit 77; }

newest() { ls "$1" 2>/dev/null | grep -E '^ckpt-[0-9]+\.h5$' | sort | tail -n 1; }
rank_pids() { pgrep -P "$1" || true; }  # the ranks are mpirun's children

# Big enough that an iteration takes a noticeable time (the kill lands mid-run).
"$HPCREC" generate --out "$TMP/r.tsv" --users 20000 --items 3000 --ratings 400000 --seed 5 >/dev/null
args=(train --ratings "$TMP/r.tsv" --factors 24)
run_np 2 "${args[@]}" --iterations 8 --model "$TMP/full8.h5" >/dev/null

echo "== SIGKILL of one rank after iteration 3 of 8 at -n 2, resume at -n 3"
CK=$TMP/ck
"$MPIEXEC" -n 2 "$HPCREC" "${args[@]}" --iterations 8 --checkpoint-dir "$CK" --checkpoint-every 1 \
  >"$TMP/killed.log" 2>&1 &
mpi=$!
for _ in $(seq 1 1200); do
  [ -f "$CK/ckpt-000003.h5" ] && break
  kill -0 "$mpi" 2>/dev/null || break
  sleep 0.05
done
[ -f "$CK/ckpt-000003.h5" ] || fail "no checkpoint after iteration 3: $(cat "$TMP/killed.log")"
victim=$(rank_pids "$mpi" | tail -n 1)
[ -n "$victim" ] && kill -9 "$victim" && echo "killed rank pid $victim"
rc=0
wait "$mpi" || rc=$?
at_kill=$(newest "$CK")
echo "mpirun exit $rc; newest checkpoint after the kill: $at_kill; files: $(ls "$CK" | tr '\n' ' ')"
[ "$rc" != 0 ] || echo "note: the run finished before the kill landed (a fast machine); resuming still checked"
run_np 3 "${args[@]}" --iterations 8 --checkpoint-dir "$CK" --checkpoint-every 1 --resume auto \
  --model "$TMP/resumed.h5" >"$TMP/resumed.log" 2>&1 || fail "resume failed: $(cat "$TMP/resumed.log")"
grep -E "^resume: .*ckpt-0000(0[3-8])\.h5 \(after iteration [3-8]\)" "$TMP/resumed.log" ||
  fail "did not resume from a checkpoint at or after iteration 3: $(cat "$TMP/resumed.log")"
same_model "$TMP/full8.h5" "$TMP/resumed.h5"
echo "resumed at -n 3: factors identical to the uninterrupted run"
# Keep-K (default 2): only the newest two remain, no .tmp left behind.
[ "$(ls "$CK" | tr '\n' ' ')" = "ckpt-000007.h5 ckpt-000008.h5 " ] || fail "rotation left: $(ls "$CK")"

echo "== truncated newest checkpoint: reported, previous one used"
CT=$TMP/ct
run_np 2 "${args[@]}" --iterations 4 --checkpoint-dir "$CT" --checkpoint-every 1 --keep 3 >/dev/null
size=$(stat -c %s "$CT/ckpt-000004.h5")
truncate -s $((size / 2)) "$CT/ckpt-000004.h5"
run_np 1 "${args[@]}" --iterations 8 --checkpoint-dir "$CT" --resume auto --model "$TMP/trunc.h5" \
  >"$TMP/trunc.log" 2>&1 || fail "resume after truncation failed: $(cat "$TMP/trunc.log")"
grep -E "checkpoint $CT/ckpt-000004.h5 is incomplete or corrupt: .*; using $CT/ckpt-000003.h5" "$TMP/trunc.log" ||
  fail "no clear message about the truncated checkpoint: $(cat "$TMP/trunc.log")"
grep -q "^resume: $CT/ckpt-000003.h5 (after iteration 3)" "$TMP/trunc.log" || fail "did not use ckpt 3"
same_model "$TMP/full8.h5" "$TMP/trunc.h5"
grep "incomplete or corrupt" "$TMP/trunc.log"

echo "== corrupt data (checksum) in the newest checkpoint, and --resume FILE on it"
rm -f "$CT"/ckpt-000004.h5
# Overwrite 64 bytes in the middle of the factor data (the file stays a valid HDF5 file).
size=$(stat -c %s "$CT/ckpt-000003.h5")
printf '%064d' 7 | dd of="$CT/ckpt-000003.h5" bs=1 seek=$((size / 2)) conv=notrunc status=none
out=$(run_np 2 "${args[@]}" --iterations 4 --checkpoint-dir "$CT" --resume auto 2>&1) || fail "$out"
grep -qE "ckpt-000003.h5 is incomplete or corrupt: .*(checksum|failed).*; using $CT/ckpt-000002.h5" <<<"$out" ||
  fail "corruption not reported: $out"
expect_fail 2 "ckpt-000003.h5 is incomplete or corrupt" run_np 2 "${args[@]}" --resume "$CT/ckpt-000003.h5"

echo "== mismatches name the field; --resume-force accepts new hyper-parameters"
expect_fail 2 "lambda differs: checkpoint 0.12.*this run 0.2.*--resume-force" \
  run_np 2 "${args[@]}" --lambda 0.2 --checkpoint-dir "$CK" --resume auto
expect_fail 2 "factors differs: checkpoint 24, this run 16" \
  run_np 2 train --ratings "$TMP/r.tsv" --factors 16 --checkpoint-dir "$CK" --resume auto
head -n 100000 "$TMP/r.tsv" >"$TMP/other.tsv"
expect_fail 2 "checkpoint .*: (users|items|user_ids_hash|item_ids_hash|ratings|ratings_hash) differs" \
  run_np 2 train --ratings "$TMP/other.tsv" --factors 24 --checkpoint-dir "$CK" --resume auto
out=$(run_np 2 "${args[@]}" --iterations 9 --lambda 0.2 --checkpoint-dir "$CK" --resume auto --resume-force 2>&1) ||
  fail "--resume-force failed: $out"
grep -q "resume: --resume-force: lambda: checkpoint 0.12" <<<"$out" || fail "no --resume-force note: $out"
expect_fail 2 "--resume auto needs --checkpoint-dir" run_np 1 "${args[@]}" --resume auto
expect_fail 2 "--checkpoint-every must be >= 0" run_np 1 "${args[@]}" --checkpoint-dir "$CK" --checkpoint-every -1

echo "== SIGTERM: checkpoint, exit status 3, then resume to the same model"
CS=$TMP/cs
"$MPIEXEC" -n 2 "$HPCREC" "${args[@]}" --iterations 8 --checkpoint-dir "$CS" --metrics-out "$TMP/sig.jsonl" \
  >"$TMP/sig.log" 2>&1 &
mpi=$!
for _ in $(seq 1 1200); do
  [ "$(cat "$TMP/sig.jsonl" 2>/dev/null | wc -l)" -ge 2 ] && break
  kill -0 "$mpi" 2>/dev/null || break
  sleep 0.05
done
for p in $(rank_pids "$mpi"); do kill -TERM "$p"; done
rc=0
wait "$mpi" || rc=$?
cat "$TMP/sig.log"
if [ "$rc" = 0 ] && ! grep -q "stopped by" "$TMP/sig.log"; then
  echo "note: the run finished before SIGTERM landed"
else
  [ "$rc" = 3 ] || fail "expected exit status 3 after SIGTERM, got $rc"
  grep -qE "stopped by SIGTERM after iteration [0-9]+: resume with --resume auto \(exit status 3\)" "$TMP/sig.log" ||
    fail "no stop message"
  [ -n "$(newest "$CS")" ] || fail "no checkpoint written on SIGTERM"
  run_np 3 "${args[@]}" --iterations 8 --checkpoint-dir "$CS" --resume auto --model "$TMP/sig.h5" \
    --metrics-out "$TMP/sig.jsonl" >/dev/null
  same_model "$TMP/full8.h5" "$TMP/sig.h5"
  [ "$(grep -c '"iteration"' "$TMP/sig.jsonl")" -ge 9 ] || fail "metrics not appended on resume"
fi

echo "== SIGUSR1 to mpirun (README: how to stop a job under mpirun): exit 3 and a checkpoint, 3 times in a row"
# Open MPI forwards SIGUSR1 to every rank; SIGTERM to mpirun would make it
# end the job itself (exit 1, ranks killed 1 s after its own SIGTERM).
for t in 1 2 3; do
  CU=$TMP/cu$t
  "$MPIEXEC" -n 2 "$HPCREC" "${args[@]}" --iterations 500 --checkpoint-dir "$CU" --metrics-out "$TMP/usr1.jsonl" \
    >"$TMP/usr1.log" 2>&1 &
  mpi=$!
  # The first record is written after the stop handlers are installed.
  for _ in $(seq 1 1200); do
    [ -s "$TMP/usr1.jsonl" ] && break
    kill -0 "$mpi" 2>/dev/null || break
    sleep 0.05
  done
  kill -USR1 "$mpi"
  rc=0
  wait "$mpi" || rc=$?
  [ "$rc" = 3 ] || fail "try $t: mpirun exit $rc after SIGUSR1, expected 3: $(tail -n 8 "$TMP/usr1.log")"
  grep -qE "stopped by SIGUSR1 after iteration [0-9]+: resume with --resume auto \(exit status 3\)" "$TMP/usr1.log" ||
    fail "try $t: no stop message: $(tail -n 5 "$TMP/usr1.log")"
  ck=$(newest "$CU")
  [ -n "$ck" ] || fail "try $t: no checkpoint written on SIGUSR1"
  echo "try $t: mpirun exit 3, $ck"
  rm -f "$TMP/usr1.jsonl"
done

echo "== unwritable checkpoint directory: clear error before training"
touch "$TMP/plainfile"
expect_fail 2 "--checkpoint-dir $TMP/plainfile/ck: cannot create the directory" \
  run_np 2 "${args[@]}" --iterations 2 --checkpoint-dir "$TMP/plainfile/ck" --checkpoint-every 1
echo PASS
