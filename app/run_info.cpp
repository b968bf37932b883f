#include "app/run_info.hpp"

#include <cstdint>
#include <vector>

#include "src/simd/dispatch.hpp"

namespace hpcrec::app {

const char* version() { return HPCREC_VERSION; }

std::string simd_isa() { return simd::active_isa(); }

std::string simd_summary() {
  return simd_isa() + " (Highway " + simd::active_target_name() + "; CPU " + cpu_isa() + ", built for " +
         build_isa() + ")";
}

std::string cpu_isa() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return "avx512f";
  if (__builtin_cpu_supports("avx2")) return "avx2";
  if (__builtin_cpu_supports("avx")) return "avx";
  if (__builtin_cpu_supports("sse4.2")) return "sse4.2";
  return "x86-64";
#elif defined(__aarch64__)
  return "aarch64";
#else
  return "baseline";
#endif
}

std::string build_isa() {
#if defined(__AVX512F__)
  return "avx512f";
#elif defined(__AVX2__)
  return "avx2";
#elif defined(__AVX__)
  return "avx";
#elif defined(__SSE4_2__)
  return "sse4.2";
#elif defined(__aarch64__)
  return "aarch64";
#else
  return "baseline";
#endif
}

Record options_json(const boost::program_options::variables_map& vm) {
  Record out = Record::object();
  for (const auto& [name, entry] : vm) {
    if (name == "help") continue;
    const boost::any& v = entry.value();
    if (auto* d = boost::any_cast<double>(&v))
      out[name] = *d;
    else if (auto* i = boost::any_cast<int>(&v))
      out[name] = *i;
    else if (auto* l = boost::any_cast<long>(&v))
      out[name] = *l;
    else if (auto* ll = boost::any_cast<long long>(&v))
      out[name] = *ll;
    else if (auto* u = boost::any_cast<std::uint64_t>(&v))
      out[name] = *u;
    else if (auto* u32 = boost::any_cast<unsigned>(&v))
      out[name] = *u32;
    else if (auto* b = boost::any_cast<bool>(&v))
      out[name] = *b;
    else if (auto* s = boost::any_cast<std::string>(&v))
      out[name] = *s;
    else if (auto* vs = boost::any_cast<std::vector<std::string>>(&v))
      out[name] = *vs;
    else
      out[name] = nullptr;  // a type added later: named, so the record says it was set
  }
  return out;
}

}  // namespace hpcrec::app
