// GCC 12 reports -Wmaybe-uninitialized false positives inside its own AVX-512
// intrinsics once Eigen's kernels are inlined here; nothing is read
// uninitialised. Must precede the includes to cover those header locations.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "src/als_implicit.hpp"

#include <Eigen/Cholesky>
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>
#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace hpcrec::math {

namespace {

using FactorsRef = Eigen::Ref<const Matrix>;

// Every vector below is padded from k to kp = k rounded up to whole 8-double
// SIMD vectors; the padding lanes hold zeros and stay zero (they only ever
// meet other zeros), so they change no sum.
constexpr Eigen::Index kLanes = 8;
// Counterpart rows prefetched ahead by the gather (random reads from a matrix
// far larger than the caches).
constexpr Eigen::Index kPrefetch = 8;

Eigen::Index round_up(Eigen::Index x) { return (x + kLanes - 1) / kLanes * kLanes; }

// Rows one gather holds: 2 MiB of doubles (4096 rows at k = 64), at least
// 32. A CG row with at most this many interactions is gathered once and
// stays in L2 for all its passes; a longer row is re-gathered per pass. The
// workspace is thus bounded whatever the longest row.
Eigen::Index gather_capacity(Eigen::Index kp) { return std::max<Eigen::Index>(32, 262144 / kp); }

// ---------------------------------------------------------------------------
// Fixed-order kernels on padded, 64-byte aligned data. Each result depends
// only on the values, never on addresses or on what else is computed, so a
// row's factors are bitwise reproducible.

#if defined(__AVX512F__)
// a . b over kp doubles: one accumulator chain over the vectors in order,
// then the fixed horizontal reduction.
inline double dot(const double* a, const double* b, Eigen::Index kp) {
  __m512d acc = _mm512_mul_pd(_mm512_load_pd(a), _mm512_load_pd(b));
  for (Eigen::Index v = kLanes; v < kp; v += kLanes) {
    acc = _mm512_fmadd_pd(_mm512_load_pd(a + v), _mm512_load_pd(b + v), acc);
  }
  return _mm512_reduce_add_pd(acc);
}

// For each of the n rows g_j (row stride kp) in order:
//   s_j = g_j . v,   out += coef(w_j, s_j) g_j.
// Four rows at a time for instruction-level parallelism; per row the dot is
// the same chain as dot(), and out is updated by one fused multiply-add per
// row in row order, exactly as the one-row tail does, so the grouping does
// not change any bit.
template <class Coef>
void weighted_pass(const double* g, Eigen::Index n, Eigen::Index kp, const double* v, const double* w,
                   Coef coef, double* out) {
  Eigen::Index j = 0;
  for (; j + 4 <= n; j += 4) {
    const double* g0 = g + j * kp;
    const double* g1 = g0 + kp;
    const double* g2 = g1 + kp;
    const double* g3 = g2 + kp;
    __m512d vv = _mm512_load_pd(v);
    __m512d a0 = _mm512_mul_pd(_mm512_load_pd(g0), vv);
    __m512d a1 = _mm512_mul_pd(_mm512_load_pd(g1), vv);
    __m512d a2 = _mm512_mul_pd(_mm512_load_pd(g2), vv);
    __m512d a3 = _mm512_mul_pd(_mm512_load_pd(g3), vv);
    for (Eigen::Index f = kLanes; f < kp; f += kLanes) {
      vv = _mm512_load_pd(v + f);
      a0 = _mm512_fmadd_pd(_mm512_load_pd(g0 + f), vv, a0);
      a1 = _mm512_fmadd_pd(_mm512_load_pd(g1 + f), vv, a1);
      a2 = _mm512_fmadd_pd(_mm512_load_pd(g2 + f), vv, a2);
      a3 = _mm512_fmadd_pd(_mm512_load_pd(g3 + f), vv, a3);
    }
    const __m512d c0 = _mm512_set1_pd(coef(w[j], _mm512_reduce_add_pd(a0)));
    const __m512d c1 = _mm512_set1_pd(coef(w[j + 1], _mm512_reduce_add_pd(a1)));
    const __m512d c2 = _mm512_set1_pd(coef(w[j + 2], _mm512_reduce_add_pd(a2)));
    const __m512d c3 = _mm512_set1_pd(coef(w[j + 3], _mm512_reduce_add_pd(a3)));
    for (Eigen::Index f = 0; f < kp; f += kLanes) {
      __m512d o = _mm512_load_pd(out + f);
      o = _mm512_fmadd_pd(_mm512_load_pd(g0 + f), c0, o);
      o = _mm512_fmadd_pd(_mm512_load_pd(g1 + f), c1, o);
      o = _mm512_fmadd_pd(_mm512_load_pd(g2 + f), c2, o);
      o = _mm512_fmadd_pd(_mm512_load_pd(g3 + f), c3, o);
      _mm512_store_pd(out + f, o);
    }
  }
  for (; j < n; ++j) {
    const double* gj = g + j * kp;
    const __m512d c = _mm512_set1_pd(coef(w[j], dot(gj, v, kp)));
    for (Eigen::Index f = 0; f < kp; f += kLanes) {
      _mm512_store_pd(out + f, _mm512_fmadd_pd(_mm512_load_pd(gj + f), c, _mm512_load_pd(out + f)));
    }
  }
}

// out[row0 .. row0 + 8 NV) = sum_{j < k, in order} a[:, j] v[j]: NV
// independent accumulator chains kept in registers.
template <int NV>
void symv_panel(const double* a, Eigen::Index lda, Eigen::Index k, Eigen::Index row0, const double* v,
                double* out) {
  __m512d acc[NV];
  for (int m = 0; m < NV; ++m) acc[m] = _mm512_setzero_pd();
  for (Eigen::Index j = 0; j < k; ++j) {
    const __m512d vj = _mm512_set1_pd(v[j]);
    const double* col = a + j * lda + row0;
    for (int m = 0; m < NV; ++m) acc[m] = _mm512_fmadd_pd(_mm512_load_pd(col + kLanes * m), vj, acc[m]);
  }
  for (int m = 0; m < NV; ++m) _mm512_store_pd(out + row0 + kLanes * m, acc[m]);
}

// out = A v, A the full symmetric kp x kp (leading dimension kp) padded Gram.
void symv(const double* a, Eigen::Index k, Eigen::Index kp, const double* v, double* out) {
  for (Eigen::Index row0 = 0; row0 < kp; row0 += 8 * kLanes) {
    switch (std::min<Eigen::Index>(8, (kp - row0) / kLanes)) {
      case 8:
        symv_panel<8>(a, kp, k, row0, v, out);
        break;
      case 7:
        symv_panel<7>(a, kp, k, row0, v, out);
        break;
      case 6:
        symv_panel<6>(a, kp, k, row0, v, out);
        break;
      case 5:
        symv_panel<5>(a, kp, k, row0, v, out);
        break;
      case 4:
        symv_panel<4>(a, kp, k, row0, v, out);
        break;
      case 3:
        symv_panel<3>(a, kp, k, row0, v, out);
        break;
      case 2:
        symv_panel<2>(a, kp, k, row0, v, out);
        break;
      default:
        symv_panel<1>(a, kp, k, row0, v, out);
        break;
    }
  }
}
#else
// Portable versions: the same sums, each in one fixed sequential order.
inline double dot(const double* a, const double* b, Eigen::Index kp) {
  double s = a[0] * b[0];
  for (Eigen::Index f = 1; f < kp; ++f) s += a[f] * b[f];
  return s;
}

template <class Coef>
void weighted_pass(const double* g, Eigen::Index n, Eigen::Index kp, const double* v, const double* w,
                   Coef coef, double* out) {
  for (Eigen::Index j = 0; j < n; ++j) {
    const double* gj = g + j * kp;
    const double c = coef(w[j], dot(gj, v, kp));
    for (Eigen::Index f = 0; f < kp; ++f) out[f] += c * gj[f];
  }
}

void symv(const double* a, Eigen::Index k, Eigen::Index kp, const double* v, double* out) {
  std::fill_n(out, kp, 0.0);
  for (Eigen::Index j = 0; j < k; ++j) {
    const double* col = a + j * kp;
    const double vj = v[j];
    for (Eigen::Index i = 0; i < kp; ++i) out[i] += col[i] * vj;
  }
}
#endif

// ---------------------------------------------------------------------------

double confidence_weight(const ImplicitAlsConfig& config, double r) {
  if (!(r > 0.0)) return 0.0;
  return config.confidence == ImplicitAlsConfig::Confidence::kLog ? config.alpha * std::log1p(r / config.eps)
                                                                  : config.alpha * r;
}

// Buffers one thread reuses for every row it solves: all Eigen allocations,
// 64-byte aligned, and sized by k only.
struct Workspace {
  explicit Workspace(Eigen::Index k)
      : k(k),
        kp(round_up(k)),
        cap(gather_capacity(kp)),
        g(Matrix::Zero(cap, kp)),
        w(cap),
        x(Vector::Zero(kp)),
        r(Vector::Zero(kp)),
        p(Vector::Zero(kp)),
        ap(Vector::Zero(kp)),
        t(Vector::Zero(kp)),
        a(k, k),
        b(k) {}
  Eigen::Index k;
  Eigen::Index kp;
  Eigen::Index cap;
  Matrix g;  // gathered counterpart rows y_i (row j, padded with zeros)
  Vector w;  // their weights w = c - 1
  Vector x, r, p, ap, t;
  ColMatrix a;  // Cholesky: the normal equations, lower triangle
  Vector b;     // Cholesky: right-hand side, then solution
};

// The positive interactions of one row, gathered cap at a time.
class RowGather {
 public:
  RowGather(const CsrView& m, Index row, const FactorsRef& src, const ImplicitAlsConfig& config)
      : cols_(m.cols.data()),
        values_(m.values.data()),
        begin_(m.indptr[row]),
        end_(m.indptr[row + 1]),
        src_(src),
        config_(config) {}

