#!/bin/bash
# Picks the best configuration of a sweep (slurm/sweep.sbatch).
# Usage: best.sh SWEEP_DIR [METRIC]   (METRIC: test_rmse by default; lower is better)
# Reads SWEEP_DIR/*/metrics.jsonl (the line with "final": true) and
# SWEEP_DIR/*/params; prints every configuration sorted, then "best: ...".
# Exits 1 if no task has finished.
set -euo pipefail
dir=${1:?usage: best.sh SWEEP_DIR [METRIC]}
metric=${2:-test_rmse}
rows=()
for m in "$dir"/*/metrics.jsonl; do
  [ -f "$m" ] || continue
  final=$(grep '"final": true' "$m" | tail -n 1) || continue
  value=$(sed -n "s/.*\"$metric\": \([-0-9.eE+]*\).*/\1/p" <<<"$final")
  [ -n "$value" ] || continue
  params=$(tr '\n' ' ' <"$(dirname "$m")/params" 2>/dev/null || basename "$(dirname "$m")")
  rows+=("$value $params")
done
if [ ${#rows[@]} -eq 0 ]; then
  echo "best.sh: no finished task with a final $metric under $dir" >&2
  exit 1
fi
printf '%s\n' "${rows[@]}" | sort -g | awk -v m="$metric" '{ printf "%s %s", m, $1; for (i = 2; i <= NF; ++i) printf " %s", $i; print "" }'
best=$(printf '%s\n' "${rows[@]}" | sort -g | head -n 1)
echo "best: ${best#* }($metric ${best%% *})"
