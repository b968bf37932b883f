// Highway versions of implicit ALS's CG kernels; see implicit_kernels.hpp for
// the contract. This file is compiled once per target (foreach_target.h) and
// with -ffp-contract=off (CMakeLists.txt), so that a multiply-add is fused
// exactly where MulAdd says and on every target that has FMA.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "src/simd/implicit_kernels.cpp"
#include "src/simd/implicit_kernels.hpp"

#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "src/simd/reduce-inl.h"

HWY_BEFORE_NAMESPACE();
namespace hpcrec::simd::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
using std::ptrdiff_t;

// The coefficient of one row, in double.
template <Coef kCoef>
HWY_INLINE double coef(double w, double s) {
  if constexpr (kCoef == Coef::kResidual) {
    return (1.0 + w) - w * s;
  } else {
    return w * s;
  }
}

// ---------------------------------------------------------------------------
// double

double DotImpl(const double* a, const double* b, ptrdiff_t kp) { return Dot8(a, b, kp); }

double DotPartialImpl(const double* y, const double* x, ptrdiff_t k, ptrdiff_t kp) {
  // The block holding y's end is copied with zeros past k, so that no lane
  // past y[k - 1] is read (masked loads are not on every target).
  alignas(64) double tail[kBlockDoubles] = {};
  const ptrdiff_t last = k / kBlockDoubles * kBlockDoubles;  // start of the partial block, if any
  for (ptrdiff_t f = last; f < k; ++f) tail[f - last] = y[f];
  return Dot8Partial(y, x, last, tail, kp);
}

template <Coef kCoef>
void WeightedPassDouble(const double* g, ptrdiff_t n, ptrdiff_t kp, const double* v, const double* w,
                        double* out) {
  const DD d;
  const ptrdiff_t N = static_cast<ptrdiff_t>(hn::Lanes(d));
  ptrdiff_t j = 0;
  // Four rows at a time for instruction-level parallelism: their dot
  // products are independent chains (Dot8x4: each the same bits as Dot8),
  // and out takes one multiply-add per row in row order, exactly as the
  // one-row tail does.
  for (; j + 4 <= n; j += 4) {
    const double* g0 = g + j * kp;
    const double* g1 = g0 + kp;
    const double* g2 = g1 + kp;
    const double* g3 = g2 + kp;
    double s[4];
    Dot8x4(g0, g1, g2, g3, v, kp, s);
    const auto c0 = hn::Set(d, coef<kCoef>(w[j], s[0]));
    const auto c1 = hn::Set(d, coef<kCoef>(w[j + 1], s[1]));
    const auto c2 = hn::Set(d, coef<kCoef>(w[j + 2], s[2]));
    const auto c3 = hn::Set(d, coef<kCoef>(w[j + 3], s[3]));
    for (ptrdiff_t f = 0; f < kp; f += N) {
      auto o = hn::Load(d, out + f);
      o = hn::MulAdd(hn::Load(d, g0 + f), c0, o);
      o = hn::MulAdd(hn::Load(d, g1 + f), c1, o);
      o = hn::MulAdd(hn::Load(d, g2 + f), c2, o);
      o = hn::MulAdd(hn::Load(d, g3 + f), c3, o);
      hn::Store(o, d, out + f);
    }
  }
  for (; j < n; ++j) {
    const double* gj = g + j * kp;
    const auto c = hn::Set(d, coef<kCoef>(w[j], Dot8(gj, v, kp)));
    for (ptrdiff_t f = 0; f < kp; f += N)
      hn::Store(hn::MulAdd(hn::Load(d, gj + f), c, hn::Load(d, out + f)), d, out + f);
  }
}

void WeightedPassDoubleImpl(const double* g, ptrdiff_t n, ptrdiff_t kp, const double* v, const double* w,
                            Coef c, double* out) {
  if (c == Coef::kResidual) return WeightedPassDouble<Coef::kResidual>(g, n, kp, v, w, out);
  return WeightedPassDouble<Coef::kApply>(g, n, kp, v, w, out);
}

// out[row0, row0 + M N) = sum_{j < k, in order} a[:, j] v[j]: M independent
// vectors of accumulators kept in registers, each element a chain from zero.
template <int M>
HWY_INLINE void SymvPanel(const double* a, ptrdiff_t lda, ptrdiff_t k, ptrdiff_t row0, const double* v,
                          double* out) {
  const DD d;
  const ptrdiff_t N = static_cast<ptrdiff_t>(hn::Lanes(d));
  hn::Vec<DD> acc[M];
  for (int m = 0; m < M; ++m) acc[m] = hn::Zero(d);
  for (ptrdiff_t j = 0; j < k; ++j) {
    const auto vj = hn::Set(d, v[j]);
    const double* col = a + j * lda + row0;
    for (int m = 0; m < M; ++m) acc[m] = hn::MulAdd(hn::Load(d, col + N * m), vj, acc[m]);
  }
  for (int m = 0; m < M; ++m) hn::Store(acc[m], d, out + row0 + N * m);
}

