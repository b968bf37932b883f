#!/usr/bin/env bash
# The SIMD kernels (src/simd/) compile for aarch64: NEON (and the scalar
# fallback) with the same definitions as CMakeLists.txt, warning-free. Needs
# a cross compiler (Debian: g++-aarch64-linux-gnu, not installed by
# scripts/setup.sh); skipped (exit 77) where there is none.
source "$(dirname "$0")/common.bash"
CXX_ARM=${CXX_ARM:-aarch64-linux-gnu-g++}
command -v "$CXX_ARM" >/dev/null || { echo "no $CXX_ARM: skipped"; exit 77; }
hwy=$(dirname "$(find /usr/include /usr/local/include -maxdepth 2 -name highway.h -path '*hwy*' | head -n 1)")
[ -n "$hwy" ] || fail "Highway headers not found"
# Only Highway's (architecture-independent) headers: the host's other
# headers must not shadow the cross compiler's.
mkdir -p "$TMP/inc" && cp -r "$hwy" "$TMP/inc/"
for f in "$SOURCE_DIR"/src/simd/*.cpp; do
  obj="$TMP/$(basename "$f" .cpp).o"
  "$CXX_ARM" -std=c++20 -O2 -ffp-contract=off -Wall -Wextra -Werror -DHWY_COMPILE_ALL_ATTAINABLE \
    "-DHWY_DISABLED_TARGETS=(HWY_SVE|HWY_SVE2|HWY_SVE_256|HWY_SVE2_128|HWY_RVV)" -I"$SOURCE_DIR" \
    -isystem "$TMP/inc" -c "$f" -o "$obj" || fail "$f does not compile for aarch64"
done
nm_arm=${CXX_ARM%g++}nm
implicit=$("$nm_arm" -C "$TMP/implicit_kernels.o")
for kernel in BiasedPassImpl WeightedPassFloatImpl; do
  grep -q "N_NEON::$kernel" <<<"$implicit" || fail "no NEON $kernel"
done
grep -q "N_NEON::" <<<"$("$nm_arm" -C "$TMP/explicit_kernels.o")" || fail "no NEON explicit kernels"
echo "src/simd compiles for aarch64 (NEON)"
