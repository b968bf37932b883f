#include "src/als_explicit.hpp"

#include <Eigen/Cholesky>
#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <stdexcept>
#include <vector>

#include "src/first_error.hpp"
#include "src/float_mirror.hpp"
#include "src/simd/explicit_kernels.hpp"
#include "src/simd/implicit_kernels.hpp"

namespace hpcrec::math {

namespace {

// A prior (bpmf's Gibbs step) always solves by Cholesky.
bool uses_cg(const ExplicitAlsConfig& c) { return c.solver == SolverKind::kConjugateGradient && !c.prior; }

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

// Padding: whole 8-double (64-byte) blocks, the widest vector the kernels
// in src/simd/explicit_kernels.hpp dispatch to and a multiple of the others.
constexpr Eigen::Index kLanes = 8;

Eigen::Index round_up(Eigen::Index x) { return (x + kLanes - 1) / kLanes * kLanes; }

// Buffers one thread reuses for every row it solves. All are Eigen
// allocations, aligned to EIGEN_MAX_ALIGN_BYTES (64 in every build, see
// CMakeLists.txt), and padded to whole blocks: the kernels use aligned loads,
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
  ColMatrix yy;     // Y^T Y, lower block triangle (whole 8 x 8 diagonal blocks)
  Vector ys;        // Y^T 1 (the bias row of Z^T Z)
  Vector yt;        // Y^T t (Z^T t without its bias element)
  ColMatrix a;      // the normal equations (d x d, padded to ld x ld), lower triangle
  Vector b;         // right-hand side, then solution (padded to ld)
  Vector inv;       // reciprocals of the Cholesky factor's diagonal
};

// The rank update, Cholesky factorisation and triangular solves are in
// src/simd/explicit_kernels.hpp, dispatched at run time to the best SIMD
// target; each is one fixed sequence of operations per (n, k), so a row's
// result does not depend on the other rows, the threads or the chunking.
void accumulate_chunk(RowWorkspace& ws, Eigen::Index n, bool first) {
  simd::gram_chunk(ws.g.data(), n, ws.kp, ws.t.data(), first, ws.yy.data(), ws.ys.data(), ws.yt.data());
}
using simd::cholesky_in_place;
using simd::cholesky_solve_in_place;

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

// ---------------------------------------------------------------------------
// Conjugate gradient (see the header): float32 passes over the row's
// gathered counterpart rows, recurrences in double over d = k + 1 values.

// Rows one float gather holds: 2 MiB (8192 rows at k = 64), at least 32. A
// row with at most this many ratings is gathered once for all its passes
// and stays in L2; a longer one is re-gathered per pass, so the workspace is
// bounded whatever the longest row.
Eigen::Index float_capacity(Eigen::Index kpf) { return std::max<Eigen::Index>(32, 524288 / kpf); }
constexpr Eigen::Index kPrefetchFloat = 16;

struct CgWorkspace {
  explicit CgWorkspace(Eigen::Index k)
      : k(k),
        kpf(round_up_float(k)),
        capf(float_capacity(kpf)),
        gf(FloatRows::Zero(capf, kpf)),
        t(capf),
        vf(FloatVector::Zero(kpf)),
        accf(FloatVector::Zero(kpf)),
        w(k + 1),
        r(k + 1),
        p(k + 1),
        ap(k + 1),
        lam(k + 1),
        c(capf) {}
  Eigen::Index k, kpf, capf;
  FloatRows gf;          // gathered y_i in float32 (row j, padded with zeros)
  Vector t;              // their targets t_i = r_ui - mu - b_i
  FloatVector vf, accf;  // a pass's vector (x part, float) and its sum
  Vector w, r, p, ap, lam;
  Vector c;               // training error: each rating's t_i - z_i . w
  ExactErrorSums errors;  // this thread's
};

// Gathers the row's ratings from stored position *pos on (up to ws.capf)
// into ws.gf and ws.t; returns how many.
Eigen::Index gather_float(const CsrView& ratings, Index row, Offset* pos, const float* mirror,
                          const BiasRef& src_bias, double mu, CgWorkspace& ws) {
  const Offset end = ratings.indptr[row + 1];
  const Index* cols = ratings.cols.data();
  const float* values = ratings.values.data();
  const Eigen::Index stride = ws.kpf;
  Eigen::Index len = 0;
  Offset e = *pos;
  for (; e < end && len < ws.capf; ++e, ++len) {
    if (e + kPrefetchFloat < end) {
      const float* q = mirror + cols[e + kPrefetchFloat] * stride;
      for (Eigen::Index off = 0; off < stride; off += kFloatLanes) __builtin_prefetch(q + off);
    }
    const Index c = cols[e];
    std::copy_n(mirror + c * stride, stride, ws.gf.row(len).data());
    ws.t[len] = static_cast<double>(values[e]) - mu - src_bias[c];
  }
  *pos = e;
  return len;
}

double dot_d(const Vector& a, const Vector& b) {
  double s = 0.0;
  for (Eigen::Index f = 0; f < a.size(); ++f) s += a[f] * b[f];
  return s;
}

void solve_row_cg(const CsrView& ratings, Index row, const float* mirror, const BiasRef& src_bias,
                  const ExplicitAlsConfig& config, CgWorkspace& ws, Matrix& dst_factors, Vector& dst_bias) {
  const Eigen::Index k = ws.k;
  const Offset begin = ratings.indptr[row];
  const Offset n = ratings.indptr[row + 1] - begin;
  if (n == 0) {
    dst_factors.row(row).setZero();
    dst_bias[row] = 0.0;
    return;
  }
  const Eigen::Index resident = [&] {
    Offset pos = begin;
    return n <= ws.capf ? gather_float(ratings, row, &pos, mirror, src_bias, config.global_mean, ws) : 0;
  }();
  // body(len, stored position of its first rating) on each gathered chunk
  // of the row's ratings: once when the row is resident, else re-gathered.
  const auto for_each_chunk = [&](const auto& body) {
    if (resident > 0) return body(resident, begin);
    Offset pos = begin;
    for (Offset first = pos;; first = pos) {
      const Eigen::Index len = gather_float(ratings, row, &pos, mirror, src_bias, config.global_mean, ws);
      if (len == 0) return;
      body(len, first);
    }
  };
  const auto load = [&](const Vector& v) {
    for (Eigen::Index f = 0; f < k; ++f) ws.vf[f] = static_cast<float>(v[f]);
    ws.accf.setZero();
  };
  // ws.accf (k floats) = sum_i c_i y_i; returns sum_i c_i, the bias element.
  const auto pass = [&](const Vector& v, simd::BiasedCoef coef) {
    load(v);
    double bias = 0.0;
    for_each_chunk([&](Eigen::Index len, Offset) {
      simd::biased_pass(ws.gf.data(), len, ws.kpf, ws.vf.data(), v[k], ws.t.data(), coef, ws.accf.data(),
                        &bias);
    });
    return bias;
  };
  const double s = config.weighted_lambda ? static_cast<double>(n) : 1.0;
  ws.lam.head(k).setConstant(config.lambda * s);
  ws.lam[k] = config.bias_lambda * s;
  for (Eigen::Index f = 0; f < k; ++f) ws.w[f] = dst_factors(row, f);
  ws.w[k] = dst_bias[row];

  // r = Z^T t - Z^T Z w - D w.
  const double rb = pass(ws.w, simd::BiasedCoef::kTargetResidual);
  for (Eigen::Index f = 0; f < k; ++f) ws.r[f] = static_cast<double>(ws.accf[f]) - ws.lam[f] * ws.w[f];
  ws.r[k] = rb - ws.lam[k] * ws.w[k];
  ws.p = ws.r;
  double rs = dot_d(ws.r, ws.r);
  // Below this the residual is rounding noise of the warm start.
  const double tiny = std::max(std::numeric_limits<double>::min(), 1e-30 * rs);
  for (int step = 0; step < config.cg_steps && rs > tiny; ++step) {
    const double apb = pass(ws.p, simd::BiasedCoef::kProduct);
    for (Eigen::Index f = 0; f < k; ++f) ws.ap[f] = static_cast<double>(ws.accf[f]) + ws.lam[f] * ws.p[f];
    ws.ap[k] = apb + ws.lam[k] * ws.p[k];
    const double pap = dot_d(ws.p, ws.ap);
    if (!(pap > 0.0)) break;  // not positive definite along p (lambda = 0): keep the best w so far
    const double step_len = rs / pap;
    for (Eigen::Index f = 0; f <= k; ++f) {
      ws.w[f] += step_len * ws.p[f];
      ws.r[f] -= step_len * ws.ap[f];
    }
    const double rs_next = dot_d(ws.r, ws.r);
    const double beta = rs_next / rs;
    for (Eigen::Index f = 0; f <= k; ++f) ws.p[f] = ws.r[f] + beta * ws.p[f];
    rs = rs_next;
  }
  for (Eigen::Index f = 0; f < k; ++f) dst_factors(row, f) = ws.w[f];
  dst_bias[row] = ws.w[k];
  if (config.train_errors) {
    // c_i = t_i - z_i . w = r_i - (mu + b_src + z_i . w): the prediction is r_i - c_i.
    double squared = 0.0, absolute = 0.0, unused = 0.0;
    load(ws.w);
    for_each_chunk([&](Eigen::Index len, Offset first) {
      simd::biased_pass(ws.gf.data(), len, ws.kpf, ws.vf.data(), ws.w[k], ws.t.data(),
                        simd::BiasedCoef::kTargetResidual, ws.accf.data(), &unused, ws.c.data());
      for (Eigen::Index j = 0; j < len; ++j) {
        const double r = ratings.values[first + j];
        const double e = std::clamp(r - ws.c[j], config.clip_min, config.clip_max) - r;
        squared += e * e;
        absolute += std::abs(e);
      }
    });
    ws.errors.squared.add(squared);
    ws.errors.absolute.add(absolute);
    ws.errors.count += n;
  }
}

// Runs solve(r, ws) for rows 0..rows-1 on `threads` threads, each with its
// own workspace W(k) (from its own malloc arena: no cache line shared with
// another thread's), then done(ws) once per thread. Rows are independent and
// each is solved by one fixed code path chosen by its own n and k, so no
// result depends on the thread count or the schedule. The first exception
// (an allocation) is rethrown after the region.
template <class W, class Solve, class Done>
void for_rows(Index rows, int threads, Eigen::Index k, const Solve& solve, const Done& done) {
  FirstError errors;
#pragma omp parallel num_threads(threads)
  {
    std::optional<W> ws;
    errors.run([&] { ws.emplace(k); });
#pragma omp for schedule(dynamic, 16)
    for (Index r = 0; r < rows; ++r) {
      if (!ws) continue;  // its allocation failed: rethrown below
      errors.run([&] { solve(r, *ws); });
    }
    if (ws) done(*ws);
  }
  errors.rethrow();
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

  if (uses_cg(config)) {
    std::vector<float> own;
    const float* mirror =
        float_mirror(src_factors, threads, config.mirror_storage ? *config.mirror_storage : own);
    for_rows<CgWorkspace>(
        rows, threads, k,
        [&](Index r, CgWorkspace& ws) {
          solve_row_cg(ratings, r, mirror, src_bias, config, ws, dst_factors, dst_bias);
        },
        [&](CgWorkspace& ws) {
          if (config.train_errors) {
#pragma omp critical(hpcrec_explicit_train_errors)
            config.train_errors->merge(ws.errors);  // exact sums: the order does not matter
          }
        });
    return;
  }
  // The rare LDLT fallback allocates.
  for_rows<RowWorkspace>(
      rows, threads, k,
      [&](Index r, RowWorkspace& ws) {
        solve_row(ratings, r, src_factors, src_bias, config, ws, dst_factors, dst_bias);
      },
      [](RowWorkspace&) {});
}

double explicit_row_flops(double n, int k, const ExplicitAlsConfig& config) {
  if (n == 0) return 0.0;  // an empty row is zeroed, not solved
  const double d = k + 1.0;
  if (uses_cg(config)) return (config.cg_steps + 1.0) * (n * (4.0 * k + 4.0) + 12.0 * d);
  return n * d * (d + 1.0) + 2.0 * n * d + d * d * d / 3.0 + 2.0 * d * d;
}

double explicit_rows_flops(const CsrView& ratings, int k, const ExplicitAlsConfig& config) {
  double flops = 0.0;
  for (Index r = 0; r < ratings.rows(); ++r)
    flops += explicit_row_flops(static_cast<double>(ratings.indptr[r + 1] - ratings.indptr[r]), k, config);
  return flops;
}

}  // namespace hpcrec::math
