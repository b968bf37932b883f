// Highway version of the top-N scoring kernel; see topn_kernels.hpp for the
// contract. Compiled once per target (foreach_target.h) and with
// -ffp-contract=off (CMakeLists.txt): a multiply-add is fused exactly where
// MulAdd says, on every target that has FMA.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "src/simd/topn_kernels.cpp"
#include "src/simd/topn_kernels.hpp"

#include <cstring>

#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "src/simd/reduce-inl.h"

HWY_BEFORE_NAMESPACE();
namespace hpcrec::simd::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
using std::ptrdiff_t;

constexpr ptrdiff_t kLanes = static_cast<ptrdiff_t>(hn::MaxLanes(DF()));  // floats per vector

// Register tile: kUsers x kVecs vectors of accumulators, kVecs item loads and
// one broadcast per factor. AVX-512 (32 registers): 8 x 3 + 3 + 1 = 28;
// elsewhere (16 registers): 4 x 3 + 3 + 1 = 16.
constexpr int kUsers = kLanes >= 16 ? 8 : 4;
constexpr int kVecs = 3;
constexpr ptrdiff_t kItems = kVecs * kLanes;
static_assert(kItems <= 64, "an item tile's lanes must fit the 64 bits of a hit mask");

TopNTile TileImpl() { return {kUsers, static_cast<int>(kItems)}; }

bool FusesImpl() {
#if HWY_ARCH_X86
  return HWY_TARGET == HWY_AVX2 || HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL;
#else
  return HWY_TARGET != HWY_EMU128 && HWY_TARGET != HWY_SCALAR;
#endif
}

void ScoreTilesImpl(const float* up, const float* uc, const float* vp, const float* vb, ptrdiff_t item_tiles,
                    ptrdiff_t k, const float* thr, TopNHitFn hit, void* ctx, float* scratch) {
  const DF d;
  for (ptrdiff_t t = 0; t < item_tiles; ++t) {
    const float* v = vp + t * kItems * k;
    hn::Vec<DF> acc[kUsers][kVecs];
    for (int r = 0; r < kUsers; ++r) {
      for (int j = 0; j < kVecs; ++j) acc[r][j] = hn::Zero(d);
    }
    // Each score one chain of multiply-adds over the factors in order.
    for (ptrdiff_t f = 0; f < k; ++f) {
      hn::Vec<DF> y[kVecs];
      for (int j = 0; j < kVecs; ++j) y[j] = hn::Load(d, v + f * kItems + j * kLanes);
      const float* u = up + f * kUsers;
      for (int r = 0; r < kUsers; ++r) {
        const auto b = hn::Set(d, u[r]);
        for (int j = 0; j < kVecs; ++j) acc[r][j] = hn::MulAdd(b, y[j], acc[r][j]);
      }
    }
    // s = (offset + bias) + dot, then the filter: any lane at or above its
    // user's threshold?
    hn::Vec<DF> bias[kVecs];
    for (int j = 0; j < kVecs; ++j) bias[j] = hn::Load(d, vb + t * kItems + j * kLanes);
    auto any = hn::FirstN(d, 0);
    for (int r = 0; r < kUsers; ++r) {
      const auto off = hn::Set(d, uc[r]);
      const auto th = hn::Set(d, thr[r]);
      for (int j = 0; j < kVecs; ++j) {
        acc[r][j] = hn::Add(hn::Add(off, bias[j]), acc[r][j]);
        any = hn::Or(any, hn::Ge(acc[r][j], th));
      }
    }
    if (hn::AllFalse(d, any)) continue;
    std::uint64_t bits[kUsers];
    for (int r = 0; r < kUsers; ++r) {
      const auto th = hn::Set(d, thr[r]);
      bits[r] = 0;
      for (int j = 0; j < kVecs; ++j) {
        std::uint8_t b[8] = {};
        hn::StoreMaskBits(d, hn::Ge(acc[r][j], th), b);
        std::uint64_t x;
        std::memcpy(&x, b, sizeof x);
        bits[r] |= x << (j * kLanes);
        hn::Store(acc[r][j], d, scratch + r * kItems + j * kLanes);
      }
    }
    hit(ctx, t, bits, scratch);
  }
}

}  // namespace hpcrec::simd::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "src/simd/dispatch.hpp"

namespace hpcrec::simd {

HWY_EXPORT(TileImpl);
HWY_EXPORT(FusesImpl);
HWY_EXPORT(ScoreTilesImpl);

namespace {
[[maybe_unused]] const bool capped = detail::apply_env_cap();
}

TopNTile topn_tile() { return HWY_DYNAMIC_DISPATCH(TileImpl)(); }

bool topn_fuses() { return HWY_DYNAMIC_DISPATCH(FusesImpl)(); }

void topn_score_tiles(const float* up, const float* uc, const float* vp, const float* vb,
                      std::ptrdiff_t item_tiles, std::ptrdiff_t k, const float* thr, TopNHitFn hit, void* ctx,
                      float* scratch) {
  HWY_DYNAMIC_DISPATCH(ScoreTilesImpl)(up, uc, vp, vb, item_tiles, k, thr, hit, ctx, scratch);
}

}  // namespace hpcrec::simd
#endif  // HWY_ONCE
