// Ranking metrics at a cut-off k for top-N recommendation, per user, and
// their mean over users.
//
// For one user: L = the recommended list (item ids in rank order, training
// items already excluded; only its first k entries count), T = the user's
// relevant (held-out test) items, hits = |L[0..k) ∩ T|, and rank r (1-based)
// of each hit in L. With binary relevance:
//
//   precision@k = hits / k                (k, not |L|: a short list is penalised)
//   recall@k    = hits / |T|              (the standard definition; note that
//                                          it cannot reach 1 when |T| > k)
//   NDCG@k      = DCG / IDCG,  DCG = sum_{hits} 1 / log2(r + 1),
//                 IDCG = sum_{r=1}^{min(k, |T|)} 1 / log2(r + 1)
//   MAP@k       = (1 / min(k, |T|)) sum_{hits} precision@r,
//                 precision@r = (hits within ranks 1..r) / r
//   hit rate@k  = 1 if hits > 0, else 0
//
// NDCG and MAP follow implicit's ranking_metrics_at_k (same IDCG and same
// min(k, |T|) normalisation). implicit's "precision" is different: it is
// sum(hits) / sum(min(k, |T|)) over users, a micro-average; ours is the
// per-user hits / k, macro-averaged.
//
// Users without relevant test items have no defined recall, NDCG or MAP and
// are skipped (not counted). Means are over the users counted.
//
// Reduction over ranks (by the caller): RankingAccumulator::to_array() gives
// doubles that MPI_Allreduce(MPI_SUM) adds exactly (the sums are held as
// ExactSum limbs, src/exact_limbs.hpp), so the means are bitwise identical at
// any rank count. Catalog coverage: mark_items() into a per-item byte map,
// reduce the maps with MPI_MAX (or MPI_BOR), count_marked() the result.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "src/exact_sum.hpp"
#include "src/types.hpp"

namespace hpcrec::math {

struct RankingMetrics {
  double precision = 0.0;
  double recall = 0.0;
  double ndcg = 0.0;
  double map = 0.0;
  double hit_rate = 0.0;
};

// Metrics of one user. `relevant` must be sorted ascending without
// duplicates, `recommended` free of duplicates (each would count as a hit
// again); entries of `recommended` past k are ignored. k >= 1. With empty
// `relevant` every metric is 0 (RankingAccumulator skips such users).
RankingMetrics ranking_metrics_at_k(std::span<const Index> recommended, std::span<const Index> relevant,
                                    int k);

class RankingAccumulator {
 public:
  static constexpr int kMetrics = 5;  // precision, recall, ndcg, map, hit_rate
  // kMetrics sums of 4 limbs each, then the user count.
  static constexpr std::size_t kArraySize = kMetrics * 4 + 1;

  // Adds one user's metrics; returns false (and adds nothing) when the user
  // has no relevant items.
  bool add_user(std::span<const Index> recommended, std::span<const Index> relevant, int k);
  void add(const RankingMetrics& m);
  void merge(const RankingAccumulator& other);

  std::int64_t users() const { return users_; }
  RankingMetrics sum() const;
  // Means over the users counted; all zero when none was.
  RankingMetrics mean() const;

  std::array<double, kArraySize> to_array() const;
  static RankingAccumulator from_array(std::span<const double> values);

 private:
  std::array<ExactSum, kMetrics> sums_{};
  std::int64_t users_ = 0;
};

// seen[i] = 1 for every item i in `items`. `seen` must already span the
// catalogue (throws std::out_of_range otherwise).
void mark_items(std::span<const Index> items, std::vector<std::uint8_t>& seen);
// Number of nonzero entries: the distinct items recommended.
std::int64_t count_marked(std::span<const std::uint8_t> seen);

}  // namespace hpcrec::math
