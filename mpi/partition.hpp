// Contiguous blocks of rows (users or items), one per rank.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "src/types.hpp"

namespace hpcrec::dist {

using math::Index;
using math::Offset;
using math::Rating;

// Rank r owns rows [bounds[r], bounds[r+1]). Ranges may be empty (more ranks
// than rows).
//
// Example: 10 rows over 3 ranks with bounds {0, 4, 4, 10}: rank 0 owns rows
// 0..3, rank 1 none, rank 2 rows 4..9; owner(4) = 2.
struct BlockPartition {
  std::vector<Index> bounds{0, 0};

  int parts() const { return static_cast<int>(bounds.size()) - 1; }
  Index rows() const { return bounds.back(); }
  Index first(int r) const { return bounds[r]; }
  Index count(int r) const { return bounds[r + 1] - bounds[r]; }
  int owner(Index row) const;

  // Equal row counts.
  static BlockPartition even(Index rows, int parts);
  // Balanced by the ALS work of a row, about nnz * dim^2 + dim^3 with
  // dim = k + 1: cuts the cumulative work at multiples of total / parts.
  // Depends only on the counts, so every rank computes the same partition.
  // Every cut is a multiple of kAlign, so fixed chunks of kAlign global rows
  // never straddle two ranks: sums over chunks (math::exact_gram) are then
  // the same for any number of ranks.
  // Exact integer arithmetic (row_work, past_cut), so that
  // dist::balanced_partition computes the same cuts from its slices.
  static BlockPartition balanced(std::span<const Offset> row_nnz, int parts, int k);
  // A row's work, nnz dim^2 + dim^3, exact in 64 bits for any real k and nnz.
  static std::int64_t row_work(Offset nnz, int k);
  // Whether the cut for rank r stays before a chunk that takes the
  // cumulative work from `cum` to `next`: the chunk's midpoint is past
  // total * r / parts.
  static bool past_cut(std::int64_t cum, std::int64_t next, std::int64_t total, int r, int parts);

  static constexpr Index kAlign = 16;
};

}  // namespace hpcrec::dist
