#include "src/als_explicit.hpp"

#include <Eigen/Cholesky>
#include <algorithm>
#include <cmath>
#include <optional>
#include <stdexcept>
#include <vector>

#include "src/first_error.hpp"
#include "src/simd/explicit_kernels.hpp"

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
