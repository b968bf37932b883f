// Similarities between the rows of a sparse matrix (items over users for
// item-based KNN, users over items for user-based), bounded top-K neighbour
// heaps, and the sparse "block times block" kernels that the KNN ring
// (mpi/knn_driver.hpp) calls once per visiting block. No MPI.
//
// Notation: x = row a, y = row b, C = the columns both rows have (the
// co-ratings), n = |C| (the support), sums over c in C unless marked.
//
//   cosine           sum_C x_c y_c / (|x| |y|), |x| = sqrt(sum over ALL of a's
//                    columns x_c^2): the plain cosine of the rows as sparse
//                    vectors (missing = 0). Co-rated-only norms would make any
//                    two rows with one shared column similarity 1.
//   pearson          sum_C (x_c - mx)(y_c - my) / sqrt(sum_C (x_c - mx)^2 sum_C (y_c - my)^2)
//                    with mx, my the means over C (Surprise's pearson).
//   adjusted-cosine  the same with x_c, y_c centred by the COLUMN's mean m_c
//                    (for items: the user's mean rating) and no row centring:
//                    sum_C x'_c y'_c / sqrt(sum_C x'^2 sum_C y'^2), x'_c = x_c - m_c.
//   pearson-baseline the same with x'_c = x_c - b_ac, b_ac = mu + b_a + b_c the
//                    baseline prediction (Surprise's pearson_baseline).
//   jaccard          n / (nnz(a) + nnz(b) - n) on binarised rows.
//
// A similarity whose denominator is zero (a row constant over C for pearson,
// all residuals zero) is 0. Then, with shrinkage S: sim *= n / (n + S).
// Pairs with n < max(1, min_support) are never neighbours; with
// positive_only, pairs with sim <= 0 neither.
//
// Each pair's sums are accumulated in ascending column order, whichever
// blocks the two rows are in, so a similarity is bitwise the same for any
// partition; heaps keep the K best by (similarity desc, id asc), a total
// order, so the kept set does not depend on the order blocks are visited.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "src/csr_block.hpp"
#include "src/topn.hpp"
#include "src/types.hpp"

namespace hpcrec::math {

enum class SimilarityKind { kCosine, kPearson, kAdjustedCosine, kJaccard, kPearsonBaseline };

// "cosine", "pearson", "adjusted-cosine", "jaccard", "pearson-baseline";
// throws InputError otherwise.
SimilarityKind parse_similarity(const std::string& name);
const char* similarity_name(SimilarityKind kind);

struct SimilarityOptions {
  SimilarityKind kind = SimilarityKind::kCosine;
  double shrink = 0.0;         // S in sim * n / (n + S); 0: none
  int min_support = 1;         // fewest co-ratings for a neighbour
  int neighbors = 40;          // K kept per row; <= 0: all
  bool positive_only = false;  // keep only sim > 0
};

// A neighbour of a row: its global id, similarity and co-rating count.
struct Neighbor {
  Index id;
  double sim;
  Index support;
};

// Order of neighbours: higher similarity first, ties to the smaller id.
inline bool better(const Neighbor& a, const Neighbor& b) {
  return a.sim > b.sim || (a.sim == b.sim && a.id < b.id);
}

// Keeps the best `k` neighbours pushed so far (k <= 0: all of them).
class NeighborHeap {
 public:
  explicit NeighborHeap(int k = 0) : k_(k) {}
  bool admits(Index id, double sim) const;
  void push(const Neighbor& n);
  std::vector<Neighbor> sorted() const;  // best first
  int size() const { return static_cast<int>(heap_.size()); }

 private:
  int k_;
  std::vector<Neighbor> heap_;  // min-heap by `better`: the worst kept on top
};

// Rows with double values and global ids; the form rows travel in.
//
// Example: items 4..5 (first_row = 4) over users, item 4 rated 3 by user 0
// and 5 by user 2, item 5 rated 1 by user 2:
//   indptr = {0, 2, 3}, cols = {0, 2, 2}, values = {3, 5, 1}.
// After prepare_rows(..., kPearson) the values are centred on the row's mean
// (item 4: {-1, 1}; item 5: {0}); pearson is invariant to that shift, and it
// keeps the one-pass sums well conditioned.
struct SparseRows {
  Index first_row = 0;
  std::vector<Offset> indptr{0};
  std::vector<Index> cols;  // global, ascending within a row
  std::vector<double> values;

