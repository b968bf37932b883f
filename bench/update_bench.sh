#!/usr/bin/env bash
# Update speed: ~10M generated ratings (100k users, 20k items, k = 64, ALS).
# 5% of the ratings (by hash) are the test; of the rest, the new
# interactions are every rating of 5% of the users (new users), of 2% of the
# items (new items), and 3% of the others (about 1M in all); the initial
# model trains on what remains. `update` (default sweeps) against a full
# retrain on initial + new (default iterations), at 1 and 2 ranks: seconds
# (wall, reading and writing included, and training alone), test RMSE, and
# the retrain's first iteration whose test RMSE is within 0.5% of update's.
# `update --scope touched` (only the users and items of the new interactions
# solved) beside it.
source "$(dirname "$0")/common.bash"
K=${K:-64}
split="$OUT/update_split"
mkdir -p "$split"
if [ ! -f "$split/initial.tsv" ]; then
  awk -v out="$split" -F'\t' '{
      h = ($1 * 2654435761 + $2 * 40503) % 1000
      if (h < 50) { print > out "/test.tsv"; next }
      if ($1 % 20 == 0 || $2 % 50 == 0 || h % 100 < 3) print > out "/new.tsv"; else print > out "/initial.tsv"
    }' "$data"
  cat "$split/initial.tsv" "$split/new.tsv" >"$split/all.tsv"
fi
echo "initial $(wc -l <"$split/initial.tsv"), new $(wc -l <"$split/new.tsv"), test $(wc -l <"$split/test.tsv") ratings; k = $K"
printf "%-5s %-8s %8s %8s %11s %26s\n" ranks run wall_s train_s test_rmse "retrain iters to within 0.5%"
for n in $RANKS; do
  mpirun -n "$n" --bind-to core "$BIN" train --ratings "$split/initial.tsv" --factors "$K" \
    --model "$OUT/update_m0_np$n.h5" >"$OUT/update_initial_np$n.log"
  s=$(date +%s.%N)
  mpirun -n "$n" --bind-to core "$BIN" update --model "$OUT/update_m0_np$n.h5" --ratings "$split/new.tsv" \
    --model-out "$OUT/update_m1_np$n.h5" --test "$split/test.tsv" --metrics-out "$OUT/update_np$n.jsonl" \
    >"$OUT/update_np$n.log"
  uw=$(echo "$(date +%s.%N) - $s" | bc)
  s=$(date +%s.%N)
  mpirun -n "$n" --bind-to core "$BIN" update --model "$OUT/update_m0_np$n.h5" --ratings "$split/new.tsv" \
    --model-out "$OUT/update_t1_np$n.h5" --test "$split/test.tsv" --metrics-out "$OUT/update_touched_np$n.jsonl" \
    --scope touched >"$OUT/update_touched_np$n.log"
  tw=$(echo "$(date +%s.%N) - $s" | bc)
  grep '^scope touched' "$OUT/update_touched_np$n.log"
  s=$(date +%s.%N)
  mpirun -n "$n" --bind-to core "$BIN" train --ratings "$split/all.tsv" --factors "$K" --test "$split/test.tsv" \
    --metrics-out "$OUT/retrain_np$n.jsonl" >"$OUT/retrain_np$n.log"
  rw=$(echo "$(date +%s.%N) - $s" | bc)
  uf=$(tail -n 1 "$OUT/update_np$n.jsonl")
  tf=$(tail -n 1 "$OUT/update_touched_np$n.jsonl")
  rf=$(tail -n 1 "$OUT/retrain_np$n.jsonl")
  ur=$(field test_rmse "$uf")
  # The retrain's first iteration within 0.5% of update's test RMSE, and its training seconds to there.
  reach=$(awk -v target="$ur" '!/final/ { it++; if (match($0, /"seconds": ?[0-9.e+-]+/)) { v = substr($0, RSTART, RLENGTH); sub(/.*: ?/, "", v); s += v }
      if (match($0, /"test_rmse": ?[0-9.e+-]+/)) { r = substr($0, RSTART, RLENGTH); sub(/.*: ?/, "", r) }
      if (r <= target * 1.005) { printf "%d (%.1f s)", it, s; found = 1; exit } }
    END { if (!found) print "never" }' "$OUT/retrain_np$n.jsonl")
  printf "%-5d %-8s %8.1f %8.1f %11.4f %26s\n" "$n" update "$uw" "$(field seconds "$uf")" "$ur" "-"
  printf "%-5d %-8s %8.1f %8.1f %11.4f %26s\n" "$n" touched "$tw" "$(field seconds "$tf")" "$(field test_rmse "$tf")" "-"
  printf "%-5d %-8s %8.1f %8.1f %11.4f %26s\n" "$n" retrain "$rw" "$(field seconds "$rf")" "$(field test_rmse "$rf")" "${reach:-never}"
done
# A small batch (every 50th new interaction, about 18k): the case --scope
# touched is for, when the new interactions name a fraction of the rows.
awk 'NR % 50 == 0' "$split/new.tsv" >"$split/new_small.tsv"
echo "small batch: $(wc -l <"$split/new_small.tsv") new ratings"
printf "%-5s %-8s %8s %8s %11s\n" ranks scope wall_s train_s test_rmse
for n in $RANKS; do
  for scope in all touched; do
    s=$(date +%s.%N)
    mpirun -n "$n" --bind-to core "$BIN" update --model "$OUT/update_m0_np$n.h5" --ratings "$split/new_small.tsv" \
      --model-out "$OUT/update_s_np$n.h5" --test "$split/test.tsv" --metrics-out "$OUT/update_small_np$n.jsonl" \
      --scope "$scope" >"$OUT/update_small_np$n.log"
    w=$(echo "$(date +%s.%N) - $s" | bc)
    grep '^scope touched' "$OUT/update_small_np$n.log" || true
    f=$(tail -n 1 "$OUT/update_small_np$n.jsonl")
    printf "%-5d %-8s %8.1f %8.1f %11.4f\n" "$n" "$scope" "$w" "$(field seconds "$f")" "$(field test_rmse "$f")"
  done
done
