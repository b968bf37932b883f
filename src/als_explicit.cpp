// GCC 12 reports -Wmaybe-uninitialized false positives inside its own AVX-512
// intrinsics once Eigen's GEMM kernels are inlined here; nothing is read
// uninitialised. Must precede the includes to cover those header locations.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "src/als_explicit.hpp"

#include <Eigen/Cholesky>
#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace hpcrec::math {

namespace {

// Buffers one thread reuses for every row it solves. All are Eigen
// allocations, aligned to EIGEN_MAX_ALIGN_BYTES, so every thread sees the same
// alignment and Eigen takes the same vectorised path (and summation order) for
// a row whichever thread solves it.
struct RowWorkspace {
  RowWorkspace(int dim, Offset max_n)
      : zt(dim, std::max<Offset>(max_n, 1)), t(std::max<Offset>(max_n, 1)), a(dim, dim), b(dim) {}
  ColMatrix zt;  // Z^T: column j is [y_j; 1], so gathering copies contiguous factor rows
  Vector t;
  ColMatrix a;
  Vector b;
};

// Columns of Z^T per rank update. Eigen packs each operand of a product into
// a workspace that it puts on the stack below 128 KiB and on the heap above;
// a heap block that large is mmap'ed and unmapped on every call, and the page
// faults made the update 20x slower. Chunks of <= 96 KiB stay on the stack.
// The chunking depends only on (n, dim), so a row's result does not change.
Eigen::Index update_chunk(int dim) { return std::max<Eigen::Index>(16, 12288 / dim); }

// In-place Cholesky of the lower triangle of the column-major a (d x d,
// leading dimension d), left-looking with four columns per pass. Eigen's LLT
// spends most of its time in bookkeeping at the sizes ALS uses (d ~ 10..200);
// this runs about twice as fast there. Returns false if a pivot is not
// positive.
bool cholesky_in_place(double* a, Eigen::Index d) {
  for (Eigen::Index j = 0; j < d; ++j) {
    double* cj = a + j * d;
    Eigen::Index p = 0;
    for (; p + 4 <= j; p += 4) {
      const double* c0 = a + p * d;
      const double* c1 = c0 + d;
      const double* c2 = c1 + d;
      const double* c3 = c2 + d;
      const double s0 = c0[j], s1 = c1[j], s2 = c2[j], s3 = c3[j];
      for (Eigen::Index i = j; i < d; ++i) cj[i] -= s0 * c0[i] + s1 * c1[i] + s2 * c2[i] + s3 * c3[i];
    }
    for (; p < j; ++p) {
      const double* c0 = a + p * d;
      const double s0 = c0[j];
      for (Eigen::Index i = j; i < d; ++i) cj[i] -= s0 * c0[i];
    }
    if (!(cj[j] > 0.0)) return false;  // also catches NaN
    const double l = std::sqrt(cj[j]);
    cj[j] = l;
    const double inv = 1.0 / l;
    for (Eigen::Index i = j + 1; i < d; ++i) cj[i] *= inv;
  }
  return true;
}

// Solves L L^T x = b in place, L from cholesky_in_place.
void cholesky_solve_in_place(const double* l, Eigen::Index d, double* b) {
  for (Eigen::Index j = 0; j < d; ++j) {
    const double* cj = l + j * d;
    b[j] /= cj[j];
    const double bj = b[j];
    for (Eigen::Index i = j + 1; i < d; ++i) b[i] -= cj[i] * bj;
  }
  for (Eigen::Index j = d - 1; j >= 0; --j) {
    const double* cj = l + j * d;
    double sum = b[j];
    for (Eigen::Index i = j + 1; i < d; ++i) sum -= cj[i] * b[i];
    b[j] = sum / cj[j];
  }
}

// Assembles the row's normal equations into ws.a (lower triangle) and ws.b.
void assemble(const CsrView& ratings, Index row, const Matrix& src_factors, const Vector& src_bias,
              const ExplicitAlsConfig& config, RowWorkspace& ws) {
  const Offset begin = ratings.indptr[row];
  const Offset n = ratings.indptr[row + 1] - begin;
  const auto k = static_cast<Eigen::Index>(src_factors.cols());
  for (Offset j = 0; j < n; ++j) {
    const Index c = ratings.cols[begin + j];
    std::copy_n(src_factors.row(c).data(), k, ws.zt.col(j).data());
    ws.zt(k, j) = 1.0;
    ws.t[j] = static_cast<double>(ratings.values[begin + j]) - config.global_mean - src_bias[c];
  }
  ws.a.setZero();
  const Eigen::Index chunk = update_chunk(static_cast<int>(k) + 1);
  for (Eigen::Index c0 = 0; c0 < n; c0 += chunk) {
    // Z^T Z, lower triangle only (SYRK).
    ws.a.selfadjointView<Eigen::Lower>().rankUpdate(ws.zt.middleCols(c0, std::min(chunk, n - c0)));
  }
  ws.b.noalias() = ws.zt.leftCols(n) * ws.t.head(n);
  const double s = config.weighted_lambda ? static_cast<double>(n) : 1.0;
  ws.a.diagonal().head(k).array() += config.lambda * s;
  ws.a(k, k) += config.bias_lambda * s;
}

void solve_row(const CsrView& ratings, Index row, const Matrix& src_factors, const Vector& src_bias,
               const ExplicitAlsConfig& config, RowWorkspace& ws, Matrix& dst_factors, Vector& dst_bias) {
  const auto k = static_cast<Eigen::Index>(src_factors.cols());
  if (ratings.indptr[row + 1] == ratings.indptr[row]) {
    dst_factors.row(row).setZero();
    dst_bias[row] = 0.0;
    return;
  }
  assemble(ratings, row, src_factors, src_bias, config, ws);
  {
    // In place: no allocation per row on the common path.
    if (cholesky_in_place(ws.a.data(), ws.a.rows())) {
      cholesky_solve_in_place(ws.a.data(), ws.a.rows(), ws.b.data());
    } else {
      // Only reachable with lambda = 0 and rank-deficient Z. Rare, so the
      // re-assembly and the allocating LDL^T do not matter.
      assemble(ratings, row, src_factors, src_bias, config, ws);
      Eigen::LDLT<ColMatrix, Eigen::Lower> ldlt(ws.a);
      Vector w = ldlt.solve(ws.b);
      if (ldlt.info() != Eigen::Success || !w.allFinite()) w.setZero();
      ws.b = w;
    }
  }
  std::copy_n(ws.b.data(), k, dst_factors.row(row).data());
  dst_bias[row] = ws.b[k];
}

}  // namespace

void solve_explicit_rows(const CsrView& ratings, const Matrix& src_factors, const Vector& src_bias,
                         const ExplicitAlsConfig& config, Matrix& dst_factors, Vector& dst_bias) {
  const Index rows = ratings.rows();
  const auto k = src_factors.cols();
  if (dst_factors.rows() != rows || dst_factors.cols() != k || dst_bias.size() != rows ||
      src_bias.size() != src_factors.rows()) {
    throw std::invalid_argument("solve_explicit_rows: factor and bias shapes do not match the block");
  }
  Offset max_n = 0;
  for (Index r = 0; r < rows; ++r) max_n = std::max(max_n, ratings.indptr[r + 1] - ratings.indptr[r]);
  const int dim = static_cast<int>(k) + 1;
  const int threads = std::max(config.threads, 1);

  // Rows are independent and each is solved by one fixed code path, so the
  // result does not depend on the thread count or on the schedule.
#pragma omp parallel num_threads(threads)
  {
    RowWorkspace ws(dim, max_n);
#pragma omp for schedule(dynamic, 16)
    for (Index r = 0; r < rows; ++r) {
      solve_row(ratings, r, src_factors, src_bias, config, ws, dst_factors, dst_bias);
    }
  }
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
