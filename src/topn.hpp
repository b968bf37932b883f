// Top-N selection with bounded heaps: a user's best N items over any number
// of item blocks, visited in any order, with the same result.
#pragma once

#include <cmath>
#include <functional>
#include <span>
#include <vector>

#include "src/support_ranking.hpp"
#include "src/types.hpp"

namespace hpcrec::math {

struct ScoredItem {
  Index item;
  double score;
};

// Order of recommendations: higher score first, ties to the smaller item id.
inline bool better(const ScoredItem& a, const ScoredItem& b) {
  return a.score > b.score || (a.score == b.score && a.item < b.item);
}

// Keeps the best `n` items pushed so far (by `better`).
class TopNHeap {
 public:
  explicit TopNHeap(int n = 0) : n_(n) {}
  void push(Index item, double score);
  // Would (item, score) enter the heap? Cheap pre-check for hot loops
  // (inline: a full heap rejects most scores with one comparison).
  bool admits(Index item, double score) const {
    // A NaN compares false with everything and would corrupt the heap order.
    if (n_ <= 0 || std::isnan(score)) return false;
    if (static_cast<int>(heap_.size()) < n_) return true;
    return better(ScoredItem{item, score}, heap_.front());
  }
  // The kept items, best first.
  std::vector<ScoredItem> sorted() const;
  int capacity() const { return n_; }
  // A float32 score below this cannot enter: -infinity while the heap has
  // room, the worst kept score (rounded down to float) when full, NaN for
  // capacity 0. (A score equal to it may, by item id.)
  float threshold() const;
  int size() const { return static_cast<int>(heap_.size()); }

 private:
  int n_;
  std::vector<ScoredItem> heap_;  // min-heap by `better`: the worst kept item on top
};

// Scores a block of users against a block of items and pushes into the users'
// heaps: score(u, i) = (user_offset[u] + item_bias[i]) + x_u . y_i in float32
// (factors, offsets and biases rounded to float32; the dot product one chain
// of multiply-adds over the factors in order, src/simd/topn_kernels.hpp), so
// the same bits wherever u and i fall in the blocks: the same lists at any
// rank or thread count. The item block is packed once per call, the users in
// chunks, scored by register tiles with a vectorised filter against each
// user's heap threshold. Items in a user's exclusion
// list (sorted global item ids, e.g. the items rated in training) are skipped.
// `first_item` is the global id of row 0 of `item_factors`. Items flagged in
// `blocked` (per global item, optional) are never pushed. With `support`,
// the heaps rank by support->score(score, item) instead (its log_prior
// indexed by the block's rows; src/support_ranking.hpp). `progress`, if set,
// is called by thread 0 with (user chunks done, chunks) as it goes.
void score_block_into(const Matrix& user_factors, const Vector& user_offset, const Matrix& item_factors,
                      const Vector& item_bias, Index first_item,
                      const std::vector<std::span<const Index>>& exclusions, std::vector<TopNHeap>& heaps,
                      int threads, const std::vector<char>* blocked = nullptr,
                      const SupportRanking* support = nullptr,
                      const std::function<void(double, double)>& progress = nullptr);

}  // namespace hpcrec::math
