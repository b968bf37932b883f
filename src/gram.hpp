// The Gram matrix G = X^T X = sum_r x_r x_r^T of a row-distributed factor
// matrix X (n x k), bitwise independent of how the rows are split.
//
// Implicit ALS needs Y^T Y over ALL items at every user half-step (and X^T X
// over all users at every item half-step); each rank holds a block of rows.
// Summing the ranks' floating-point partial Grams would make the result, and
// so every later factor, depend on the rank count. Instead:
//
//   1. rows are cut into fixed chunks of kGramChunk = 16 GLOBAL rows
//      [16 q, 16 q + 16) (the last chunk of the matrix may be shorter);
//   2. each chunk's Gram  G_q[a, b] = sum_{r in chunk q, in order} x_ra x_rb
//      (lower triangle, a >= b) is computed by one fixed code path;
//   3. each entry of G_q is added to an ExactSum (src/exact_sum.hpp), whose
//      integer accumulator makes the sum over chunks order-independent.
//
// mpi/partition.hpp cuts blocks at multiples of 16 (BlockPartition::kAlign),
// so every chunk lies inside one rank's block and is computed identically
// wherever it lives: G = sum_q G_q is the same for 1, 2, ... P ranks and any
// thread count.
//
// Precision: each chunk entry is rounded once to a grid of 2^-56 ~ 1.4e-17
// (ExactSum's 2^-40 applied to the entry times 2^16), so |G - X^T X| <=
// (n / 16) 2^-57 per entry on top of the ordinary rounding inside a chunk.
// A chunk entry must stay below 2^70 ~ 1.2e21 (else ExactSum throws).
//
// Reduction over ranks (by the caller): either allgather to_words() and
// merge() the from_words() of every rank, or MPI_Allreduce(MPI_SUM) the
// to_limbs() int64 vectors and rebuild with from_limbs() (exact, see
// src/exact_limbs.hpp).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "src/exact_sum.hpp"
#include "src/types.hpp"

namespace hpcrec::math {

inline constexpr Index kGramChunk = 16;

class ExactGram {
 public:
  explicit ExactGram(int k = 0);

  int dim() const { return k_; }
  // Number of stored entries, k (k + 1) / 2: the lower triangle, column by
  // column (entry (a, b), a >= b, is at b k - b (b - 1) / 2 + (a - b)).
  std::size_t entries() const { return sums_.size(); }

  void add(int a, int b, double x);  // a >= b
  // Adds a whole packed lower triangle (entries() values, in the order above).
  void add_packed(std::span<const double> packed);
  void merge(const ExactGram& other);

  // Full symmetric k x k matrix.
  ColMatrix value() const;

  // Two words per entry, entry by entry: {low, high as uint64 bit pattern}.
  std::vector<std::uint64_t> to_words() const;
  static ExactGram from_words(int k, std::span<const std::uint64_t> words);

  // Four limbs per entry (src/exact_limbs.hpp): MPI_SUM of these int64
  // vectors over ranks is exact; from_limbs() of the sum is the merged Gram.
  std::vector<std::int64_t> to_limbs() const;
  static ExactGram from_limbs(int k, std::span<const std::int64_t> limbs);

 private:
  friend void add_gram_chunks(const Eigen::Ref<const Matrix>& rows, Index first_row, ExactGram& out);
  int k_ = 0;
  std::vector<ExactSum> sums_;
};

// Adds the Gram of `rows`, which hold the global rows [first_row, first_row +
// rows.rows()), to `out` (whose dim() must be rows.cols()). first_row must be
// a multiple of kGramChunk (unless the block is empty), and so must the block's end unless it is the end
// of the whole matrix: otherwise a chunk straddling two blocks would be summed
// in two pieces and the result would depend on the split.
void add_gram_chunks(const Eigen::Ref<const Matrix>& rows, Index first_row, ExactGram& out);

}  // namespace hpcrec::math
