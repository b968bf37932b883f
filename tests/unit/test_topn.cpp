#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "src/topn.hpp"
#include "tests/unit/random_matrix.hpp"

using namespace hpcrec::math;

namespace {

Matrix random_matrix(int rows, int cols, unsigned seed) {
  return hpcrec::testing::random_normal(rows, cols, seed);
}

Vector random_vector(int n, unsigned seed) { return random_matrix(n, 1, seed).col(0); }

std::vector<TopNHeap> heaps_of(int users, int n) { return std::vector<TopNHeap>(users, TopNHeap(n)); }

void expect_same(const std::vector<TopNHeap>& a, const std::vector<TopNHeap>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t u = 0; u < a.size(); ++u) {
    const auto x = a[u].sorted(), y = b[u].sorted();
    ASSERT_EQ(x.size(), y.size()) << "user " << u;
    for (std::size_t r = 0; r < x.size(); ++r) {
      EXPECT_EQ(x[r].item, y[r].item) << "user " << u << " rank " << r;
      EXPECT_EQ(x[r].score, y[r].score) << "user " << u << " rank " << r;  // bitwise
    }
  }
}

struct Items {
  Matrix factors;
  Vector bias;
};

// Scores items [first, first + count) of `all` into `heaps`.
void score_range(const Matrix& users, const Vector& offset, const Items& all, Index first, Index count,
                 const std::vector<std::span<const Index>>& excl, std::vector<TopNHeap>& heaps, int threads) {
  const Matrix f = all.factors.middleRows(first, count);
  const Vector b = all.bias.segment(first, count);
  score_block_into(users, offset, f, b, first, excl, heaps, threads);
}

}  // namespace

TEST(TopNHeap, KeepsTheBestAndBreaksTiesToTheSmallerItem) {
  TopNHeap heap(3);
  heap.push(5, 1.0);
  heap.push(3, 1.0);
  heap.push(9, 0.5);
  heap.push(7, 2.0);
  heap.push(1, 1.0);  // ties with 3 and 5; beats 5 on id, so 5 drops out
  const auto top = heap.sorted();
  ASSERT_EQ(top.size(), 3u);
  EXPECT_EQ(top[0].item, 7);
  EXPECT_EQ(top[1].item, 1);
  EXPECT_EQ(top[2].item, 3);
  EXPECT_FALSE(heap.admits(4, 1.0));  // tie with the worst kept (3), larger id
  EXPECT_TRUE(heap.admits(2, 1.0));
  EXPECT_FALSE(heap.admits(0, 0.99));
}

TEST(TopNHeap, KeepsEverythingWhenNExceedsTheCandidates) {
  TopNHeap heap(10);
  heap.push(4, -1.0);
  heap.push(2, 3.0);
  heap.push(8, 0.0);
  const auto top = heap.sorted();
  ASSERT_EQ(top.size(), 3u);
  EXPECT_EQ(top[0].item, 2);
  EXPECT_EQ(top[1].item, 8);
  EXPECT_EQ(top[2].item, 4);
}

TEST(TopNHeap, CapacityZeroKeepsNothing) {
  TopNHeap heap(0);
  EXPECT_FALSE(heap.admits(1, 1e300));
  heap.push(1, 1e300);
  EXPECT_EQ(heap.size(), 0);
  EXPECT_TRUE(heap.sorted().empty());
}

TEST(ScoreBlock, MatchesABruteForceRanking) {
  const Matrix users = random_matrix(7, 5, 1);
  const Vector offset = random_vector(7, 2);
  const Items items{random_matrix(40, 5, 3), random_vector(40, 4)};
  auto heaps = heaps_of(7, 6);
  score_range(users, offset, items, 0, 40, {}, heaps, 1);
  for (int u = 0; u < 7; ++u) {
    std::vector<ScoredItem> all;
    for (Index i = 0; i < 40; ++i) {
      all.push_back({i, offset[u] + items.bias[i] + users.row(u).dot(items.factors.row(i))});
    }
    std::sort(all.begin(), all.end(), better);
    const auto top = heaps[u].sorted();
    ASSERT_EQ(top.size(), 6u);
    for (int r = 0; r < 6; ++r) {
      EXPECT_EQ(top[r].item, all[r].item);
      EXPECT_NEAR(top[r].score, all[r].score, 1e-12);
    }
  }
}