  Offset positives() const {
    Offset n = 0;
    for (Offset e = begin_; e < end_; ++e) n += values_[e] > 0.0f ? 1 : 0;
    return n;
  }

  // Gathers the next up to ws.cap positive interactions, starting at stored
  // position *pos (advanced past them), into ws.g / ws.w; returns how many.
  Eigen::Index next(Offset* pos, Workspace& ws) const {
    const Eigen::Index k = ws.k;
    const Eigen::Index row_bytes = k * Eigen::Index{sizeof(double)};
    Eigen::Index len = 0;
    Offset e = *pos;
    for (; e < end_ && len < ws.cap; ++e) {
      if (e + kPrefetch < end_) {
        const char* q = reinterpret_cast<const char*>(src_.row(cols_[e + kPrefetch]).data());
        for (Eigen::Index off = 0; off < row_bytes; off += 64) __builtin_prefetch(q + off);
        __builtin_prefetch(q + row_bytes - 1);
      }
      if (!(values_[e] > 0.0f)) continue;
      const double* y = src_.row(cols_[e]).data();
      std::copy_n(y, k, ws.g.row(len).data());
      ws.w[len] = confidence_weight(config_, values_[e]);
      ++len;
    }
    *pos = e;
    return len;
  }

  Offset begin() const { return begin_; }

