#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "src/ranking_metrics.hpp"

using namespace hpcrec::math;

namespace {

using Ids = std::vector<Index>;

RankingMetrics at_k(const Ids& recommended, const Ids& relevant, int k) {
  return ranking_metrics_at_k(recommended, relevant, k);
}

}  // namespace

TEST(RankingMetrics, TwoHitsInFive) {
  // k = 5, list [10, 3, 7, 1, 9], relevant {1, 3, 4}: hits at ranks 2 (item 3) and 4 (item 1).
  const RankingMetrics m = at_k({10, 3, 7, 1, 9}, {1, 3, 4}, 5);
  EXPECT_DOUBLE_EQ(m.precision, 2.0 / 5.0);  // hits / k
  EXPECT_DOUBLE_EQ(m.recall, 2.0 / 3.0);     // hits / |relevant|
  // DCG = 1/log2(3) + 1/log2(5) = 0.63093 + 0.43068 = 1.06161
  // IDCG over min(5, 3) = 3 ranks = 1/log2(2) + 1/log2(3) + 1/log2(4) = 1 + 0.63093 + 0.5 = 2.13093
  // NDCG = 1.06161 / 2.13093 = 0.49819
  const double dcg = 1.0 / std::log2(3.0) + 1.0 / std::log2(5.0);
  const double idcg = 1.0 + 1.0 / std::log2(3.0) + 0.5;
  EXPECT_DOUBLE_EQ(m.ndcg, dcg / idcg);
  EXPECT_NEAR(m.ndcg, 0.49819, 1e-5);
  // MAP: precision@2 = 1/2, precision@4 = 2/4; (0.5 + 0.5) / min(5, 3) = 1/3
  EXPECT_DOUBLE_EQ(m.map, 1.0 / 3.0);
  EXPECT_EQ(m.hit_rate, 1.0);
}

TEST(RankingMetrics, MoreRelevantThanK) {
  // k = 2, list [5, 6], relevant {5, 6, 7, 8}: hits at ranks 1 and 2.
  const RankingMetrics m = at_k({5, 6}, {5, 6, 7, 8}, 2);
  EXPECT_DOUBLE_EQ(m.precision, 1.0);  // 2 / 2
  EXPECT_DOUBLE_EQ(m.recall, 0.5);     // 2 / 4: recall@2 cannot exceed 1/2 here
  EXPECT_DOUBLE_EQ(m.ndcg, 1.0);       // IDCG over min(2, 4) = 2 ranks: the list is ideal
  EXPECT_DOUBLE_EQ(m.map, 1.0);        // (1/1 + 2/2) / min(2, 4)
  EXPECT_EQ(m.hit_rate, 1.0);
}

