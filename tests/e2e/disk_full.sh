#!/usr/bin/env bash
# A full disk at 1, 2 and 3 ranks: the model, checkpoints, top-N (HDF5
# and CSV) and the metrics (--metrics-out) each end every rank within
# seconds with a message naming the path and the lack of space, exit 2;
# the file previously at the path is intact and no temporary file is left;
# metrics appended on --resume keep the earlier records, whole records only. Needs root to mount a small tmpfs;
# skipped (77) otherwise.
source "$(dirname "$0")/common.bash"

full="$TMP/full"
mkdir -p "$full"
if [ "$(id -u)" != 0 ] || ! mount -t tmpfs -o size=2m tmpfs "$full" 2>/dev/null; then
  echo "cannot mount a tmpfs here: skipped"
  exit 77
fi
trap 'umount "$full" 2>/dev/null; rm -rf "$TMP"' EXIT

"$HPCREC" generate --out "$TMP/r.tsv" --users 3000 --items 800 --ratings 60000 --seed 2 >/dev/null
echo previous >"$full/m.h5"
echo previous >"$full/top.h5"
echo previous >"$full/top.csv"
# [iters=N] full_run NAME NP train-args...: fails with exit 2 and the message, no hang.
full_run() {
  local name=$1 n=$2
  shift 2
  local rc=0
  timeout 120 "$MPIEXEC" -n "$n" "$HPCREC" train --ratings "$TMP/r.tsv" --iterations "${iters:-2}" "$@" \
    >"$TMP/$name.log" 2>&1 || rc=$?
  [ "$rc" != 124 ] || fail "$name at $n ranks: hung"
  [ "$rc" = 2 ] || fail "$name at $n ranks: exit $rc, expected 2: $(tail -n 5 "$TMP/$name.log")"
  grep -qi "no space left on device" "$TMP/$name.log" || fail "$name at $n ranks: no 'no space' message: $(tail -n 3 "$TMP/$name.log")"
  grep -q "$full" "$TMP/$name.log" || fail "$name at $n ranks: the message does not name the path"
  [ -z "$(find "$full" -name '*.tmp')" ] || fail "$name at $n ranks: temporary files left: $(ls "$full")"
}
for n in 1 2 3; do
  full_run model $n --factors 128 --model "$full/m.h5"
  full_run checkpoint $n --factors 128 --checkpoint-dir "$full/ck" --checkpoint-every 1
  full_run topn_h5 $n --factors 4 --top-n 100 --recommendations "$full/top.h5"
  full_run topn_csv $n --factors 4 --top-n 100 --recommendations "$full/top.csv"
done
for f in m.h5 top.h5 top.csv; do
  [ "$(cat "$full/$f")" = previous ] || fail "$f: the previous file was not kept"
done

# Metrics: records are small, so the disk is filled to the last byte first.
echo '{"previous": true}' >"$full/metrics.jsonl"
for n in 1 2 3; do
  rm -rf "$TMP/ck" "$full/fill" "$full/resumed.jsonl"
  # With room: two iterations' records and a checkpoint to resume from.
  timeout 120 "$MPIEXEC" -n "$n" "$HPCREC" train --ratings "$TMP/r.tsv" --factors 4 --iterations 2 \
    --checkpoint-dir "$TMP/ck" --checkpoint-every 1 --metrics-out "$full/resumed.jsonl" >"$TMP/first.log" 2>&1 ||
    fail "metrics at $n ranks: the run with room failed: $(tail -n 5 "$TMP/first.log")"
  cp "$full/resumed.jsonl" "$TMP/before.jsonl"
  cat /dev/zero >"$full/fill" 2>/dev/null || true
  full_run metrics $n --factors 4 --metrics-out "$full/metrics.jsonl"
  [ "$(cat "$full/metrics.jsonl")" = '{"previous": true}' ] || fail "metrics at $n ranks: the previous file was not kept"
  # --resume appends; the records fill the file's last page, then a write fails.
  iters=60 full_run metrics_resume $n --factors 4 --checkpoint-dir "$TMP/ck" --resume auto \
    --metrics-out "$full/resumed.jsonl"
  cmp -s -n "$(stat -c %s "$TMP/before.jsonl")" "$TMP/before.jsonl" "$full/resumed.jsonl" ||
    fail "metrics at $n ranks: --resume lost the earlier records"
  [ -z "$(grep -v '^{.*}$' "$full/resumed.jsonl")" ] && [ -z "$(tail -c 1 "$full/resumed.jsonl")" ] ||
    fail "metrics at $n ranks: a partial record is left: $(tail -c 200 "$full/resumed.jsonl")"
done
rm -f "$full/fill"
echo PASS
