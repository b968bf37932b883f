// GCC 12 reports -Wmaybe-uninitialized false positives inside its own AVX-512
// intrinsics once Eigen's GEMM kernels are inlined here; nothing is read
// uninitialised. Must precede the includes to cover those header locations.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "src/als_explicit.hpp"

#include <Eigen/Cholesky>
#include <algorithm>
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
  const auto z = ws.zt.leftCols(n);
  ws.a.setZero();
  ws.a.selfadjointView<Eigen::Lower>().rankUpdate(z);  // Z^T Z, lower triangle
  ws.b.noalias() = z * ws.t.head(n);
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
    Eigen::LLT<Eigen::Ref<ColMatrix>, Eigen::Lower> llt(ws.a);
    if (llt.info() == Eigen::Success) {
      llt.solveInPlace(ws.b);
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
