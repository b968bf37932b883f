#!/usr/bin/env bash
# The TCP-only pass really runs over TCP: under the environment ctest gives
# the *_tcp tests (tests/CMakeLists.txt, MPI_TCP_ENV), a 3-rank run of an MPI
# test binary opens only the self and tcp BTLs, Open MPI's BML reports tcp
# as the path to every other rank, and no shared-memory BTL (vader, sm) is
# opened at all. Usage: tcp_transport.sh MPIEXEC TEST_BINARY [args...]
set -euo pipefail
mpiexec=$1
shift
out=$("$mpiexec" -n 3 --mca btl_base_verbose 100 "$@" 2>&1) || {
  echo "$out"
  echo "FAIL: the run failed over TCP only" >&2
  exit 1
}
fail() {
  echo "$out" | grep -E "btl|bml" | head -n 60
  echo "FAIL: $*" >&2
  exit 1
}
[ "${OMPI_MCA_btl:-}" = "self,tcp" ] || fail "OMPI_MCA_btl is '${OMPI_MCA_btl:-}', expected self,tcp"
[ "${OMPI_MCA_pml:-}" = "ob1" ] || fail "OMPI_MCA_pml is '${OMPI_MCA_pml:-}', expected ob1"
# Each of the 3 ranks reaches each of the other 2 over tcp.
n=$(grep -c "mca: bml: Using tcp btl for send to" <<<"$out" || true)
[ "$n" -ge 6 ] || fail "expected tcp as the path between every pair of ranks (6 lines), got $n"
if grep -qE "Using (vader|sm|smcuda|ofi|openib|uct) btl|found loaded component (vader|sm)\b" <<<"$out"; then
  fail "a transport other than tcp and self was opened"
fi
echo "PASS: $n rank pairs over tcp, no shared-memory BTL"
