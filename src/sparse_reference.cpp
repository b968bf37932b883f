#include "src/sparse_reference.hpp"

#include <Eigen/SparseCore>
#include <chrono>
#include <vector>

namespace hpcrec::math {

SparseProductTiming time_sparse_gram(const CsrBlock& by_item, Index users) {
  using Sparse = Eigen::SparseMatrix<double, Eigen::RowMajor, std::int64_t>;
  std::vector<Eigen::Triplet<double, std::int64_t>> t;
  t.reserve(static_cast<size_t>(by_item.nnz()));
  for (Index r = 0; r < by_item.rows(); ++r)
    for (Offset e = by_item.indptr[r]; e < by_item.indptr[r + 1]; ++e)
      t.emplace_back(r, by_item.cols[e], 1.0);
  Sparse b(by_item.rows(), users);
  b.setFromTriplets(t.begin(), t.end());
  std::vector<Eigen::Triplet<double, std::int64_t>>().swap(t);
  Sparse bt = b.transpose();
  const auto t0 = std::chrono::steady_clock::now();
  Sparse c = b * bt;
  SparseProductTiming out;
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  out.output_nonzeros = static_cast<double>(c.nonZeros());
  return out;
}

}  // namespace hpcrec::math
