// What every run record says about the run itself: the hpcrec version, the
// vector ISA its kernels run on, and the options as parsed (so a record can
// be rerun).
#pragma once

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>
#include <string>

namespace hpcrec::app {

// One JSON record, keys in insertion order (docs/METRICS.md).
using Record = nlohmann::ordered_json;

// The project version (CMake's PROJECT_VERSION).
const char* version();

// The ISA the SIMD kernels dispatch to in this process (src/simd/dispatch.hpp:
// avx512, avx2, sse4, ssse3, neon or scalar; the best the CPU has, capped by
// HPCREC_SIMD), what records and --version name. Throws
// std::invalid_argument for a bad HPCREC_SIMD.
std::string simd_isa();
// One line for --version: the dispatched ISA, Highway's name for it, the
// CPU's widest ISA and the build's baseline.
std::string simd_summary();

// The widest vector ISA this CPU runs (avx512f, avx2, avx, sse4.2, or
// baseline), and the one the rest of the binary (Eigen) was compiled for:
// the x86-64 baseline ("baseline") unless built with HPCREC_NATIVE=ON.
std::string cpu_isa();
std::string build_isa();

// Every option of `vm` (given, from --config, or defaulted), by long name:
// numbers as numbers, flags as booleans, repeated options as arrays.
Record options_json(const boost::program_options::variables_map& vm);

}  // namespace hpcrec::app