  Index rows() const { return static_cast<Index>(indptr.size()) - 1; }
  Offset nnz() const { return indptr.back(); }
};

// What centring needs beyond the ratings. `col_ids` (sorted global column
// ids, covering every column of the block) and `col_values` (same length):
// each column's mean (adjusted-cosine) or bias b_c (pearson-baseline).
// `row_bias` (per local row) and `mu`: pearson-baseline only.
struct Centering {
  double mu = 0.0;
  std::span<const double> row_bias;
  std::span<const Index> col_ids;
  std::span<const double> col_values;
};

// The block's values transformed for `kind`: cosine raw; pearson minus the
// row's mean; adjusted-cosine r - m_c; pearson-baseline r - (mu + b_a + b_c);
// jaccard 1.
SparseRows prepare_rows(const CsrBlock& block, SimilarityKind kind, const Centering& centering = {});

// Plain conversion (values as doubles, or 1 when `binary`).
SparseRows to_sparse_rows(const CsrBlock& block, bool binary = false);

// Compares every row of `own` with every row of `visiting` (both prepared by
// prepare_rows for the same kind) and pushes the admissible pairs into
// heaps[a] (one per own row, NeighborHeap(options.neighbors)). A row is never
// its own neighbour. OpenMP over own rows; each pair's sums run over the
// shared columns in ascending order (a sparse accumulator over the visiting
// block's column-major transpose), so the result does not depend on blocks,
// visiting order or threads.
void accumulate_neighbors(const SparseRows& own, const SparseRows& visiting, const SimilarityOptions& options,
                          std::vector<NeighborHeap>& heaps, int threads);

// Single-process convenience: every row's neighbours within one block.
std::vector<std::vector<Neighbor>> all_neighbors(const SparseRows& rows, const SimilarityOptions& options,
                                                 int threads = 1);

// score(a, b) = sum over shared columns c (ascending) of own[a,c] * visiting[b,c]
// for every visiting row b sharing a column with own row a, pushed into
// heaps[a] as item `b`'s global id, unless b is in exclusions[a] (sorted
// global ids). Rows b sharing no column are not pushed. This is the top-N
// kernel: own = a user's rated items, visiting = items' neighbour lists
// (item-based), or own = a user's neighbour list, visiting = items' raters
// (user-based). Rows flagged in `blocked` (per global id, optional) are
// never pushed.
void accumulate_scores(const SparseRows& own, const SparseRows& visiting,
                       const std::vector<std::span<const Index>>& exclusions, std::vector<TopNHeap>& heaps,
                       int threads, const std::vector<char>* blocked = nullptr);

// Neighbour lists of rows [first_row, first_row + rows()), best first.
//
// Example: rows 7..8 with K = 2: row 7 has neighbours 3 (0.9, 12 co-ratings)
// and 8 (0.5, 4), row 8 only 7 (0.5, 4):
//   indptr = {0, 2, 3}, entries = {{3, .9, 12}, {8, .5, 4}, {7, .5, 4}}.
struct NeighborLists {
  Index first_row = 0;
  std::vector<Offset> indptr{0};
  std::vector<Neighbor> entries;

  Index rows() const { return static_cast<Index>(indptr.size()) - 1; }
  std::span<const Neighbor> row(Index local) const {
    return {entries.data() + indptr[local], static_cast<size_t>(indptr[local + 1] - indptr[local])};
  }
};

NeighborLists to_neighbor_lists(Index first_row, const std::vector<NeighborHeap>& heaps);

// The lists as rows with columns sorted by neighbour id, values = similarity
// (the operand of accumulate_scores).
SparseRows neighbor_rows(const NeighborLists& lists);

}  // namespace hpcrec::math
