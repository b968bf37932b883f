# Sourced by the end-to-end tests. ctest sets HPCREC, MPIEXEC, SHARED_DATA.
set -euo pipefail
: "${HPCREC:?run through ctest (HPCREC is the hpcrec binary)}"
MPIEXEC=${MPIEXEC:-mpirun}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

run_np() {  # run_np N hpcrec-args...
  local n=$1
  shift
  # Through tests/mpi_run.sh: one repeat on Open MPI's launcher exit race
  # (open-mpi/ompi#7833), as for the multi-rank gtest binaries.
  bash "$(dirname "${BASH_SOURCE[0]}")/../mpi_run.sh" "$MPIEXEC" -n "$n" "$HPCREC" "$@"
}

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# same_model A B: identical factors and biases (h5diff: the caller checks it is installed).
same_model() {
  for d in /users/factors /items/factors /users/bias /items/bias; do
    h5diff "$1" "$2" "$d" "$d" >/dev/null || fail "$d differs between $1 and $2"
  done
}

# expect_fail CODE PATTERN command...: the command exits with CODE and its
# output matches PATTERN (a started-but-failed mpiexec must not pass).
expect_fail() {
  local code=$1 pattern=$2
  shift 2
  local out rc=0
  out=$("$@" 2>&1) || rc=$?
  [ "$rc" = "$code" ] || fail "expected exit $code, got $rc from: $* -- output: $out"
  grep -qE -- "$pattern" <<<"$out" || fail "expected /$pattern/ in output of: $* -- output: $out"
}

# movies.csv of the genre checkerboards (e2e_content, e2e_hybrid): items
# 0..49 comedies, 50..99 horror films, 100..109 comedies (left unrated by
# the tests: cold start).
checkerboard_movies() {
  echo "movieId,title,genres"
  local i g
  for i in $(seq 0 109); do
    if [ "$i" -lt 50 ] || [ "$i" -ge 100 ]; then g="Comedy|Romance"; else g="Horror|Thriller"; fi
    echo "$i,\"Film $i, part $((i % 7))\",$g"
  done
}
