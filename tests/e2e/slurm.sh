#!/usr/bin/env bash
# A real single-node Slurm (slurmctld + slurmd on localhost, config in a temp
# dir, ../shared/RECIPES.md): train.sbatch with sbatch --wait, and cancelled
# mid-training (checkpoint, exit code 3); a 2 x 2 sweep
# (job array) and best.sh; requeue.sbatch requeued from outside mid-training,
# which completes from its checkpoint with the model of an uninterrupted run.
# Skips (77) only when the Slurm binaries are missing.
source "$(dirname "$0")/common.bash"
for b in slurmctld slurmd sbatch scontrol sinfo srun; do
  command -v "$b" >/dev/null || [ -x "/usr/sbin/$b" ] || { echo "$b not installed: skip"; exit 77; }
done
command -v h5diff >/dev/null || { echo "h5diff not installed: skip"; exit 77; }
export PATH=$PATH:/usr/sbin
SLURM_DIR=${SOURCE_DIR:?}/slurm
D=$TMP/slurm
mkdir -p "$D/state" "$D/spool" "$D/log"
# Two free ports below Linux's ephemeral range (32768 up, where the TCP-only
# tests running beside this one get theirs: CI once lost a port there).
port=
for try in $(seq 0 50); do
  p=$((20000 + ($$ + 97 * try) % 12000))
  if ! ss -Htln 2>/dev/null | awk '{ print $4 }' | grep -qE ":($p|$((p + 1)))\$"; then
    port=$p
    break
  fi
