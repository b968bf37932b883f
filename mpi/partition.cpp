#include "mpi/partition.hpp"

#include <algorithm>

namespace hpcrec::dist {

int BlockPartition::owner(Index row) const {
  // The last rank whose first row is <= row: skips empty ranges.
  auto it = std::upper_bound(bounds.begin(), bounds.end() - 1, row);
  return static_cast<int>(it - bounds.begin()) - 1;
}

BlockPartition BlockPartition::even(Index rows, int parts) {
  BlockPartition p;
  p.bounds.resize(static_cast<size_t>(parts) + 1);
  for (int r = 0; r <= parts; ++r) p.bounds[r] = static_cast<Index>(static_cast<Offset>(rows) * r / parts);
  return p;
}

BlockPartition BlockPartition::balanced(std::span<const Offset> row_nnz, int parts, int k) {
  const double dim = k + 1.0;
  const double per_rating = dim * dim, per_row = dim * dim * dim;
  double total = 0;
  for (Offset n : row_nnz) total += static_cast<double>(n) * per_rating + per_row;
  BlockPartition p;
  p.bounds.assign(static_cast<size_t>(parts) + 1, 0);
  const Index rows = static_cast<Index>(row_nnz.size());
  double cum = 0;
  Index row = 0;
  for (int r = 1; r < parts; ++r) {
    const double target = total * r / parts;
    // Advance a chunk at a time while that brings the cumulative work closer to the target.
    while (row < rows) {
      const Index end = std::min<Index>(rows, row + kAlign);
      double next = cum;
      for (Index i = row; i < end; ++i) next += static_cast<double>(row_nnz[i]) * per_rating + per_row;
      if (next - target > target - cum) break;
      cum = next;
      row = end;
    }
    p.bounds[r] = row;
  }
  p.bounds[parts] = rows;
  return p;
}

}  // namespace hpcrec::dist
