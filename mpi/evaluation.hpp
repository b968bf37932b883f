// Ranking evaluation across ranks: each test user's held-out items are moved
// to the user's owner and compared there with the user's top-k list.
#pragma once

#include <limits>
#include <vector>

#include "mpi/communicator.hpp"
#include "mpi/partition.hpp"
#include "src/ranking_metrics.hpp"
#include "src/topn.hpp"

namespace hpcrec::dist {

struct RankingReport {
  int k = 10;
  math::RankingMetrics mean;  // over test users with at least one relevant item
  double coverage = 0;        // distinct items in all users' top-k lists / items
  Offset users = 0;           // test users counted
};

// Collective. `top` holds the ranked lists (best first, training items
// excluded) of this rank's users [users.first(rank), ...); `test` are held-out
// ratings on any rank (dense ids; user -1: unknown to training, skipped;
// item -1: unknown, relevant but never recommendable). A test rating is
// relevant when its value is >= `threshold`.
RankingReport evaluate_ranking(const Communicator& comm,
                               const std::vector<std::vector<math::ScoredItem>>& top,
                               const std::vector<Rating>& test, const BlockPartition& users, Index items,
                               int k, double threshold = -std::numeric_limits<double>::infinity());

}  // namespace hpcrec::dist
