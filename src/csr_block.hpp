// A contiguous block of rows of the ratings matrix in compressed sparse rows.
#pragma once

#include <span>
#include <vector>

#include "src/types.hpp"

namespace hpcrec::math {

// Rows [first_row, first_row + rows()) of a sparse matrix; `cols` are global
// column ids, ascending within each row.
//
// Worked example: a 3x4 block of user rows 5..7 (first_row = 5) of
//
//            item 0  1  2  3
//   user 5 [    4  .  .  1 ]
//   user 6 [    .  .  .  . ]
//   user 7 [    .  5  3  . ]
//
// is indptr = {0, 2, 2, 4}, cols = {0, 3, 1, 2}, values = {4, 1, 5, 3}.
// The same ratings live a second time, transposed, in the item block of
// their items' owner (see mpi/partition.hpp).
struct CsrBlock {
  Index first_row = 0;
  std::vector<Offset> indptr{0};
  std::vector<Index> cols;
  std::vector<float> values;

  Index rows() const { return static_cast<Index>(indptr.size()) - 1; }
  Offset nnz() const { return indptr.back(); }
  Offset row_nnz(Index local_row) const { return indptr[local_row + 1] - indptr[local_row]; }
  std::span<const Index> row_cols(Index local_row) const {
    return {cols.data() + indptr[local_row], static_cast<size_t>(row_nnz(local_row))};
  }
  std::span<const float> row_values(Index local_row) const {
    return {values.data() + indptr[local_row], static_cast<size_t>(row_nnz(local_row))};
  }
};

// Builds the block of rows [first_row, first_row + rows) from ratings whose
// `row` (user or item, chosen by `by_item`) lies in that range. Ratings may
// come in any order; within a row they are sorted by column. Duplicate
// (row, col) pairs must already have been resolved.
CsrBlock build_csr(std::span<const Rating> ratings, Index first_row, Index rows, bool by_item);

}  // namespace hpcrec::math

namespace hpcrec::math {

// A read-only view of CSR rows whose column ids may be local (indices into a
// gathered factor block, see mpi/routing.hpp) rather than global.
struct CsrView {
  std::span<const Offset> indptr;
  std::span<const Index> cols;
  std::span<const float> values;

  Index rows() const { return static_cast<Index>(indptr.size()) - 1; }
};

}  // namespace hpcrec::math