done
[ -n "$port" ] || fail "no free port pair for slurmctld and slurmd"
auth=none
if command -v munged >/dev/null && [ -r /etc/munge/munge.key ]; then auth=munge; fi
cat >"$D/slurm.conf" <<CONF
ClusterName=local
SlurmctldHost=localhost
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/$auth
CredType=cred/$auth
MpiDefault=pmix
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SlurmdParameters=config_overrides
MailProg=/bin/true
KillWait=10
StateSaveLocation=$D/state
SlurmdSpoolDir=$D/spool
SlurmctldPidFile=$D/slurmctld.pid
SlurmdPidFile=$D/slurmd.pid
SlurmctldLogFile=$D/log/slurmctld.log
SlurmdLogFile=$D/log/slurmd.log
NodeName=localhost NodeAddr=127.0.0.1 CPUs=4 Sockets=1 CoresPerSocket=4 ThreadsPerCore=1 RealMemory=2000 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$D/slurm.conf
stop_slurm() {
  for f in "$D/slurmd.pid" "$D/slurmctld.pid"; do
    [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
  done
  sleep 1.5
  rm -rf "$TMP"
}
trap stop_slurm EXIT
if [ "$auth" = munge ] && ! pgrep -x munged >/dev/null; then
  install -d -o munge -g munge -m 0755 /run/munge
  su -s /bin/sh munge -c /usr/sbin/munged
fi
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF" -N localhost
for _ in $(seq 1 300); do
  [ "$(sinfo -h -o %T 2>/dev/null)" = idle ] && break
  sleep 0.1
done
[ "$(sinfo -h -o %T)" = idle ] || fail "slurm did not come up: $(cat "$D"/log/*.log | tail -20)"
echo "slurm up (auth/$auth, port $port)"
job_state() { scontrol show job "$1" | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p'; }

"$HPCREC" generate --out "$TMP/r.tsv" --users 3000 --items 500 --ratings 60000 --seed 11 >/dev/null
export RATINGS=$TMP/r.tsv HPCREC
cd "$TMP"

echo "== train.sbatch"
OUT=$TMP/train FACTORS=8 ITERATIONS=4 sbatch --wait --ntasks=2 --cpus-per-task=1 "$SLURM_DIR/train.sbatch" ||
  fail "train.sbatch failed: $(cat hpcrec-train-*.out)"
cat hpcrec-train-*.out
for f in model.h5 top10.csv metrics.jsonl; do [ -s "$TMP/train/$f" ] || fail "train.sbatch: no $f"; done
grep -q '"final": *true' "$TMP/train/metrics.jsonl" || fail "no final metrics"
grep -q "on 2 rank(s)" hpcrec-train-*.out || fail "not 2 ranks"
run_np 1 train --ratings "$RATINGS" --holdout 0.1 --factors 8 --iterations 4 --model "$TMP/ref4.h5" >/dev/null
h5diff "$TMP/train/model.h5" "$TMP/ref4.h5" /items/factors /items/factors || fail "Slurm model differs"

echo "== train.sbatch cancelled mid-training (scancel: TERM to the script and the step): checkpoint, exit code 3"
"$HPCREC" generate --out "$TMP/big.tsv" --users 20000 --items 3000 --ratings 400000 --seed 5 >/dev/null
job=$(RATINGS=$TMP/big.tsv OUT=$TMP/cancel FACTORS=24 ITERATIONS=100000 \
  sbatch --parsable --ntasks=2 --cpus-per-task=1 "$SLURM_DIR/train.sbatch")
for _ in $(seq 1 1200); do
  [ -s "$TMP/cancel/metrics.jsonl" ] && break
  sleep 0.1
done
[ -s "$TMP/cancel/metrics.jsonl" ] || fail "train.sbatch: no iteration: $(cat hpcrec-train-"$job".out)"
scancel "$job"
for _ in $(seq 1 600); do
  [ -z "$(squeue -h -j "$job" 2>/dev/null)" ] && break
  sleep 0.1
done
cat hpcrec-train-"$job".out
scontrol show job "$job" | grep -q "ExitCode=3:0" ||
  fail "cancelled train.sbatch: $(scontrol show job "$job" | grep -oE 'JobState=[A-Z]+|ExitCode=[0-9:]+' | tr '\n' ' ')"
ls "$TMP"/cancel/checkpoints/ckpt-*.h5 >/dev/null || fail "cancelled train.sbatch: no checkpoint"
grep -qE "stopped by SIG[A-Z0-9]+ after iteration [0-9]+" hpcrec-train-"$job".out || fail "no stop message"

echo "== update.sbatch"
mkdir -p "$TMP/models"
cp "$TMP/train/model.h5" "$TMP/models/model-0.h5"
ln -s model-0.h5 "$TMP/models/current.h5"
"$HPCREC" generate --out "$TMP/new.tsv" --users 3500 --items 520 --ratings 3000 --seed 12 >/dev/null
MODEL_DIR=$TMP/models NEW=$TMP/new.tsv sbatch --wait --ntasks=2 --cpus-per-task=1 "$SLURM_DIR/update.sbatch" ||
  fail "update.sbatch failed: $(cat hpcrec-update-*.out)"
cat hpcrec-update-*.out
[ "$(readlink "$TMP/models/current.h5")" != model-0.h5 ] || fail "update.sbatch: current.h5 not moved on"
ls "$TMP"/models/top10-*.h5 >/dev/null || fail "update.sbatch: no top-N"
nu=$(cut -f1 "$TMP/new.tsv" | sort -n | tail -n 1)  # above the 3000 users of the first model
"$HPCREC" recommend --model "$TMP/models/current.h5" --user "$nu" --top-n 3 >"$TMP/nu.csv" 2>/dev/null
grep -q "^$nu,1," "$TMP/nu.csv" && ! grep -q ',popular$' "$TMP/nu.csv" ||
  fail "update.sbatch: new user $nu is not in the updated model: $(cat "$TMP/nu.csv")"

echo "== sweep.sbatch (tune in one allocation: 2 ranks, groups of 1)"
OUT=$TMP/sweep ALGO=als BUDGET=2 SPACE="factors=4,8;lambda=0.05,0.2" EXTRA_ARGS="--iterations 3" \
  sbatch --wait --ntasks=2 "$SLURM_DIR/sweep.sbatch" || fail "sweep failed: $(cat hpcrec-sweep-*.out)"
grep -qE "^best: trial [0-9]+, validation test_rmse [0-9.]+: factors=[48] lambda=" hpcrec-sweep-*.out ||
  fail "sweep: no winner: $(cat hpcrec-sweep-*.out)"
grep -q "2 group(s) of 1 rank(s)" hpcrec-sweep-*.out || fail "sweep: not 2 groups"
grep -q "^factors = [48]$" "$TMP/sweep/best.ini" || fail "sweep: best.ini: $(cat "$TMP/sweep/best.ini")"
[ -f "$TMP/sweep/model.h5" ] || fail "sweep: no model"

echo "== requeue.sbatch, requeued from outside mid-training"
# Slower runs so the requeue lands mid-training: bigger data (big.tsv), more iterations.
run_np 2 train --ratings "$TMP/big.tsv" --holdout 0.1 --factors 24 --iterations 10 --model "$TMP/ref10.h5" >/dev/null
job=$(RATINGS=$TMP/big.tsv OUT=$TMP/rq FACTORS=24 ITERATIONS=10 \
  sbatch --parsable --ntasks=2 --cpus-per-task=1 "$SLURM_DIR/requeue.sbatch")
for _ in $(seq 1 1200); do
  ls "$TMP"/rq/checkpoints/ckpt-*.h5 >/dev/null 2>&1 && break
  sleep 0.1
done
ls "$TMP"/rq/checkpoints/ckpt-*.h5 >/dev/null 2>&1 || fail "no checkpoint: $(cat hpcrec-requeue-*.out)"
scontrol requeue "$job"
scontrol update JobId="$job" StartTime=now || true
for _ in $(seq 1 900); do
  s=$(job_state "$job")
  case $s in
    COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY) break ;;
    PENDING) scontrol update JobId="$job" StartTime=now 2>/dev/null || true ;;
  esac
  sleep 0.2
done
cat hpcrec-requeue-"$job".out
[ "$(job_state "$job")" = COMPLETED ] || fail "requeued job ended $(job_state "$job")"
scontrol show job "$job" | grep -q "Restarts=1" || fail "job was not restarted"
grep -E "^resume: .*ckpt-[0-9]+\.h5 \(after iteration [0-9]+\)" hpcrec-requeue-"$job".out ||
  fail "second run did not resume from a checkpoint"
for d in /users/factors /items/factors /users/bias /items/bias; do
  h5diff "$TMP/rq/model.h5" "$TMP/ref10.h5" "$d" "$d" || fail "requeued model: $d differs"
done
echo PASS
