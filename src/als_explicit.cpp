// GCC 12 reports -Wmaybe-uninitialized false positives inside its own AVX-512
// intrinsics once Eigen's kernels are inlined here; nothing is read
// uninitialised. Must precede the includes to cover those header locations.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "src/als_explicit.hpp"

#include <Eigen/Cholesky>
#include <algorithm>
#include <cmath>
#include <optional>
#include <stdexcept>
#include <vector>
#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "src/first_error.hpp"

namespace hpcrec::math {

namespace {

using FactorsRef = Eigen::Ref<const Matrix>;
using BiasRef = Eigen::Ref<const Vector, 0, Eigen::InnerStride<>>;

// Ratings gathered per chunk. The per-thread workspace is O(kChunk * k),
// whatever the longest row (a 100k-rating item no longer needs a 52 MB Z),
// and 32 rows of k = 64 (16 KiB) stay in L1 while every tile of Y^T Y streams
// over them. Every sum runs over the ratings in column order whatever the
// chunking, so the chunk size does not change a row's result.
constexpr Eigen::Index kChunk = 32;
// Ratings ahead whose counterpart rows the gather prefetches: they are random
// reads from a matrix far larger than the caches.
constexpr Eigen::Index kPrefetch = 8;

#if defined(__AVX512F__)
constexpr Eigen::Index kLanes = 8;  // doubles per zmm register
#else
constexpr Eigen::Index kLanes = 1;
#endif

Eigen::Index round_up(Eigen::Index x) { return (x + kLanes - 1) / kLanes * kLanes; }

// Buffers one thread reuses for every row it solves. All are Eigen
// allocations, aligned to EIGEN_MAX_ALIGN_BYTES (a whole zmm register with
// AVX-512), and padded to whole vectors: the kernels below use aligned loads,
// and the padding stays zero, or identity on the diagonal of a.
struct RowWorkspace {
  explicit RowWorkspace(Eigen::Index k)
      : k(k),
        kp(round_up(k)),
        ld(round_up(k + 1)),
        g(Matrix::Zero(kChunk, kp)),
        t(kChunk),
        yy(kp, kp),
        ys(kp),
        yt(kp),
        a(ColMatrix::Zero(ld, ld)),
        b(Vector::Zero(ld)),
        inv(ld) {}
  Eigen::Index k;
  Eigen::Index kp;  // k rounded up to whole vectors
  Eigen::Index ld;  // d = k + 1 rounded up to whole vectors
  Matrix g;         // one chunk of gathered counterpart factors, row j = y_j
  Vector t;         // the chunk's targets
  ColMatrix yy;     // Y^T Y, lower block triangle (kLanes x kLanes blocks)
  Vector ys;        // Y^T 1 (the bias row of Z^T Z)
  Vector yt;        // Y^T t (Z^T t without its bias element)
  ColMatrix a;      // the normal equations (d x d, padded to ld x ld), lower triangle
  Vector b;         // right-hand side, then solution (padded to ld)
  Vector inv;       // reciprocals of the Cholesky factor's diagonal
};

#if defined(__AVX512F__)
// out[i, j] (+/-)= sum_r g[r, i] g[r, j] for rows i in [8 i0, 8 (i0 + MI))
// and columns j in [j0, j0 + 8): one tile of a symmetric rank-n update, with
// g row-major (row stride gs) and out column-major (leading dimension lo).
// MI x 8 accumulators stay in registers for all n rows (24 + 3 loads fit the
// 32 zmm registers). Each element is a chain of fused multiply-adds over the
// rows in order: its value depends only on g, not on what else is computed.
// `first` starts from zero instead of out.
template <int MI, bool kSubtract>
inline void syrk_tile(const double* g, Eigen::Index gs, Eigen::Index n, Eigen::Index i0, Eigen::Index j0,
                      bool first, double* out, Eigen::Index lo) {
  __m512d acc[MI][8];
  for (int m = 0; m < MI; ++m) {
    for (int j = 0; j < 8; ++j) {
      acc[m][j] = first ? _mm512_setzero_pd() : _mm512_load_pd(out + (j0 + j) * lo + 8 * (i0 + m));
    }
  }
  for (Eigen::Index r = 0; r < n; ++r) {
    const double* z = g + r * gs;
    __m512d zi[MI];
    for (int m = 0; m < MI; ++m) zi[m] = _mm512_load_pd(z + 8 * (i0 + m));
    for (int j = 0; j < 8; ++j) {
      const __m512d zj = _mm512_set1_pd(z[j0 + j]);
      for (int m = 0; m < MI; ++m) {
        acc[m][j] =
            kSubtract ? _mm512_fnmadd_pd(zi[m], zj, acc[m][j]) : _mm512_fmadd_pd(zi[m], zj, acc[m][j]);
      }
    }
  }
  for (int m = 0; m < MI; ++m) {
    for (int j = 0; j < 8; ++j) _mm512_store_pd(out + (j0 + j) * lo + 8 * (i0 + m), acc[m][j]);
  }
}

// Column panel [8 jv, 8 jv + 8) of the lower block triangle of out (order
// 8 nv) (+/-)= g^T g, g being n rows of 8 nv: tiles of up to 3 vectors of
// rows. The diagonal 8 x 8 block is computed whole; its upper half is unused
// (and not counted in the flops).
template <bool kSubtract>
void syrk_panel(const double* g, Eigen::Index gs, Eigen::Index n, Eigen::Index nv, Eigen::Index jv,
                bool first, double* out, Eigen::Index lo) {
  Eigen::Index iv = jv;
  for (; iv + 3 <= nv; iv += 3) syrk_tile<3, kSubtract>(g, gs, n, iv, 8 * jv, first, out, lo);
  if (nv - iv == 2) syrk_tile<2, kSubtract>(g, gs, n, iv, 8 * jv, first, out, lo);
  if (nv - iv == 1) syrk_tile<1, kSubtract>(g, gs, n, iv, 8 * jv, first, out, lo);
}

// Adds one chunk of n gathered rows to yy, ys and yt.
void accumulate_chunk(RowWorkspace& ws, Eigen::Index n, bool first) {
  const Eigen::Index kp = ws.kp;
  const double* g = ws.g.data();
  for (Eigen::Index jv = 0; jv < kp / 8; ++jv)
    syrk_panel<false>(g, kp, n, kp / 8, jv, first, ws.yy.data(), kp);
  for (Eigen::Index v = 0; v < kp; v += 8) {
    __m512d s = first ? _mm512_setzero_pd() : _mm512_load_pd(ws.ys.data() + v);
    __m512d st = first ? _mm512_setzero_pd() : _mm512_load_pd(ws.yt.data() + v);
    for (Eigen::Index r = 0; r < n; ++r) {
      const __m512d y = _mm512_load_pd(g + r * kp + v);
      s = _mm512_add_pd(s, y);
      st = _mm512_fmadd_pd(y, _mm512_set1_pd(ws.t[r]), st);
    }
    _mm512_store_pd(ws.ys.data() + v, s);
    _mm512_store_pd(ws.yt.data() + v, st);
  }
}

// In-place Cholesky of the lower triangle of the column-major a (order and
// leading dimension ld, a multiple of 8), left-looking in panels of 8
// columns: the panel takes the updates of all earlier columns from
// syrk_panel (the bulk of the flops, at near the machine's peak), then is
// factored column by column. Writes the reciprocals of L's diagonal to inv.
// On entry the upper half of each diagonal 8 x 8 block may hold anything; on
// return it is zero. Padding rows and columns must be identity; they stay
// identity and take no part. Returns false if a pivot is not positive.
bool cholesky_in_place(double* a, Eigen::Index ld, double* inv) {
  const Eigen::Index nv = ld / 8;
  for (Eigen::Index jv = 0; jv < nv; ++jv) {
    const Eigen::Index jb = 8 * jv;
    // A[i, j] -= sum_{p < jb} L[i, p] L[j, p]: column p of L, read as row p
    // of a row-major g of stride ld, is the operand syrk_panel expects.
    if (jb > 0) syrk_panel<true>(a, ld, jb, nv, jv, false, a, ld);
    for (int c = 0; c < 8; ++c) {
      double* cj = a + (jb + c) * ld + jb;  // column jb + c from row jb (aligned)
      // Four independent chains at a time hide the FMA latency.
      for (Eigen::Index m0 = 0; m0 < nv - jv; m0 += 4) {
        const int mn = static_cast<int>(std::min<Eigen::Index>(4, nv - jv - m0));
        __m512d v[4];
        for (int m = 0; m < mn; ++m) v[m] = _mm512_load_pd(cj + 8 * (m0 + m));
        for (int p = 0; p < c; ++p) {
          const double* cp = a + (jb + p) * ld + jb + 8 * m0;
          const __m512d s = _mm512_set1_pd(a[(jb + p) * ld + jb + c]);
          for (int m = 0; m < mn; ++m) v[m] = _mm512_fnmadd_pd(_mm512_load_pd(cp + 8 * m), s, v[m]);
        }
        // Rows above the diagonal are not part of L.
        if (m0 == 0) v[0] = _mm512_maskz_mov_pd(static_cast<__mmask8>(0xFF << c), v[0]);
        for (int m = 0; m < mn; ++m) _mm512_store_pd(cj + 8 * (m0 + m), v[m]);
      }
      if (!(cj[c] > 0.0)) return false;  // also catches NaN
      const double l = std::sqrt(cj[c]);
      const double r = 1.0 / l;
      const __m512d rv = _mm512_set1_pd(r);
      for (Eigen::Index m = 0; m < nv - jv; ++m)
        _mm512_store_pd(cj + 8 * m, _mm512_mul_pd(_mm512_load_pd(cj + 8 * m), rv));
      cj[c] = l;
      inv[jb + c] = r;
    }
  }
  return true;
}

// Solves L L^T x = b in place, L and inv from cholesky_in_place (order and
// leading dimension ld; b padded to ld with zeros, which stay zero). With
// `noise` (d values) it is added between the two triangular solves.
void cholesky_solve_in_place(const double* l, const double* inv, Eigen::Index ld, double* b,
                             const double* noise, Eigen::Index d) {
  for (Eigen::Index j = 0; j < ld; ++j) {
    const double* cj = l + j * ld;
    const double bj = b[j] * inv[j];
    // b[i] -= L[i, j] bj below j; L is zero above j within the block, and
    // the diagonal lane's b[j] is overwritten with bj right after.
    for (Eigen::Index i = j / 8 * 8; i < ld; i += 8) {
      _mm512_store_pd(b + i,
                      _mm512_fnmadd_pd(_mm512_load_pd(cj + i), _mm512_set1_pd(bj), _mm512_load_pd(b + i)));
    }
    b[j] = bj;
  }
  if (noise)
    for (Eigen::Index j = 0; j < d; ++j) b[j] += noise[j];
  for (Eigen::Index j = ld - 1; j >= 0; --j) {
    const double* cj = l + j * ld;
    const Eigen::Index i0 = j / 8 * 8;
    // sum_{i > j} L[i, j] x[i], with a fixed lane order, then one reduction.
    __m512d acc = _mm512_mul_pd(_mm512_maskz_load_pd(static_cast<__mmask8>(0xFE << (j - i0)), cj + i0),
                                _mm512_load_pd(b + i0));
    for (Eigen::Index i = i0 + 8; i < ld; i += 8)
      acc = _mm512_fmadd_pd(_mm512_load_pd(cj + i), _mm512_load_pd(b + i), acc);
    b[j] = (b[j] - _mm512_reduce_add_pd(acc)) * inv[j];
  }
}
#else
// Portable fallback: Eigen's rank update on the chunk. Its blocking depends
// only on (n, k), so a row's result is still independent of the other rows.
void accumulate_chunk(RowWorkspace& ws, Eigen::Index n, bool first) {
  if (first) {
    ws.yy.setZero();
    ws.ys.setZero();
    ws.yt.setZero();
  }
  const auto g = ws.g.topRows(n);
  ws.yy.selfadjointView<Eigen::Lower>().rankUpdate(g.transpose());
  ws.ys.noalias() += g.transpose() * Vector::Ones(n);
  ws.yt.noalias() += g.transpose() * ws.t.head(n);
}

// In-place Cholesky of the lower triangle of the column-major a (order and
// leading dimension ld), left-looking with four columns per pass. Returns
// false if a pivot is not positive.
bool cholesky_in_place(double* a, Eigen::Index ld, double* /*inv*/) {
  for (Eigen::Index j = 0; j < ld; ++j) {
    double* cj = a + j * ld;
    Eigen::Index p = 0;
    for (; p + 4 <= j; p += 4) {
      const double* c0 = a + p * ld;
      const double* c1 = c0 + ld;
      const double* c2 = c1 + ld;
      const double* c3 = c2 + ld;
      const double s0 = c0[j], s1 = c1[j], s2 = c2[j], s3 = c3[j];
      for (Eigen::Index i = j; i < ld; ++i) cj[i] -= s0 * c0[i] + s1 * c1[i] + s2 * c2[i] + s3 * c3[i];
    }
    for (; p < j; ++p) {
      const double* c0 = a + p * ld;
      const double s0 = c0[j];
      for (Eigen::Index i = j; i < ld; ++i) cj[i] -= s0 * c0[i];
    }
    if (!(cj[j] > 0.0)) return false;  // also catches NaN
    const double l = std::sqrt(cj[j]);
    cj[j] = l;
    const double inv = 1.0 / l;
    for (Eigen::Index i = j + 1; i < ld; ++i) cj[i] *= inv;
  }
  return true;
}

// Solves L L^T x = b in place, L from cholesky_in_place (order and leading
// dimension ld); `noise` (d values) added between the two triangular solves.
void cholesky_solve_in_place(const double* l, const double* /*inv*/, Eigen::Index ld, double* b,
                             const double* noise, Eigen::Index d) {
  for (Eigen::Index j = 0; j < ld; ++j) {
    const double* cj = l + j * ld;
    b[j] /= cj[j];
    const double bj = b[j];
    for (Eigen::Index i = j + 1; i < ld; ++i) b[i] -= cj[i] * bj;
  }
  if (noise)
    for (Eigen::Index j = 0; j < d; ++j) b[j] += noise[j];
  for (Eigen::Index j = ld - 1; j >= 0; --j) {
    const double* cj = l + j * ld;
    double sum = b[j];
    for (Eigen::Index i = j + 1; i < ld; ++i) sum -= cj[i] * b[i];
    b[j] = sum / cj[j];
  }
}
#endif

// Assembles the row's normal equations into ws.a (lower triangle, padding
// identity) and ws.b, gathering and accumulating its ratings chunk by chunk.
void assemble(const CsrView& ratings, Index row, const FactorsRef& src_factors, const BiasRef& src_bias,
              const ExplicitAlsConfig& config, RowWorkspace& ws) {
  const Offset begin = ratings.indptr[row];
  const Offset n = ratings.indptr[row + 1] - begin;
  const Eigen::Index k = ws.k;
  const Index* cols = ratings.cols.data() + begin;
  const float* values = ratings.values.data() + begin;
  const Eigen::Index row_bytes = k * Eigen::Index{sizeof(double)};
  double tsum = 0.0;
  if (n == 0) {  // only with a prior: no chunk initialises the sums
    ws.yy.setZero();
    ws.ys.setZero();
    ws.yt.setZero();
  }
  for (Offset c0 = 0; c0 < n; c0 += kChunk) {
    const Eigen::Index len = std::min<Offset>(kChunk, n - c0);
    for (Eigen::Index j = 0; j < len; ++j) {
      if (c0 + j + kPrefetch < n) {
        const char* p = reinterpret_cast<const char*>(src_factors.row(cols[c0 + j + kPrefetch]).data());
        for (Eigen::Index off = 0; off < row_bytes; off += 64) __builtin_prefetch(p + off);
        __builtin_prefetch(p + row_bytes - 1);  // the row's last line, when it straddles one more
      }
      const Index c = cols[c0 + j];
      const double* y = src_factors.row(c).data();
      double* dst = ws.g.row(j).data();
      for (Eigen::Index f = 0; f < k; ++f) dst[f] = y[f];
      ws.t[j] = static_cast<double>(values[c0 + j]) - config.global_mean - src_bias[c];
      tsum += ws.t[j];
    }
    accumulate_chunk(ws, len, c0 == 0);
  }
  // Z = [Y 1], so Z^T Z = [Y^T Y, Y^T 1; 1^T Y, n] and Z^T t = [Y^T t; 1^T t].
  const double s = config.weighted_lambda ? static_cast<double>(n) : 1.0;
  const Eigen::Index ld = ws.ld;
  double* a = ws.a.data();
  for (Eigen::Index j = 0; j < k; ++j) {
    double* cj = a + j * ld;
    const double* yj = ws.yy.data() + j * ws.kp;
    for (Eigen::Index i = j; i < k; ++i) cj[i] = yj[i];
    cj[j] += config.lambda * s;
    cj[k] = ws.ys[j];
    for (Eigen::Index i = k + 1; i < ld; ++i) cj[i] = 0.0;
  }
  for (Eigen::Index j = k; j < ld; ++j) {
    double* cj = a + j * ld;
    for (Eigen::Index i = j; i < ld; ++i) cj[i] = 0.0;
    cj[j] = 1.0;
  }
  a[k * ld + k] = static_cast<double>(n) + config.bias_lambda * s;
  ws.b.head(k) = ws.yt.head(k);
  ws.b[k] = tsum;
  if (config.prior) {
    // The ridge above is replaced: take it out again and add the prior.
    const ColMatrix& p = *config.prior;
    for (Eigen::Index j = 0; j < k; ++j) {
      double* cj = a + j * ld;
      cj[j] = ws.yy.data()[j * ws.kp + j];
      for (Eigen::Index i = j; i <= k; ++i) cj[i] += p(i, j);
    }
    a[k * ld + k] = static_cast<double>(n) + p(k, k);
    ws.b.head(k + 1) += *config.prior_rhs;
  }
  // ws.b's padding is zero from the constructor and never written.
}

void solve_row(const CsrView& ratings, Index row, const FactorsRef& src_factors, const BiasRef& src_bias,
               const ExplicitAlsConfig& config, RowWorkspace& ws, Matrix& dst_factors, Vector& dst_bias) {
  const Eigen::Index k = ws.k;
  if (ratings.indptr[row + 1] == ratings.indptr[row] && !config.prior) {
    dst_factors.row(row).setZero();
    dst_bias[row] = 0.0;
    return;
  }
  assemble(ratings, row, src_factors, src_bias, config, ws);
  // In place: no allocation per row on the common path.
  if (cholesky_in_place(ws.a.data(), ws.ld, ws.inv.data())) {
    cholesky_solve_in_place(ws.a.data(), ws.inv.data(), ws.ld, ws.b.data(),
                            config.noise ? config.noise->row(row).data() : nullptr, k + 1);
  } else {
    // Only reachable with lambda = 0 and rank-deficient Z. Rare, so the
    // re-assembly and the allocating LDL^T do not matter.
    assemble(ratings, row, src_factors, src_bias, config, ws);
    Eigen::LDLT<ColMatrix, Eigen::Lower> ldlt(ws.a.topLeftCorner(k + 1, k + 1));
    Vector w = ldlt.solve(ws.b.head(k + 1));
    if (ldlt.info() != Eigen::Success || !w.allFinite()) w.setZero();
    ws.b.head(k + 1) = w;
  }
  std::copy_n(ws.b.data(), k, dst_factors.row(row).data());
  dst_bias[row] = ws.b[k];
}

}  // namespace

void solve_explicit_rows(const CsrView& ratings, const Eigen::Ref<const Matrix>& src_factors,
                         const Eigen::Ref<const Vector, 0, Eigen::InnerStride<>>& src_bias,
                         const ExplicitAlsConfig& config, Matrix& dst_factors, Vector& dst_bias) {
  const Index rows = ratings.rows();
  const auto k = src_factors.cols();
  if (dst_factors.rows() != rows || dst_factors.cols() != k || dst_bias.size() != rows ||
      src_bias.size() != src_factors.rows()) {
    throw std::invalid_argument("solve_explicit_rows: factor and bias shapes do not match the block");
  }
  if ((config.prior && (config.prior->rows() != k + 1 || config.prior->cols() != k + 1 || !config.prior_rhs ||
                        config.prior_rhs->size() != k + 1)) ||
      (config.noise && (config.noise->rows() != rows || config.noise->cols() != k + 1))) {
    throw std::invalid_argument("solve_explicit_rows: prior or noise shapes do not match k + 1");
  }
  const int threads = std::max(config.threads, 1);

  // Rows are independent and each is solved by one fixed code path, chosen
  // by its own n and k only, so the result does not depend on the thread
  // count or on the schedule.
  FirstError errors;
#pragma omp parallel num_threads(threads)
  {
    // Each thread allocates its own workspace (from its own malloc arena:
    // no cache line shared with another thread's).
    std::optional<RowWorkspace> ws;
    errors.run([&] { ws.emplace(k); });
#pragma omp for schedule(dynamic, 16)
    for (Index r = 0; r < rows; ++r) {
      if (!ws) continue;  // its allocation failed: rethrown below
      // The rare LDLT fallback allocates too.
      errors.run([&] { solve_row(ratings, r, src_factors, src_bias, config, *ws, dst_factors, dst_bias); });
    }
  }
  errors.rethrow();
}

double explicit_rows_flops(const CsrView& ratings, int k) {
  const double d = k + 1.0;
  double flops = 0.0;
  for (Index r = 0; r < ratings.rows(); ++r) {
    const auto n = static_cast<double>(ratings.indptr[r + 1] - ratings.indptr[r]);
    // An empty row is zeroed, not solved: it costs no flops.
    if (n == 0) continue;
    flops += n * d * (d + 1.0) + 2.0 * n * d + d * d * d / 3.0 + 2.0 * d * d;
  }
  return flops;
}

}  // namespace hpcrec::math