// Block order and block boundaries depend on the number of ranks; neither
// may change a single bit of the result.
TEST(ScoreBlock, BlocksInAnyOrderAndSplitGiveTheSameResult) {
  const int n_users = 300, n_items = 1100, k = 13;  // > one user chunk, > one item panel
  const Matrix users = random_matrix(n_users, k, 5);
  const Vector offset = random_vector(n_users, 6);
  const Items items{random_matrix(n_items, k, 7), random_vector(n_items, 8)};
  auto whole = heaps_of(n_users, 10);
  score_range(users, offset, items, 0, n_items, {}, whole, 1);

  auto reversed = heaps_of(n_users, 10);
  const std::vector<std::pair<Index, Index>> blocks = {{0, 333}, {333, 1}, {334, 400}, {734, 366}};
  for (auto it = blocks.rbegin(); it != blocks.rend(); ++it) {
    score_range(users, offset, items, it->first, it->second, {}, reversed, 2);
  }
  expect_same(whole, reversed);

  // Users split differently too (a different user block => different chunks).
  auto split_users = heaps_of(n_users, 10);
  for (auto [first, count] : std::vector<std::pair<int, int>>{{0, 3}, {3, 258}, {261, 39}}) {
    std::vector<TopNHeap> part(split_users.begin() + first, split_users.begin() + first + count);
    score_range(users.middleRows(first, count), offset.segment(first, count), items, 0, n_items, {}, part, 2);
    std::copy(part.begin(), part.end(), split_users.begin() + first);
  }
  expect_same(whole, split_users);
}

TEST(ScoreBlock, SkipsExcludedItemsAndKeepsTiesInIdOrder) {
  // Every item has the same factors and bias: all scores tie exactly, so the
  // ranking is by item id alone.
  const int n_items = 20;
  const Matrix users = random_matrix(2, 3, 9);
  const Items items{Matrix::Ones(n_items, 3), Vector::Constant(n_items, 0.5)};
  const std::vector<Index> excl0 = {0, 2, 3, 11, 19, 25};  // 25 is outside the item range
  const std::vector<std::span<const Index>> excl = {excl0, {}};
  auto heaps = heaps_of(2, n_items);
  score_range(users, Vector::Zero(2), items, 0, 12, excl, heaps, 1);
  score_range(users, Vector::Zero(2), items, 12, 8, excl, heaps, 1);
  const auto top0 = heaps[0].sorted();
  std::vector<Index> got0;
  for (const auto& s : top0) got0.push_back(s.item);
  EXPECT_EQ(got0, (std::vector<Index>{1, 4, 5, 6, 7, 8, 9, 10, 12, 13, 14, 15, 16, 17, 18}));
  const auto top1 = heaps[1].sorted();
  ASSERT_EQ(top1.size(), static_cast<std::size_t>(n_items));
  for (int r = 0; r < n_items; ++r) EXPECT_EQ(top1[r].item, r);

  auto three = heaps_of(2, 3);
  score_range(users, Vector::Zero(2), items, 0, n_items, excl, three, 2);
  EXPECT_EQ(three[0].sorted()[0].item, 1);
  EXPECT_EQ(three[0].sorted()[2].item, 5);
}

TEST(ScoreBlock, CapacityZeroHeapsStayEmpty) {
  const Matrix users = random_matrix(3, 4, 10);
  const Items items{random_matrix(9, 4, 11), random_vector(9, 12)};
  std::vector<TopNHeap> heaps = {TopNHeap(0), TopNHeap(2), TopNHeap(0)};
  score_range(users, Vector::Zero(3), items, 0, 9, {}, heaps, 2);
  EXPECT_EQ(heaps[0].size(), 0);
  EXPECT_EQ(heaps[1].size(), 2);
  EXPECT_EQ(heaps[2].size(), 0);
}
