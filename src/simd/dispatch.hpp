// Which SIMD instruction set the kernels in src/simd/ run on.
//
// The kernels are compiled once per target (Google Highway: AVX-512 "AVX3",
// AVX2, SSE4, SSSE3 and the portable EMU128 on x86; NEON on Arm) into one
// binary, and each call goes to the best target this CPU supports. The
// environment variable HPCREC_SIMD caps that choice (read once, at program
// start): avx512, avx2, sse4, ssse3 or scalar (EMU128, or SCALAR with GCC
// before 12.3, whose EMU128 Highway deems broken); the dispatch then
// takes the best supported target at or below the cap. Benchmarks and tests
// use it to run, say, the AVX2 code on an AVX-512 machine.
//
// Results are deterministic for a given target (every kernel is one fixed
// sequence of operations chosen by the sizes only), but may differ in the
// last bits between targets (see the kernel headers for which agree
// bitwise). All threads and ranks of one process use the same target.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hpcrec::simd {

// The target the kernels dispatch to now, as Highway names it ("AVX3",
// "AVX2", "SSE4", "EMU128", ...). Throws std::invalid_argument when
// HPCREC_SIMD holds a value it does not know.
std::string active_target_name();

// The same as a lower-case ISA name for records and headers: "avx512",
// "avx2", "sse4", "ssse3", "neon", "scalar" (EMU128), ...
std::string active_isa();

// Targets compiled into this binary that this CPU supports (best first),
// and, for tests, running the kernels on exactly one of them (0: back to the
// normal choice, capped by HPCREC_SIMD).
std::vector<std::int64_t> available_targets();
void force_target(std::int64_t target);
std::string target_isa(std::int64_t target);

namespace detail {
// Applies HPCREC_SIMD's cap once (idempotent, thread-safe). Every kernel file
// calls it from a static initialiser, so the cap holds before main().
bool apply_env_cap();
}  // namespace detail

}  // namespace hpcrec::simd
