// Highway versions of explicit ALS's kernels; see explicit_kernels.hpp for
// the contract. Compiled once per target (foreach_target.h) and with
// -ffp-contract=off (CMakeLists.txt): a multiply-add is fused exactly where
// MulAdd / NegMulAdd say, on every target that has FMA.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "src/simd/explicit_kernels.cpp"
#include "src/simd/explicit_kernels.hpp"

#include <cmath>

#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "src/simd/reduce-inl.h"

HWY_BEFORE_NAMESPACE();
namespace hpcrec::simd::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
using std::ptrdiff_t;

constexpr ptrdiff_t kN = static_cast<ptrdiff_t>(hn::MaxLanes(DD()));  // doubles per vector

// Rank-update tiles: MI vectors of rows x NJ columns of accumulators stay in
// registers for all n rows, with MI row loads and one broadcast: 3 x 8 + 4
// of AVX-512's 32 registers, 3 x 4 + 4 of the 16 elsewhere.
#if HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL
constexpr int kTileCols = 8;
#else
constexpr int kTileCols = 4;
#endif
constexpr int kTileVecs = 3;

// out[i, j] (+/-)= sum_r g[r, i] g[r, j] for rows i in [row0, row0 + MI N)
// and columns j in [j0, j0 + NJ): one tile of a symmetric rank-n update, g
// row-major (row stride gs), out column-major (leading dimension lo). Each
// element is a chain of multiply-adds over the rows in order: its value
// depends only on g, not on the tiling. `first` starts from zero instead of out.
template <int MI, int NJ, bool kSubtract>
HWY_INLINE void SyrkTile(const double* g, ptrdiff_t gs, ptrdiff_t n, ptrdiff_t row0, ptrdiff_t j0, bool first,
                         double* out, ptrdiff_t lo) {
  const DD d;
  hn::Vec<DD> acc[MI][NJ];
  for (int m = 0; m < MI; ++m) {
    for (int j = 0; j < NJ; ++j)
      acc[m][j] = first ? hn::Zero(d) : hn::Load(d, out + (j0 + j) * lo + row0 + kN * m);
  }
  for (ptrdiff_t r = 0; r < n; ++r) {
    const double* z = g + r * gs;
    hn::Vec<DD> zi[MI];
    for (int m = 0; m < MI; ++m) zi[m] = hn::Load(d, z + row0 + kN * m);
    for (int j = 0; j < NJ; ++j) {
      const auto zj = hn::Set(d, z[j0 + j]);
      for (int m = 0; m < MI; ++m) {
        acc[m][j] = kSubtract ? hn::NegMulAdd(zi[m], zj, acc[m][j]) : hn::MulAdd(zi[m], zj, acc[m][j]);
      }
    }
  }
  for (int m = 0; m < MI; ++m) {
    for (int j = 0; j < NJ; ++j) hn::Store(acc[m][j], d, out + (j0 + j) * lo + row0 + kN * m);
  }
}

// Column panel [8 jv, 8 jv + 8) of the lower block triangle of out (order
// 8 nv) (+/-)= g^T g, g being n rows of 8 nv. The diagonal 8 x 8 block is
// computed whole; its upper half is unused.
template <bool kSubtract>
void SyrkPanel(const double* g, ptrdiff_t gs, ptrdiff_t n, ptrdiff_t nv, ptrdiff_t jv, bool first,
               double* out, ptrdiff_t lo) {
  const ptrdiff_t vecs = (nv - jv) * kBlockDoubles / kN;  // row vectors from the diagonal down
  const ptrdiff_t top = jv * kBlockDoubles;
  for (ptrdiff_t j0 = top; j0 < top + kBlockDoubles; j0 += kTileCols) {
    ptrdiff_t v = 0;
    for (; v + kTileVecs <= vecs; v += kTileVecs)
      SyrkTile<kTileVecs, kTileCols, kSubtract>(g, gs, n, top + kN * v, j0, first, out, lo);
    if (vecs - v == 2) SyrkTile<2, kTileCols, kSubtract>(g, gs, n, top + kN * v, j0, first, out, lo);
    if (vecs - v == 1) SyrkTile<1, kTileCols, kSubtract>(g, gs, n, top + kN * v, j0, first, out, lo);
  }
}

void GramChunkImpl(const double* g, ptrdiff_t n, ptrdiff_t kp, const double* t, bool first, double* yy,
                   double* ys, double* yt) {
  const DD d;
  const ptrdiff_t nv = kp / kBlockDoubles;
  for (ptrdiff_t jv = 0; jv < nv; ++jv) SyrkPanel<false>(g, kp, n, nv, jv, first, yy, kp);
  for (ptrdiff_t f = 0; f < kp; f += kN) {
    auto s = first ? hn::Zero(d) : hn::Load(d, ys + f);
    auto st = first ? hn::Zero(d) : hn::Load(d, yt + f);
    for (ptrdiff_t r = 0; r < n; ++r) {
      const auto y = hn::Load(d, g + r * kp + f);
      s = hn::Add(s, y);
      st = hn::MulAdd(y, hn::Set(d, t[r]), st);
    }
    hn::Store(s, d, ys + f);
    hn::Store(st, d, yt + f);
  }
}

// v with its first `count` lanes (at most kN, none if <= 0) zeroed.
HWY_INLINE hn::Vec<DD> ZeroFirst(hn::Vec<DD> v, ptrdiff_t count) {
  if (count <= 0) return v;
  return hn::IfThenZeroElse(hn::FirstN(DD(), static_cast<size_t>(std::min(count, kN))), v);
}