 private:
  const Index* cols_;
  const float* values_;
  Offset begin_;
  Offset end_;
  const FactorsRef& src_;
  const ImplicitAlsConfig& config_;
};

// Calls body(len) on each gathered chunk of the row's positive interactions.
// `resident` > 0 means ws.g already holds the whole row (that many rows).
template <class Body>
void for_each_chunk(const RowGather& gather, Eigen::Index resident, Workspace& ws, Body body) {
  if (resident > 0) {
    body(resident);
    return;
  }
  Offset pos = gather.begin();
  for (Eigen::Index len; (len = gather.next(&pos, ws)) > 0;) body(len);
}

// ---------------------------------------------------------------------------
// Conjugate gradient, matrix-free, from the warm start in x.

void solve_row_cg(const RowGather& gather, Offset n, const ColMatrix& ytyp, const ImplicitAlsConfig& config,
                  Workspace& ws, double* x_out) {
  const Eigen::Index k = ws.k;
  const Eigen::Index kp = ws.kp;
  const double lambda = config.lambda;
  double* x = ws.x.data();
  double* r = ws.r.data();
  double* p = ws.p.data();
  double* ap = ws.ap.data();
  double* t = ws.t.data();
  const double* g = ws.g.data();
  const double* w = ws.w.data();

  // A row that fits is gathered once for all its passes.
  Eigen::Index resident = 0;
  if (n <= ws.cap) {
    Offset pos = gather.begin();
    resident = gather.next(&pos, ws);
  }

  std::copy_n(x_out, k, x);  // padding of x stays zero
  // r = b - A x = sum_i (c_i - w_i (y_i . x)) y_i - YtY x - lambda x.
  std::fill_n(r, kp, 0.0);
  for_each_chunk(gather, resident, ws, [&](Eigen::Index len) {
    weighted_pass(
        g, len, kp, x, w, [](double wi, double s) { return (1.0 + wi) - wi * s; }, r);
  });
  symv(ytyp.data(), k, kp, x, t);
  for (Eigen::Index f = 0; f < kp; ++f) {
    r[f] = r[f] - t[f] - lambda * x[f];
    p[f] = r[f];
  }
  double rs = dot(r, r, kp);
  // Below this the residual is rounding noise of the warm start: further
  // steps cannot improve x (and p^T A p could underflow to zero).
  const double tiny = std::max(std::numeric_limits<double>::min(), 1e-30 * rs);
  for (int step = 0; step < config.cg_steps && rs > tiny; ++step) {
    // ap = (YtY + lambda I) p + sum_i w_i (y_i . p) y_i
    symv(ytyp.data(), k, kp, p, ap);
    for (Eigen::Index f = 0; f < kp; ++f) ap[f] += lambda * p[f];
    for_each_chunk(gather, resident, ws, [&](Eigen::Index len) {
      weighted_pass(
          g, len, kp, p, w, [](double wi, double s) { return wi * s; }, ap);
    });
    const double pap = dot(p, ap, kp);
    if (!(pap > 0.0)) break;  // not positive definite along p (lambda = 0): keep the best x so far
    const double step_len = rs / pap;
    for (Eigen::Index f = 0; f < kp; ++f) {
      x[f] += step_len * p[f];
      r[f] -= step_len * ap[f];
    }
    const double rs_next = dot(r, r, kp);
    const double beta = rs_next / rs;
    for (Eigen::Index f = 0; f < kp; ++f) p[f] = r[f] + beta * p[f];
    rs = rs_next;
  }
  std::copy_n(x, k, x_out);
}

// ---------------------------------------------------------------------------
// Cholesky: A = YtY + lambda I + sum_i w_i y_i y_i^T formed densely.

void assemble_cholesky(const RowGather& gather, const ColMatrix& ytyp, const ImplicitAlsConfig& config,
                       Workspace& ws) {
  const Eigen::Index k = ws.k;
  const Eigen::Index kp = ws.kp;
  for (Eigen::Index j = 0; j < k; ++j) {
    for (Eigen::Index i = j; i < k; ++i) ws.a(i, j) = ytyp(i, j);
    ws.a(j, j) += config.lambda;
  }
  ws.t.setZero();  // b, padded
  // Eigen's packing buffers stay on the stack up to 128 KiB: rank-update in
  // blocks of at most 96 KiB of rows (see NormalEquation::add_block).
  const Eigen::Index syrk_rows = std::max<Eigen::Index>(16, 12288 / k);
  for_each_chunk(gather, 0, ws, [&](Eigen::Index len) {
    // b += c_i y_i, then y_i <- sqrt(w_i) y_i so that the rank update adds w_i y_i y_i^T.
    double* b = ws.t.data();
    for (Eigen::Index j = 0; j < len; ++j) {
      double* y = ws.g.row(j).data();
      const double c = 1.0 + ws.w[j];
      const double scale = std::sqrt(ws.w[j]);
      for (Eigen::Index f = 0; f < kp; ++f) {
        b[f] += c * y[f];
        y[f] *= scale;
      }
    }
    for (Eigen::Index r0 = 0; r0 < len; r0 += syrk_rows) {
      const Eigen::Index m = std::min(syrk_rows, len - r0);
      ws.a.selfadjointView<Eigen::Lower>().rankUpdate(ws.g.block(r0, 0, m, k).transpose());
    }
  });
  ws.b = ws.t.head(k);
}

void solve_row_cholesky(const RowGather& gather, const ColMatrix& ytyp, const ImplicitAlsConfig& config,
                        Workspace& ws, double* x_out) {
  const Eigen::Index k = ws.k;
  assemble_cholesky(gather, ytyp, config, ws);
  {
    Eigen::LLT<Eigen::Ref<ColMatrix>, Eigen::Lower> llt(ws.a);  // in place: no allocation
    if (llt.info() == Eigen::Success) {
      llt.solveInPlace(ws.b);
      std::copy_n(ws.b.data(), k, x_out);
      return;
    }
  }
  // Only reachable with lambda = 0 and a singular YtY: rare, so the second
  // assembly and the allocating pivoted LDL^T do not matter.
  assemble_cholesky(gather, ytyp, config, ws);
  Eigen::LDLT<ColMatrix, Eigen::Lower> ldlt(ws.a);
  Vector x = ldlt.solve(ws.b);
  if (ldlt.info() != Eigen::Success || !x.allFinite()) x.setZero();
  std::copy_n(x.data(), k, x_out);
}

void check_config(const ImplicitAlsConfig& c) {
  if (!(c.lambda >= 0.0) || !(c.alpha >= 0.0) || c.cg_steps < 0 ||
      (c.confidence == ImplicitAlsConfig::Confidence::kLog && !(c.eps > 0.0))) {
    throw std::invalid_argument(
        "implicit ALS: need lambda >= 0, alpha >= 0, cg_steps >= 0 and eps > 0 (log)");
  }
}

// The padded, full symmetric kp x kp copy of the lower triangle of yty.
ColMatrix padded_gram(const Eigen::Ref<const ColMatrix>& yty, Eigen::Index kp) {
  const Eigen::Index k = yty.rows();
  ColMatrix p = ColMatrix::Zero(kp, kp);
  for (Eigen::Index j = 0; j < k; ++j) {
    for (Eigen::Index i = j; i < k; ++i) p(i, j) = p(j, i) = yty(i, j);
  }
  return p;
}

// Per-row loss correction, in the row's stored order.
double row_loss_terms(const RowGather& gather, const double* x_row, const ImplicitAlsConfig& /*config*/,
                      Workspace& ws) {
  std::copy_n(x_row, ws.k, ws.x.data());
  double sum = 0.0;
  for_each_chunk(gather, 0, ws, [&](Eigen::Index len) {
    for (Eigen::Index j = 0; j < len; ++j) {
      const double s = dot(ws.g.row(j).data(), ws.x.data(), ws.kp);
      const double c = 1.0 + ws.w[j];
      sum += c * (1.0 - s) * (1.0 - s) - s * s;
    }
  });
  return sum;
}

std::vector<double> loss_terms_per_row(const CsrView& m, const FactorsRef& src, const FactorsRef& rows,
                                       const ImplicitAlsConfig& config) {
  check_config(config);
  if (rows.rows() != m.rows() || rows.cols() != src.cols()) {
    throw std::invalid_argument("implicit_loss_terms: factor shapes do not match the block");
  }
  std::vector<double> terms(static_cast<std::size_t>(m.rows()));
#pragma omp parallel num_threads(std::max(config.threads, 1))
  {
    Workspace ws(src.cols());
#pragma omp for schedule(dynamic, 16)
    for (Index r = 0; r < m.rows(); ++r) {
      terms[static_cast<std::size_t>(r)] =
          row_loss_terms(RowGather(m, r, src, config), rows.row(r).data(), config, ws);
    }
  }
  return terms;
}

}  // namespace

