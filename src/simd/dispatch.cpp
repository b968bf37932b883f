// Target selection for the Highway kernels: the HPCREC_SIMD cap and the
// name of the target in use. Compiled per target like the kernels, only so
// that HWY_DYNAMIC_DISPATCH can report which one the dispatch picks.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "src/simd/dispatch.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace hpcrec::simd::HWY_NAMESPACE {
std::int64_t this_target() { return HWY_TARGET; }
}  // namespace hpcrec::simd::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <cctype>
#include <cstdlib>
#include <mutex>
#include <stdexcept>

#include "hwy/targets.h"
#include "src/simd/dispatch.hpp"

namespace hpcrec::simd {

HWY_EXPORT(this_target);

namespace {

struct Named {
  const char* name;
  std::int64_t target;
};

// HPCREC_SIMD's values, and the names active_isa() prints.
constexpr Named kNames[] = {
#if HWY_ARCH_X86
    {"avx512", HWY_AVX3},   {"avx3", HWY_AVX3},     {"avx512", HWY_AVX3_DL},
    {"avx2", HWY_AVX2},     {"sse4", HWY_SSE4},     {"ssse3", HWY_SSSE3},
#elif HWY_ARCH_ARM
    {"sve2", HWY_SVE2},     {"sve", HWY_SVE},       {"neon", HWY_NEON},
#endif
    {"scalar", HWY_EMU128}, {"emu128", HWY_EMU128}, {"scalar", HWY_SCALAR},
};

std::string bad_value;  // HPCREC_SIMD's value when it names no target
std::once_flag cap_once;

}  // namespace

namespace detail {
bool apply_env_cap() {
  std::call_once(cap_once, [] {
    const char* env = std::getenv("HPCREC_SIMD");
    if (env == nullptr || *env == '\0') return;
    std::string value(env);
    for (char& c : value) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (const Named& n : kNames) {
      if (value == n.name) {
        // Highway numbers better targets with lower bits: disable those.
        hwy::DisableTargets(n.target - 1);
        return;
      }
    }
    bad_value = env;
  });
  return true;
}
}  // namespace detail

std::string active_target_name() {
  detail::apply_env_cap();
  if (!bad_value.empty()) {
    throw std::invalid_argument("HPCREC_SIMD=" + bad_value +
                                ": expected avx512, avx2, sse4, ssse3 or scalar (x86), neon or scalar (Arm)");
  }
  return hwy::TargetName(HWY_DYNAMIC_DISPATCH(this_target)());
}

std::string target_isa(std::int64_t target) {
  for (const Named& n : kNames)
    if (n.target == target) return n.name;
  return hwy::TargetName(target);
}

std::string active_isa() {
  active_target_name();  // throws on a bad HPCREC_SIMD
  return target_isa(HWY_DYNAMIC_DISPATCH(this_target)());
}

std::vector<std::int64_t> available_targets() {
  detail::apply_env_cap();
  return hwy::SupportedAndGeneratedTargets();
}

void force_target(std::int64_t target) {
  detail::apply_env_cap();
  hwy::SetSupportedTargetsForTest(target);
}

}  // namespace hpcrec::simd
#endif  // HWY_ONCE
