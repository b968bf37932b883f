// The capacity plan (app/capacity_plan.hpp): gathered and exchanged rows
// counted from the pairs agree with a brute-force count over the same
// partition; the expected-value model agrees with the exact count on random
// data; the memory phases add up.
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "app/capacity_plan.hpp"

using namespace hpcrec;
using app::Index;
using app::Offset;

namespace {

app::PlanData random_plan_data(Index users, Index items, int ratings, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::set<std::pair<Index, Index>> pairs;
  while (static_cast<int>(pairs.size()) < ratings)
    pairs.insert({static_cast<Index>(rng() % users), static_cast<Index>(rng() % items)});
  app::PlanData d;
  d.pairs.assign(pairs.begin(), pairs.end());
  d.user_nnz.assign(static_cast<size_t>(users), 0);
  d.item_nnz.assign(static_cast<size_t>(items), 0);
  for (const auto& [u, i] : d.pairs) {
    ++d.user_nnz[u];
    ++d.item_nnz[i];
  }
  d.user_counts = d.user_nnz;
  d.item_counts = d.item_nnz;
  d.lines = d.ratings = ratings;
  d.file_bytes = ratings * 20.0;
  return d;
}

}  // namespace

TEST(CapacityPlan, ExactCountsMatchBruteForce) {
  const app::PlanData d = random_plan_data(97, 41, 900, 3);
  for (int p : {1, 2, 3, 4, 7}) {
    app::PlanSettings s;
    s.ranks = p;
    s.factors = 5;
    s.gflops = 1;
    const app::Plan plan = app::make_plan(d, s);
    const auto users = dist::BlockPartition::balanced(d.user_counts, p, s.factors);
    const auto items = dist::BlockPartition::balanced(d.item_counts, p, s.factors);
    std::vector<std::set<Index>> need_items(p), need_users(p);
    for (const auto& [u, i] : d.pairs) {
      need_items[users.owner(u)].insert(i);
      need_users[items.owner(i)].insert(u);
    }
    double sent_total = 0;
    for (int r = 0; r < p; ++r) {
      const app::RankPlan& rp = plan.ranks[r];
      EXPECT_EQ(rp.gathered_items, static_cast<double>(need_items[r].size())) << "p " << p << " rank " << r;
      EXPECT_EQ(rp.gathered_users, static_cast<double>(need_users[r].size())) << "p " << p << " rank " << r;
      double received = 0, sent = 0;
      for (Index i : need_items[r]) received += items.owner(i) != r;
      for (Index u : need_users[r]) received += users.owner(u) != r;
      for (int q = 0; q < p; ++q) {
        if (q == r) continue;
        for (Index i : need_items[q]) sent += items.owner(i) == r;
        for (Index u : need_users[q]) sent += users.owner(u) == r;
      }
      EXPECT_EQ(rp.received_rows, received);
      EXPECT_EQ(rp.sent_rows, sent);
      EXPECT_EQ(rp.bytes_sent, sent * (s.factors + 1) * 8);  // als: factors + bias
      sent_total += sent;
      EXPECT_GT(rp.peak_bytes, s.overhead_bytes);
      double terms = 0;
      for (const auto& t : rp.peak_terms) terms += t.bytes;
      EXPECT_DOUBLE_EQ(terms, rp.peak_bytes);
    }
    EXPECT_DOUBLE_EQ(plan.bytes_exchanged, sent_total * (s.factors + 1) * 8);
    if (p == 1) {
      EXPECT_EQ(plan.bytes_exchanged, 0);
    }
  }
}

TEST(CapacityPlan, ExpectedCountsCloseToExactOnRandomData) {
  app::PlanData d = random_plan_data(2000, 300, 20000, 5);
  app::PlanSettings s;
  s.ranks = 4;
  s.factors = 8;
  s.implicit = true;
  s.gflops = 1;
  const app::Plan exact = app::make_plan(d, s);
  d.pairs.clear();  // now the expected-value model
  const app::Plan expected = app::make_plan(d, s);
  EXPECT_TRUE(exact.exact);
  EXPECT_FALSE(expected.exact);
  EXPECT_NEAR(expected.bytes_exchanged / exact.bytes_exchanged, 1.0, 0.03);
  for (int r = 0; r < s.ranks; ++r) {
    EXPECT_NEAR(expected.ranks[r].gathered_users / exact.ranks[r].gathered_users, 1.0, 0.03);
    EXPECT_NEAR(expected.ranks[r].gathered_items / exact.ranks[r].gathered_items, 1.0, 0.03);
  }
}
