# Sourced by the bench/*_bench.sh scripts: the binary, the output folder,
# MPI as root, and the generated dataset (made once, then reused):
# USERS x ITEMS with RATINGS ratings from `hpcrec generate --seed 42`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BIN=${BIN:-${BUILD_DIR:-build}/hpcrec}
OUT=${OUT:-out/bench}
USERS=${USERS:-100000} ITEMS=${ITEMS:-20000} RATINGS=${RATINGS:-10000000}
RANKS=${RANKS:-"1 2"}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none
mkdir -p "$OUT"
data="$OUT/ratings_${USERS}_${ITEMS}_${RATINGS}.tsv"
[ -f "$data" ] || "$BIN" generate --out "$data" --users "$USERS" --items "$ITEMS" --ratings "$RATINGS" --seed 42

# The machine the numbers come from (bench tables and bench/plots.sh name it):
# the CPU model, and the SIMD ISA the kernels dispatch to (`hpcrec --version`:
# the best the CPU has, or what HPCREC_SIMD caps it to), e.g. avx512 or avx2.
cpu_name() {
  local m
  m=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo 2>/dev/null | head -n 1)
  echo "${m:-$(uname -m)}"
}
cpu_isa() {
  local isa
  isa=$("$BIN" --version 2>/dev/null | sed -n 's/^simd: \([a-z0-9]*\).*/\1/p')
  echo "${isa:-$(uname -m)}"
}
# The whole line: ISA, Highway's target name, the CPU's widest ISA, the build.
simd_line() { "$BIN" --version 2>/dev/null | sed -n 's/^simd: //p'; }

# field KEY JSON: a number (or null) from a metrics JSON line.
field() { sed -n "s/.*\"$1\": *\([-0-9.e+a-z]*\).*/\1/p" <<<"$2"; }
# sfield KEY JSON: a string from a metrics JSON line.
sfield() { sed -n "s/.*\"$1\": *\"\([^\"]*\)\".*/\1/p" <<<"$2"; }