TEST(RankingMetrics, LateSingleHit) {
  // k = 3, list [9, 8, 2], relevant {2, 5}: one hit at rank 3.
  const RankingMetrics m = at_k({9, 8, 2}, {2, 5}, 3);
  EXPECT_DOUBLE_EQ(m.precision, 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(m.recall, 0.5);
  // DCG = 1/log2(4) = 0.5; IDCG = 1 + 1/log2(3) = 1.63093; NDCG = 0.30657
  EXPECT_DOUBLE_EQ(m.ndcg, 0.5 / (1.0 + 1.0 / std::log2(3.0)));
  // MAP: precision@3 = 1/3; / min(3, 2) = 1/6
  EXPECT_DOUBLE_EQ(m.map, 1.0 / 6.0);
  EXPECT_EQ(m.hit_rate, 1.0);
}

TEST(RankingMetrics, NoHitsShortListsAndEntriesPastK) {
  const RankingMetrics none = at_k({1, 2, 3}, {4}, 3);
  EXPECT_EQ(none.precision, 0.0);
  EXPECT_EQ(none.recall, 0.0);
  EXPECT_EQ(none.ndcg, 0.0);
  EXPECT_EQ(none.map, 0.0);
  EXPECT_EQ(none.hit_rate, 0.0);

  // k = 10 but a list of one (everything else was seen in training): the
  // hit at rank 1 gives precision 1/10, every other metric 1.
  const RankingMetrics short_list = at_k({4}, {4}, 10);
  EXPECT_DOUBLE_EQ(short_list.precision, 0.1);
  EXPECT_DOUBLE_EQ(short_list.recall, 1.0);
  EXPECT_DOUBLE_EQ(short_list.ndcg, 1.0);
  EXPECT_DOUBLE_EQ(short_list.map, 1.0);

  // k = 1: only the first entry counts; the relevant item at rank 2 does not.
  EXPECT_EQ(at_k({7, 4}, {4}, 1).hit_rate, 0.0);
  EXPECT_THROW(at_k({1}, {1}, 0), std::invalid_argument);
}

TEST(RankingAccumulator, SkipsUsersWithoutRelevantItemsAndAverages) {
  RankingAccumulator acc;
  EXPECT_TRUE(acc.add_user(Ids{10, 3, 7, 1, 9}, Ids{1, 3, 4}, 5));  // precision 0.4, recall 2/3
  EXPECT_FALSE(acc.add_user(Ids{1, 2}, Ids{}, 5));                  // skipped
  EXPECT_TRUE(acc.add_user(Ids{1, 2}, Ids{8}, 5));                  // all zero
  EXPECT_EQ(acc.users(), 2);
  const RankingMetrics mean = acc.mean();
  EXPECT_DOUBLE_EQ(mean.precision, 0.2);  // (0.4 + 0) / 2
  EXPECT_NEAR(mean.recall, 1.0 / 3.0, 1e-12);
  EXPECT_DOUBLE_EQ(mean.hit_rate, 0.5);
  EXPECT_EQ(RankingAccumulator().mean().ndcg, 0.0);  // no users: zeros, not NaN
}

TEST(RankingAccumulator, ArraySumIsExactInAnyOrder) {
  // Three "ranks", each with a few users.
  RankingAccumulator ranks[3];
  ranks[0].add_user(Ids{10, 3, 7, 1, 9}, Ids{1, 3, 4}, 5);
  ranks[0].add_user(Ids{9, 8, 2}, Ids{2, 5}, 5);
  ranks[1].add_user(Ids{5, 6}, Ids{5, 6, 7, 8}, 5);
  ranks[2].add_user(Ids{4}, Ids{4}, 5);
  ranks[2].add_user(Ids{1, 2, 3}, Ids{4}, 5);
  const auto a0 = ranks[0].to_array(), a1 = ranks[1].to_array(), a2 = ranks[2].to_array();
  std::array<double, RankingAccumulator::kArraySize> s1{}, s2{};
  for (std::size_t i = 0; i < s1.size(); ++i) {
    s1[i] = (a0[i] + a1[i]) + a2[i];  // what MPI_SUM may do, in two orders
    s2[i] = a2[i] + (a1[i] + a0[i]);
  }
  const RankingAccumulator r1 = RankingAccumulator::from_array(s1), r2 = RankingAccumulator::from_array(s2);
  RankingAccumulator merged;
  for (const auto& r : ranks) merged.merge(r);
  EXPECT_EQ(r1.users(), 5);
  for (const RankingAccumulator* r : {&r1, &r2}) {
    EXPECT_EQ(r->mean().precision, merged.mean().precision);
    EXPECT_EQ(r->mean().recall, merged.mean().recall);
    EXPECT_EQ(r->mean().ndcg, merged.mean().ndcg);
    EXPECT_EQ(r->mean().map, merged.mean().map);
    EXPECT_EQ(r->mean().hit_rate, merged.mean().hit_rate);
  }
  EXPECT_DOUBLE_EQ(merged.mean().hit_rate, 4.0 / 5.0);
  EXPECT_THROW(RankingAccumulator::from_array(std::vector<double>(3)), std::invalid_argument);
}

TEST(CatalogCoverage, MarksDistinctItems) {
  std::vector<std::uint8_t> seen(10, 0);
  mark_items(Ids{3, 1, 3}, seen);
  mark_items(Ids{9, 1}, seen);
  EXPECT_EQ(count_marked(seen), 3);  // {1, 3, 9}
  EXPECT_THROW(mark_items(Ids{10}, seen), std::out_of_range);
  EXPECT_THROW(mark_items(Ids{-1}, seen), std::out_of_range);
}