void SymvImpl(const double* a, ptrdiff_t k, ptrdiff_t kp, const double* v, double* out) {
  const ptrdiff_t N = static_cast<ptrdiff_t>(hn::Lanes(DD()));
  // Panels of up to 8 vectors (16 on targets with 32 registers would not
  // change a bit: every element is its own chain).
  for (ptrdiff_t row0 = 0; row0 < kp; row0 += 8 * N) {
    switch (std::min<ptrdiff_t>(8, (kp - row0) / N)) {
      case 8:
        SymvPanel<8>(a, kp, k, row0, v, out);
        break;
      case 7:
        SymvPanel<7>(a, kp, k, row0, v, out);
        break;
      case 6:
        SymvPanel<6>(a, kp, k, row0, v, out);
        break;
      case 5:
        SymvPanel<5>(a, kp, k, row0, v, out);
        break;
      case 4:
        SymvPanel<4>(a, kp, k, row0, v, out);
        break;
      case 3:
        SymvPanel<3>(a, kp, k, row0, v, out);
        break;
      case 2:
        SymvPanel<2>(a, kp, k, row0, v, out);
        break;
      default:
        SymvPanel<1>(a, kp, k, row0, v, out);
        break;
    }
  }
}

// ---------------------------------------------------------------------------
// float32

// The coefficient of each row of a float pass, from its dot product s_j
// (float): implicit ALS's c(w_j, s_j) (Coef), or explicit ALS's biased rows
// (BiasedCoef: s_j + vb against the target t_j, with the bias column's sum
// of c_j kept in double in row order). Called once per row, in row order.
template <Coef kCoef>
struct WeightCoef {
  const double* w;
  HWY_INLINE float operator()(ptrdiff_t j, float s) const { return static_cast<float>(coef<kCoef>(w[j], s)); }
};

template <BiasedCoef kCoef>
struct TargetCoef {
  const double* t;
  double vb;
  double* c_out;
  double sum = 0.0;
  HWY_INLINE float operator()(ptrdiff_t j, float s) {
    const double sj = static_cast<double>(s) + vb;
    const double c = kCoef == BiasedCoef::kTargetResidual ? t[j] - sj : sj;
    if (c_out != nullptr) c_out[j] = c;
    sum += c;
    return static_cast<float>(c);
  }
};

// M = kpf / N vectors a row, few enough that v and out stay in registers for
// the whole pass (with the four dot chains and the loads).
template <int M, class Fn>
void WeightedPassFloatRegs(const float* g, ptrdiff_t n, const float* v, Fn& fn, float* out) {
  const DF d;
  constexpr ptrdiff_t kStride = static_cast<ptrdiff_t>(M * hn::MaxLanes(DF()));
  const ptrdiff_t N = static_cast<ptrdiff_t>(hn::Lanes(d));
  hn::Vec<DF> vv[M], acc[M];
  for (int m = 0; m < M; ++m) {
    vv[m] = hn::Load(d, v + N * m);
    acc[m] = hn::Load(d, out + N * m);
  }
  const auto zero = hn::Zero(d);
  alignas(16) float s[4];
  ptrdiff_t j = 0;
  for (; j + 4 <= n; j += 4) {
    const float* g0 = g + j * kStride;
    const float* g1 = g0 + kStride;
    const float* g2 = g1 + kStride;
    const float* g3 = g2 + kStride;
    auto d0 = hn::Mul(hn::Load(d, g0), vv[0]);
    auto d1 = hn::Mul(hn::Load(d, g1), vv[0]);
    auto d2 = hn::Mul(hn::Load(d, g2), vv[0]);
    auto d3 = hn::Mul(hn::Load(d, g3), vv[0]);
    for (int m = 1; m < M; ++m) {
      d0 = hn::MulAdd(hn::Load(d, g0 + N * m), vv[m], d0);
      d1 = hn::MulAdd(hn::Load(d, g1 + N * m), vv[m], d1);
      d2 = hn::MulAdd(hn::Load(d, g2 + N * m), vv[m], d2);
      d3 = hn::MulAdd(hn::Load(d, g3 + N * m), vv[m], d3);
    }
    Reduce4(d, d0, d1, d2, d3, s);
    const auto c0 = hn::Set(d, fn(j, s[0]));
    const auto c1 = hn::Set(d, fn(j + 1, s[1]));
    const auto c2 = hn::Set(d, fn(j + 2, s[2]));
    const auto c3 = hn::Set(d, fn(j + 3, s[3]));
    for (int m = 0; m < M; ++m) {
      acc[m] = hn::MulAdd(hn::Load(d, g0 + N * m), c0, acc[m]);
      acc[m] = hn::MulAdd(hn::Load(d, g1 + N * m), c1, acc[m]);
      acc[m] = hn::MulAdd(hn::Load(d, g2 + N * m), c2, acc[m]);
      acc[m] = hn::MulAdd(hn::Load(d, g3 + N * m), c3, acc[m]);
    }
  }
  // A tail row alone, reduced by the same Reduce4 with zeros beside it: its
  // s_j is the same bits as in a group of four.
  for (; j < n; ++j) {
    const float* gj = g + j * kStride;
    auto dj = hn::Mul(hn::Load(d, gj), vv[0]);
    for (int m = 1; m < M; ++m) dj = hn::MulAdd(hn::Load(d, gj + N * m), vv[m], dj);
    Reduce4(d, dj, zero, zero, zero, s);
    const auto c = hn::Set(d, fn(j, s[0]));
    for (int m = 0; m < M; ++m) acc[m] = hn::MulAdd(hn::Load(d, gj + N * m), c, acc[m]);
  }
  for (int m = 0; m < M; ++m) hn::Store(acc[m], d, out + N * m);
}

