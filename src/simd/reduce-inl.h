// Per-target helpers shared by the kernel files: the vector tags and the
// fixed-order reductions. Included after foreach_target.h (once per
// target), hence the toggling include guard Highway prescribes.
#if defined(HPCREC_SIMD_REDUCE_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef HPCREC_SIMD_REDUCE_INL_H_
#undef HPCREC_SIMD_REDUCE_INL_H_
#else
#define HPCREC_SIMD_REDUCE_INL_H_
#endif

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace hpcrec::simd::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Vectors of at most one 64-byte block: the data are padded to whole blocks
// (8 doubles, 16 floats), so every target's vectors tile them exactly.
using DD = hn::CappedTag<double, 8>;
using DF = hn::CappedTag<float, 16>;
constexpr std::ptrdiff_t kBlockDoubles = 8;
// Vectors per 8-double block on this target (scalable vectors are disabled
// in CMakeLists.txt: arrays of them are not allowed).
constexpr int kVecsPerBlock = static_cast<int>(kBlockDoubles / hn::MaxLanes(DD()));

// The sum of v's lanes by halving: lane i + lane i + N/2, down to one.
// (The one-lane HWY_SCALAR target has no halves.)
template <class D>
HWY_INLINE hn::TFromD<D> FoldHalves(D d, hn::Vec<D> v) {
#if HWY_TARGET == HWY_SCALAR
  (void)d;
  return hn::GetLane(v);
#else
  if constexpr (hn::MaxLanes(D()) == 1) {
    return hn::GetLane(v);
  } else {
    (void)d;
    const hn::Half<D> dh;
    return FoldHalves(dh, hn::Add(hn::LowerHalf(dh, v), hn::UpperHalf(dh, v)));
  }
#endif
}

// The sum of 8 logical lanes held in kVecsPerBlock vectors, by the same
// halving tree whatever the width: (L0+L4 + L2+L6) + (L1+L5 + L3+L7), which
// is also the order of AVX-512's _mm512_reduce_add_pd.
HWY_INLINE double Fold8(hn::Vec<DD>* acc) {
  for (int r = kVecsPerBlock; r > 1; r /= 2) {
    for (int q = 0; q < r / 2; ++q) acc[q] = hn::Add(acc[q], acc[q + r / 2]);
  }
  return FoldHalves(DD(), acc[0]);
}

// a . b over kp doubles (kp a multiple of 8, both 64-byte aligned): logical
// lane i of an 8-lane accumulator sums a[f] b[f] over f = i mod 8 in order
// (a multiply, then multiply-adds), then Fold8. `a_at(f)` loads a's vector at f.
template <class LoadA>
HWY_INLINE double Dot8With(LoadA a_at, const double* b, std::ptrdiff_t kp) {
  const DD d;
  constexpr std::ptrdiff_t N = static_cast<std::ptrdiff_t>(hn::MaxLanes(DD()));
  hn::Vec<DD> acc[kVecsPerBlock];
  for (int q = 0; q < kVecsPerBlock; ++q) acc[q] = hn::Mul(a_at(N * q), hn::Load(d, b + N * q));
  for (std::ptrdiff_t f = kBlockDoubles; f < kp; f += kBlockDoubles) {
    for (int q = 0; q < kVecsPerBlock; ++q)
      acc[q] = hn::MulAdd(a_at(f + N * q), hn::Load(d, b + f + N * q), acc[q]);
  }
  return Fold8(acc);
}