double implicit_confidence_weight(const ImplicitAlsConfig& config, double r) {
  return confidence_weight(config, r);
}

void solve_implicit_rows(const CsrView& interactions, const Eigen::Ref<const Matrix>& src_factors,
                         const Eigen::Ref<const ColMatrix>& yty, const ImplicitAlsConfig& config,
                         Matrix& dst_factors) {
  check_config(config);
  const Index rows = interactions.rows();
  const Eigen::Index k = src_factors.cols();
  if (dst_factors.rows() != rows || dst_factors.cols() != k || yty.rows() != k || yty.cols() != k) {
    throw std::invalid_argument("solve_implicit_rows: factor or Gram shapes do not match the block");
  }
  if (k == 0) return;
  const ColMatrix ytyp = padded_gram(yty, round_up(k));
  const bool use_cg = config.solver == SolverKind::kConjugateGradient;

  // Each row runs one fixed code path chosen by its own interactions and k,
  // so neither the thread count nor the schedule changes any result.
#pragma omp parallel num_threads(std::max(config.threads, 1))
  {
    Workspace ws(k);
#pragma omp for schedule(dynamic, 16)
    for (Index r = 0; r < rows; ++r) {
      const RowGather gather(interactions, r, src_factors, config);
      double* x = dst_factors.row(r).data();
      const Offset n = gather.positives();
      if (n == 0) {
        std::fill_n(x, k, 0.0);  // b = 0: the exact minimiser is 0
      } else if (use_cg) {
        solve_row_cg(gather, n, ytyp, config, ws, x);
      } else {
        solve_row_cholesky(gather, ytyp, config, ws, x);
      }
    }
  }
}