// Any kpf: the same operations, with v and out read from memory (L1).
template <class Fn>
void WeightedPassFloatAny(const float* g, ptrdiff_t n, ptrdiff_t kpf, const float* v, Fn& fn, float* out) {
  const DF d;
  const ptrdiff_t N = static_cast<ptrdiff_t>(hn::Lanes(d));
  const auto zero = hn::Zero(d);
  alignas(16) float s[4];
  ptrdiff_t j = 0;
  for (; j + 4 <= n; j += 4) {
    const float* g0 = g + j * kpf;
    const float* g1 = g0 + kpf;
    const float* g2 = g1 + kpf;
    const float* g3 = g2 + kpf;
    auto vf = hn::Load(d, v);
    auto d0 = hn::Mul(hn::Load(d, g0), vf);
    auto d1 = hn::Mul(hn::Load(d, g1), vf);
    auto d2 = hn::Mul(hn::Load(d, g2), vf);
    auto d3 = hn::Mul(hn::Load(d, g3), vf);
    for (ptrdiff_t f = N; f < kpf; f += N) {
      vf = hn::Load(d, v + f);
      d0 = hn::MulAdd(hn::Load(d, g0 + f), vf, d0);
      d1 = hn::MulAdd(hn::Load(d, g1 + f), vf, d1);
      d2 = hn::MulAdd(hn::Load(d, g2 + f), vf, d2);
      d3 = hn::MulAdd(hn::Load(d, g3 + f), vf, d3);
    }
    Reduce4(d, d0, d1, d2, d3, s);
    const auto c0 = hn::Set(d, fn(j, s[0]));
    const auto c1 = hn::Set(d, fn(j + 1, s[1]));
    const auto c2 = hn::Set(d, fn(j + 2, s[2]));
    const auto c3 = hn::Set(d, fn(j + 3, s[3]));
    for (ptrdiff_t f = 0; f < kpf; f += N) {
      auto o = hn::Load(d, out + f);
      o = hn::MulAdd(hn::Load(d, g0 + f), c0, o);
      o = hn::MulAdd(hn::Load(d, g1 + f), c1, o);
      o = hn::MulAdd(hn::Load(d, g2 + f), c2, o);
      o = hn::MulAdd(hn::Load(d, g3 + f), c3, o);
      hn::Store(o, d, out + f);
    }
  }
  for (; j < n; ++j) {
    const float* gj = g + j * kpf;
    auto dj = hn::Mul(hn::Load(d, gj), hn::Load(d, v));
    for (ptrdiff_t f = N; f < kpf; f += N) dj = hn::MulAdd(hn::Load(d, gj + f), hn::Load(d, v + f), dj);
    Reduce4(d, dj, zero, zero, zero, s);
    const auto c = hn::Set(d, fn(j, s[0]));
    for (ptrdiff_t f = 0; f < kpf; f += N)
      hn::Store(hn::MulAdd(hn::Load(d, gj + f), c, hn::Load(d, out + f)), d, out + f);
  }
}

// Vectors a row that may live in registers: 2 M + 4 dot chains + loads fit
// 32 registers (AVX-512) at M <= 8, 16 registers (AVX2, SSE4, NEON) at M <= 4.
constexpr int kMaxRegVectors = HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL ? 8 : 4;

