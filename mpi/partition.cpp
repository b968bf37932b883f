#include "mpi/partition.hpp"

#include <algorithm>
#include <cstdint>

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

std::int64_t BlockPartition::row_work(Offset nnz, int k) {
  const std::int64_t dim = k + 1;
  return static_cast<std::int64_t>(nnz) * dim * dim + dim * dim * dim;
}

namespace {
// 128 bits: total * parts passes 2^63 at 10^17 work units and 1,024 ranks.
__extension__ using Wide = __int128;
}  // namespace

bool BlockPartition::past_cut(std::int64_t cum, std::int64_t next, std::int64_t total, int r, int parts) {
  // (cum + next) / 2 > total * r / parts, in exact integers.
  return static_cast<Wide>(cum + next) * parts > static_cast<Wide>(2) * total * r;
}

BlockPartition BlockPartition::balanced(std::span<const Offset> row_nnz, int parts, int k) {
  std::int64_t total = 0;
  for (Offset n : row_nnz) total += row_work(n, k);
  BlockPartition p;
  p.bounds.assign(static_cast<size_t>(parts) + 1, 0);
  const Index rows = static_cast<Index>(row_nnz.size());
  std::int64_t cum = 0;
  Index row = 0;
  for (int r = 1; r < parts; ++r) {
    // Advance a chunk at a time while that brings the cumulative work closer
    // to the target (the first chunk whose midpoint passes it stays out).
    while (row < rows) {
      const Index end = std::min<Index>(rows, row + kAlign);
      std::int64_t next = cum;
      for (Index i = row; i < end; ++i) next += row_work(row_nnz[i], k);
      if (past_cut(cum, next, total, r, parts)) break;
      cum = next;
      row = end;
    }
    p.bounds[r] = row;
  }
  p.bounds[parts] = rows;
  return p;
}

}  // namespace hpcrec::dist
