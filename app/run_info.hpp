// What every run record says about the run itself: the hpcrec version, the
// CPU's vector ISA, and the options as parsed (so a record can be rerun).
#pragma once

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>
#include <string>

namespace hpcrec::app {

// One JSON record, keys in insertion order (docs/METRICS.md).
using Record = nlohmann::ordered_json;

// The project version (CMake's PROJECT_VERSION).
const char* version();

// The widest vector ISA this CPU runs (avx512f, avx2, avx, sse4.2, or
// baseline), and the one the binary was compiled for (e.g. "built avx512f").
std::string cpu_isa();
std::string build_isa();

// Every option of `vm` (given, from --config, or defaulted), by long name:
// numbers as numbers, flags as booleans, repeated options as arrays.
Record options_json(const boost::program_options::variables_map& vm);

}  // namespace hpcrec::app