template <class Fn>
void WeightedPassFloat(const float* g, ptrdiff_t n, ptrdiff_t kpf, const float* v, Fn& fn, float* out) {
  const ptrdiff_t m = kpf / static_cast<ptrdiff_t>(hn::Lanes(DF()));
  if (m * static_cast<ptrdiff_t>(hn::Lanes(DF())) == kpf && m <= kMaxRegVectors &&
      hn::Lanes(DF()) == hn::MaxLanes(DF())) {
    switch (m) {
      case 1:
        return WeightedPassFloatRegs<1>(g, n, v, fn, out);
      case 2:
        return WeightedPassFloatRegs<2>(g, n, v, fn, out);
      case 3:
        return WeightedPassFloatRegs<3>(g, n, v, fn, out);
      case 4:
        return WeightedPassFloatRegs<4>(g, n, v, fn, out);
#if HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL
      case 5:
        return WeightedPassFloatRegs<5>(g, n, v, fn, out);
      case 6:
        return WeightedPassFloatRegs<6>(g, n, v, fn, out);
      case 7:
        return WeightedPassFloatRegs<7>(g, n, v, fn, out);
      case 8:
        return WeightedPassFloatRegs<8>(g, n, v, fn, out);
#endif
      default:
        break;
    }
  }
  WeightedPassFloatAny(g, n, kpf, v, fn, out);
}

void WeightedPassFloatImpl(const float* g, ptrdiff_t n, ptrdiff_t kpf, const float* v, const double* w,
                           Coef c, float* out) {
  if (c == Coef::kResidual) {
    WeightCoef<Coef::kResidual> fn{w};
    return WeightedPassFloat(g, n, kpf, v, fn, out);
  }
  WeightCoef<Coef::kApply> fn{w};
  WeightedPassFloat(g, n, kpf, v, fn, out);
}

void BiasedPassImpl(const float* g, ptrdiff_t n, ptrdiff_t kpf, const float* v, double vb, const double* t,
                    BiasedCoef c, float* out, double* out_bias, double* c_out) {
  if (c == BiasedCoef::kTargetResidual) {
    // One chain of additions from *out_bias on: a pass split in two gives the same bits.
    TargetCoef<BiasedCoef::kTargetResidual> fn{t, vb, c_out, *out_bias};
    WeightedPassFloat(g, n, kpf, v, fn, out);
    *out_bias = fn.sum;
    return;
  }
  TargetCoef<BiasedCoef::kProduct> fn{t, vb, c_out, *out_bias};
  WeightedPassFloat(g, n, kpf, v, fn, out);
  *out_bias = fn.sum;
}

}  // namespace hpcrec::simd::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "src/simd/dispatch.hpp"

namespace hpcrec::simd {

HWY_EXPORT(DotImpl);
HWY_EXPORT(DotPartialImpl);
HWY_EXPORT(WeightedPassDoubleImpl);
HWY_EXPORT(WeightedPassFloatImpl);
HWY_EXPORT(BiasedPassImpl);
HWY_EXPORT(SymvImpl);

namespace {
[[maybe_unused]] const bool capped = detail::apply_env_cap();
}

double dot(const double* a, const double* b, std::ptrdiff_t kp) {
  return HWY_DYNAMIC_DISPATCH(DotImpl)(a, b, kp);
}

double dot_partial(const double* y, const double* x, std::ptrdiff_t k, std::ptrdiff_t kp) {
  return HWY_DYNAMIC_DISPATCH(DotPartialImpl)(y, x, k, kp);
}

void weighted_pass(const double* g, std::ptrdiff_t n, std::ptrdiff_t kp, const double* v, const double* w,
                   Coef coef, double* out) {
  HWY_DYNAMIC_DISPATCH(WeightedPassDoubleImpl)(g, n, kp, v, w, coef, out);
}

void weighted_pass(const float* g, std::ptrdiff_t n, std::ptrdiff_t kpf, const float* v, const double* w,
                   Coef coef, float* out) {
  HWY_DYNAMIC_DISPATCH(WeightedPassFloatImpl)(g, n, kpf, v, w, coef, out);
}

void biased_pass(const float* g, std::ptrdiff_t n, std::ptrdiff_t kpf, const float* v, double vb,
                 const double* t, BiasedCoef coef, float* out, double* out_bias, double* c_out) {
  HWY_DYNAMIC_DISPATCH(BiasedPassImpl)(g, n, kpf, v, vb, t, coef, out, out_bias, c_out);
}

void symv(const double* a, std::ptrdiff_t k, std::ptrdiff_t kp, const double* v, double* out) {
  HWY_DYNAMIC_DISPATCH(SymvImpl)(a, k, kp, v, out);
}

}  // namespace hpcrec::simd
#endif  // HWY_ONCE
