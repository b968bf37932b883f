#!/usr/bin/env bash
# The paper projection of docs/SCALING.md: `hpcrec plan` on a generated
# shape (default 10M users x 1M items, 1B ratings, the generator's seed-42
# activity and popularity laws), k = 64, als and ials, P = 64 ... 1024. No
# file is written and no training runs: the shape comes from the generator's
# per-user counts and per-item popularity. Prints, per P, the largest rank's
# peak memory and its biggest terms, the bytes exchanged per iteration, and
# the predicted seconds per iteration (at GFLOPS per rank and NET GB/s per
# rank: defaults are this machine's measured rate, pass GFLOPS to fix it).
#
#   bench/plan_projection.sh
#   USERS=1000000 ITEMS=100000 RATINGS=100000000 RANKS="2 4 8" bench/plan_projection.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-${BUILD_DIR:-build}/hpcrec}
USERS=${USERS:-10000000} ITEMS=${ITEMS:-1000000} RATINGS=${RATINGS:-1000000000}
RANKS=${RANKS:-"64 128 256 512 1024"} ALGOS=${ALGOS:-"als ials"} K=${K:-64}
NET=${NET:-10} RANKS_PER_NODE=${RANKS_PER_NODE:-32} MEM_MB=${MEM_MB:-8000}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
if [ -z "${GFLOPS:-}" ]; then
  GFLOPS=$("$BIN" plan --users 1000 --items 100 --ratings 10000 --ranks 1 --factors "$K" --json |
    python3 -c 'import json,sys; print("%.2f" % json.load(sys.stdin)["gflops_per_rank"])')
fi
echo "shape: $USERS users x $ITEMS items, $RATINGS ratings (generate --seed 42), k = $K; solver $GFLOPS GFLOP/s per rank," \
  "network $NET GB/s per rank, $RANKS_PER_NODE ranks per node, $MEM_MB MB per rank"
for algo in $ALGOS; do
  echo
  echo "== $algo"
  printf "%5s | %10s %-12s | %9s %9s %9s %9s %9s %9s | %10s %9s | %8s\n" P peak_MB phase id_maps counts CSR factors \
    gathered plans GB_exch/it MB/rank s/iter
  for p in $RANKS; do
    "$BIN" plan --users "$USERS" --items "$ITEMS" --ratings "$RATINGS" --ranks "$p" --algo "$algo" --factors "$K" \
      --gflops "$GFLOPS" --network-gbps "$NET" --ranks-per-node "$RANKS_PER_NODE" --memory-per-rank "$MEM_MB" --json |
      python3 -c '
import json, sys
j = json.load(sys.stdin)
big = max(j["per_rank"], key=lambda r: r["peak_mb"])
t = big["peak_terms_mb"]
def term(prefix):
    return sum(v for k, v in t.items() if k.startswith(prefix))
print("%5d | %10.0f %-12s | %9.0f %9.0f %9.0f %9.0f %9.0f %9.0f | %10.1f %9.1f | %8.2f%s" % (
    j["ranks"], big["peak_mb"], big["peak_phase"][:12], term("id maps"), term("row counts"), term("CSR"),
    term("factors"), term("gathered"), term("routing"), j["mb_exchanged_per_iteration"] / 1e3,
    max(r["mb_received_per_iteration"] for r in j["per_rank"]), j["seconds_per_iteration"],
    "  OVER" if any(r["over_memory"] for r in j["per_rank"]) else ""))'
  done
done
echo
echo "peak_MB: the largest rank; the term columns are that rank's at its peak phase (MB); MB/rank: the most a rank receives"