double implicit_rows_flops(const CsrView& interactions, int k, const ImplicitAlsConfig& config) {
  const double d = k;
  const double s = config.cg_steps;
  double flops = 0.0;
  for (Index r = 0; r < interactions.rows(); ++r) {
    double n = 0.0;
    for (Offset e = interactions.indptr[r]; e < interactions.indptr[r + 1]; ++e)
      n += interactions.values[e] > 0.0f;
    if (n == 0) continue;
    if (config.solver == SolverKind::kCholesky) {
      flops += n * d * (d + 1.0) + 3.0 * n * d + d * d * d / 3.0 + 2.0 * d * d + d;
    } else {
      flops += (s + 1.0) * (2.0 * d * d + 2.0 * d + n * (4.0 * d + 2.0)) + 2.0 * d + s * 10.0 * d;
    }
  }
  return flops;
}

double implicit_loss_terms(const CsrView& interactions, const Eigen::Ref<const Matrix>& src_factors,
                           const Eigen::Ref<const Matrix>& row_factors, const ImplicitAlsConfig& config) {
  double sum = 0.0;
  for (const double t : loss_terms_per_row(interactions, src_factors, row_factors, config)) sum += t;
  return sum;
}

void implicit_loss_terms(const CsrView& interactions, const Eigen::Ref<const Matrix>& src_factors,
                         const Eigen::Ref<const Matrix>& row_factors, const ImplicitAlsConfig& config,
                         ExactSum& out) {
  for (const double t : loss_terms_per_row(interactions, src_factors, row_factors, config)) out.add(t);
}

}  // namespace hpcrec::math