// Dot8 of four rows a0..a3 against b at once: the same four chains, bit for
// bit, interleaved in one loop so that their multiply-add latencies overlap.
HWY_INLINE void Dot8x4(const double* a0, const double* a1, const double* a2, const double* a3,
                       const double* b, std::ptrdiff_t kp, double* s) {
  const DD d;
  constexpr std::ptrdiff_t N = static_cast<std::ptrdiff_t>(hn::MaxLanes(DD()));
  hn::Vec<DD> c0[kVecsPerBlock], c1[kVecsPerBlock], c2[kVecsPerBlock], c3[kVecsPerBlock];
  for (int q = 0; q < kVecsPerBlock; ++q) {
    const auto bv = hn::Load(d, b + N * q);
    c0[q] = hn::Mul(hn::Load(d, a0 + N * q), bv);
    c1[q] = hn::Mul(hn::Load(d, a1 + N * q), bv);
    c2[q] = hn::Mul(hn::Load(d, a2 + N * q), bv);
    c3[q] = hn::Mul(hn::Load(d, a3 + N * q), bv);
  }
  for (std::ptrdiff_t f = kBlockDoubles; f < kp; f += kBlockDoubles) {
    for (int q = 0; q < kVecsPerBlock; ++q) {
      const auto bv = hn::Load(d, b + f + N * q);
      c0[q] = hn::MulAdd(hn::Load(d, a0 + f + N * q), bv, c0[q]);
      c1[q] = hn::MulAdd(hn::Load(d, a1 + f + N * q), bv, c1[q]);
      c2[q] = hn::MulAdd(hn::Load(d, a2 + f + N * q), bv, c2[q]);
      c3[q] = hn::MulAdd(hn::Load(d, a3 + f + N * q), bv, c3[q]);
    }
  }
  s[0] = Fold8(c0);
  s[1] = Fold8(c1);
  s[2] = Fold8(c2);
  s[3] = Fold8(c3);
}

HWY_INLINE double Dot8(const double* a, const double* b, std::ptrdiff_t kp) {
  return Dot8With([a](std::ptrdiff_t f) { return hn::Load(DD(), a + f); }, b, kp);
}

// Dot8 with a's elements at and past `last` (a multiple of 8) taken from the
// aligned block `tail`, those before from `a` unaligned.
HWY_INLINE double Dot8Partial(const double* a, const double* b, std::ptrdiff_t last, const double* tail,
                              std::ptrdiff_t kp) {
  return Dot8With(
      [a, last, tail](std::ptrdiff_t f) {
        return f < last ? hn::LoadU(DD(), a + f) : hn::Load(DD(), tail + (f - last));
      },
      b, kp);
}

#if HWY_TARGET != HWY_SCALAR
// Stores the sum of v's 128-bit blocks (four floats), folding halves.
template <class D>
HWY_INLINE void StoreBlockSum(D d, hn::Vec<D> v, float* s) {
  if constexpr (hn::MaxLanes(D()) <= 4) {
    hn::StoreU(v, d, s);
  } else {
    const hn::Half<D> dh;
    StoreBlockSum(dh, hn::Add(hn::LowerHalf(dh, v), hn::UpperHalf(dh, v)), s);
  }
}
#endif

// s[r] = the sum of the lanes of a_r, four at once in one fixed order per
// target: within each 128-bit block lanes (0 + 2) + (1 + 3) by two
// interleaving steps that also pack the four rows into one vector, then the
// blocks by halving. A row reduced alone (zeros for the others) gets the
// same bits.
template <class D>
HWY_INLINE void Reduce4(D d, hn::Vec<D> a0, hn::Vec<D> a1, hn::Vec<D> a2, hn::Vec<D> a3, float* s) {
#if HWY_TARGET == HWY_SCALAR
  (void)d;
  s[0] = hn::GetLane(a0);
  s[1] = hn::GetLane(a1);
  s[2] = hn::GetLane(a2);
  s[3] = hn::GetLane(a3);
#else
  const hn::Repartition<std::uint64_t, D> du;
  // t01 = per block [a0 (0+2), a1 (0+2), a0 (1+3), a1 (1+3)], t23 alike.
  const auto t01 = hn::Add(hn::InterleaveLower(d, a0, a1), hn::InterleaveUpper(d, a0, a1));
  const auto t23 = hn::Add(hn::InterleaveLower(d, a2, a3), hn::InterleaveUpper(d, a2, a3));
  // Interleaving 64-bit halves: per block [a0, a1, a2, a3] of (0+2) and of (1+3).
  const auto e = hn::BitCast(d, hn::InterleaveLower(du, hn::BitCast(du, t01), hn::BitCast(du, t23)));
  const auto o = hn::BitCast(d, hn::InterleaveUpper(du, hn::BitCast(du, t01), hn::BitCast(du, t23)));
  StoreBlockSum(d, hn::Add(e, o), s);
#endif
}

}  // namespace hpcrec::simd::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // HPCREC_SIMD_REDUCE_INL_H_