bool CholeskyImpl(double* a, ptrdiff_t ld, double* inv) {
  const DD d;
  const ptrdiff_t nv = ld / kBlockDoubles;
  for (ptrdiff_t jv = 0; jv < nv; ++jv) {
    const ptrdiff_t jb = kBlockDoubles * jv;
    // A[i, j] -= sum_{p < jb} L[i, p] L[j, p]: column p of L, read as row p
    // of a row-major g of stride ld, is the operand SyrkPanel expects.
    if (jb > 0) SyrkPanel<true>(a, ld, jb, nv, jv, false, a, ld);
    const ptrdiff_t vecs = (ld - jb) / kN;  // vectors of the column from row jb down
    for (int c = 0; c < kBlockDoubles; ++c) {
      double* cj = a + (jb + c) * ld + jb;  // column jb + c from row jb (aligned)
      // Four independent chains at a time hide the multiply-add latency.
      for (ptrdiff_t m0 = 0; m0 < vecs; m0 += 4) {
        const int mn = static_cast<int>(std::min<ptrdiff_t>(4, vecs - m0));
        hn::Vec<DD> v[4];
        for (int m = 0; m < mn; ++m) v[m] = hn::Load(d, cj + kN * (m0 + m));
        for (int p = 0; p < c; ++p) {
          const double* cp = a + (jb + p) * ld + jb + kN * m0;
          const auto s = hn::Set(d, a[(jb + p) * ld + jb + c]);
          for (int m = 0; m < mn; ++m) v[m] = hn::NegMulAdd(hn::Load(d, cp + kN * m), s, v[m]);
        }
        // Rows above the diagonal are not part of L.
        for (int m = 0; m < mn; ++m) v[m] = ZeroFirst(v[m], c - kN * (m0 + m));
        for (int m = 0; m < mn; ++m) hn::Store(v[m], d, cj + kN * (m0 + m));
      }
      if (!(cj[c] > 0.0)) return false;  // also catches NaN
      const double l = std::sqrt(cj[c]);
      const double r = 1.0 / l;
      const auto rv = hn::Set(d, r);
      for (ptrdiff_t m = 0; m < vecs; ++m) hn::Store(hn::Mul(hn::Load(d, cj + kN * m), rv), d, cj + kN * m);
      cj[c] = l;
      inv[jb + c] = r;
    }
  }
  return true;
}

void CholeskySolveImpl(const double* l, const double* inv, ptrdiff_t ld, double* b, const double* noise,
                       ptrdiff_t dim) {
  const DD d;
  for (ptrdiff_t j = 0; j < ld; ++j) {
    const double* cj = l + j * ld;
    const double bj = b[j] * inv[j];
    // b[i] -= L[i, j] bj from j's 8-block on (L is zero above j within the
    // block; the diagonal lane's b[j] is overwritten with bj right after).
    const auto bv = hn::Set(d, bj);
    for (ptrdiff_t i = j / kBlockDoubles * kBlockDoubles; i < ld; i += kN)
      hn::Store(hn::NegMulAdd(hn::Load(d, cj + i), bv, hn::Load(d, b + i)), d, b + i);
    b[j] = bj;
  }
  if (noise)
    for (ptrdiff_t j = 0; j < dim; ++j) b[j] += noise[j];
  for (ptrdiff_t j = ld - 1; j >= 0; --j) {
    const double* cj = l + j * ld;
    const ptrdiff_t i0 = j / kBlockDoubles * kBlockDoubles;
    // sum_{i > j} L[i, j] x[i] over 8 logical lanes (those up to j zero),
    // reduced in Fold8's fixed tree.
    hn::Vec<DD> acc[kVecsPerBlock];
    for (int q = 0; q < kVecsPerBlock; ++q) {
      const auto lv = ZeroFirst(hn::Load(d, cj + i0 + kN * q), j - i0 + 1 - kN * q);
      acc[q] = hn::Mul(lv, hn::Load(d, b + i0 + kN * q));
    }
    for (ptrdiff_t i = i0 + kBlockDoubles; i < ld; i += kBlockDoubles) {
      for (int q = 0; q < kVecsPerBlock; ++q)
        acc[q] = hn::MulAdd(hn::Load(d, cj + i + kN * q), hn::Load(d, b + i + kN * q), acc[q]);
    }
    b[j] = (b[j] - Fold8(acc)) * inv[j];
  }
}

}  // namespace hpcrec::simd::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "src/simd/dispatch.hpp"

namespace hpcrec::simd {

HWY_EXPORT(GramChunkImpl);
HWY_EXPORT(CholeskyImpl);
HWY_EXPORT(CholeskySolveImpl);

namespace {
[[maybe_unused]] const bool capped = detail::apply_env_cap();
}

void gram_chunk(const double* g, std::ptrdiff_t n, std::ptrdiff_t kp, const double* t, bool first, double* yy,
                double* ys, double* yt) {
  HWY_DYNAMIC_DISPATCH(GramChunkImpl)(g, n, kp, t, first, yy, ys, yt);
}

bool cholesky_in_place(double* a, std::ptrdiff_t ld, double* inv) {
  return HWY_DYNAMIC_DISPATCH(CholeskyImpl)(a, ld, inv);
}

void cholesky_solve_in_place(const double* l, const double* inv, std::ptrdiff_t ld, double* b,
                             const double* noise, std::ptrdiff_t d) {
  HWY_DYNAMIC_DISPATCH(CholeskySolveImpl)(l, inv, ld, b, noise, d);
}

}  // namespace hpcrec::simd
#endif  // HWY_ONCE
