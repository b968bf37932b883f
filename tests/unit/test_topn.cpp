#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "hwy/aligned_allocator.h"
#include "hwy/targets.h"
#include "src/simd/dispatch.hpp"
#include "src/simd/topn_kernels.hpp"
#include "src/topn.hpp"
#include "tests/unit/random_matrix.hpp"

using namespace hpcrec::math;
namespace simd = hpcrec::simd;

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

// The float32 score of the contract (src/simd/topn_kernels.hpp), computed
// plainly: (offset + bias) + a chain of multiply-adds, fused where the
// target in use fuses.
float chain(const float* u, const float* v, std::ptrdiff_t k, std::ptrdiff_t su, std::ptrdiff_t sv,
            bool fused) {
  float acc = 0.0f;
  for (std::ptrdiff_t f = 0; f < k; ++f) {
    if (fused) {
      acc = std::fma(u[f * su], v[f * sv], acc);
    } else {
      const float p = u[f * su] * v[f * sv];
      acc = acc + p;
    }
  }
  return acc;
}

double float_score(const Matrix& users, const Vector& offset, const Items& items, Index u, Index i) {
  const Eigen::Index k = users.cols();
  const Eigen::VectorXf x = users.row(u).transpose().cast<float>(),
                        y = items.factors.row(i).transpose().cast<float>();
  const float c = static_cast<float>(offset[u]) + static_cast<float>(items.bias[i]);
  return static_cast<double>(c + chain(x.data(), y.data(), k, 1, 1, simd::topn_fuses()));
}

// The exact top-n of the float32 scores, by brute force.
std::vector<ScoredItem> brute_top(const Matrix& users, const Vector& offset, const Items& items, Index u,
                                  int n, std::span<const Index> excl = {},
                                  const std::vector<char>* blocked = nullptr) {
  std::vector<ScoredItem> all;
  for (Index i = 0; i < items.factors.rows(); ++i) {
    if (std::binary_search(excl.begin(), excl.end(), i) || (blocked && (*blocked)[i])) continue;
    all.push_back({i, float_score(users, offset, items, u, i)});
  }
  std::sort(all.begin(), all.end(), better);
  if (static_cast<int>(all.size()) > n) all.resize(static_cast<std::size_t>(n));
  return all;
}

void expect_list(const std::vector<ScoredItem>& got, const std::vector<ScoredItem>& want, Index u) {
  ASSERT_EQ(got.size(), want.size()) << "user " << u;
  for (std::size_t r = 0; r < got.size(); ++r) {
    EXPECT_EQ(got[r].item, want[r].item) << "user " << u << " rank " << r;
    EXPECT_EQ(got[r].score, want[r].score) << "user " << u << " rank " << r;  // bitwise
  }
}

// Runs the kernels on one target while alive.
struct Forced {
  explicit Forced(std::int64_t t) { simd::force_target(t); }
  ~Forced() { simd::force_target(0); }
  Forced(const Forced&) = delete;
  Forced& operator=(const Forced&) = delete;
};

struct Hits {
  int users = 0, items = 0;
  std::vector<std::uint64_t> bits;  // per (tile, user)
  std::vector<float> scores;        // per (tile, user, item)
  std::vector<int> calls;           // tiles reported
};

void record_hit(void* p, std::ptrdiff_t tile, const std::uint64_t* bits, const float* scores) {
  Hits& h = *static_cast<Hits*>(p);
  h.calls.push_back(static_cast<int>(tile));
  for (int r = 0; r < h.users; ++r) {
    h.bits[tile * h.users + r] = bits[r];
    for (int c = 0; c < h.items; ++c) h.scores[(tile * h.users + r) * h.items + c] = scores[r * h.items + c];
  }
}

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
    expect_list(heaps[u].sorted(), brute_top(users, offset, items, u, 6), u);
    // float32 scores: close to the double ones
    for (const auto& s : heaps[u].sorted())
      EXPECT_NEAR(s.score, offset[u] + items.bias[s.item] + users.row(u).dot(items.factors.row(s.item)),
                  1e-5);
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

// The dispatched kernel on every target this machine runs, against the
// plain chain: bitwise (the contract fixes every operation), all lanes with
// a -inf threshold, exactly the lanes at or above a finite one otherwise.
TEST(TopNKernel, MatchesTheScalarChainOnEveryTarget) {
  for (const std::int64_t target : simd::available_targets()) {
    Forced forced(target);
    SCOPED_TRACE(hwy::TargetName(target));
    const simd::TopNTile tile = simd::topn_tile();
    ASSERT_GT(tile.users, 0);
    ASSERT_TRUE(tile.items > 0 && tile.items <= 64);
    const bool fused = simd::topn_fuses();
    for (const std::ptrdiff_t k : {1, 7, 16, 64, 67}) {
      const int tiles = 3, nu = tile.users, ni = tile.items * tiles;
      std::mt19937 gen(static_cast<unsigned>(k * 31 + target % 97));
      std::normal_distribution<float> normal(0.0f, 1.0f);
      // Aligned as the kernel's loads require (64 bytes).
      auto up = hwy::AllocateAligned<float>(static_cast<std::size_t>(nu * k));
      auto vp = hwy::AllocateAligned<float>(static_cast<std::size_t>(ni * k));
      auto uc = hwy::AllocateAligned<float>(static_cast<std::size_t>(nu));
      auto vb = hwy::AllocateAligned<float>(static_cast<std::size_t>(ni));
      auto thr = hwy::AllocateAligned<float>(static_cast<std::size_t>(nu));
      auto scratch = hwy::AllocateAligned<float>(static_cast<std::size_t>(nu * tile.items));
      for (std::ptrdiff_t i = 0; i < nu * k; ++i) up[i] = normal(gen);
      for (std::ptrdiff_t i = 0; i < ni * k; ++i) vp[i] = normal(gen);
      for (int i = 0; i < nu; ++i) uc[i] = normal(gen);
      for (int i = 0; i < ni; ++i) vb[i] = normal(gen);
      auto expected = [&](int t, int r, int c) {
        // user r: up[f * U + r]; item c of tile t: vp[t I k + f I + c]
        const float dot =
            chain(up.get() + r, vp.get() + t * tile.items * k + c, k, tile.users, tile.items, fused);
        return (uc[r] + vb[t * tile.items + c]) + dot;
      };
      for (const bool filtered : {false, true}) {
        Hits h;
        h.users = nu;
        h.items = tile.items;
        h.bits.assign(static_cast<std::size_t>(tiles * nu), 0);
        h.scores.assign(static_cast<std::size_t>(tiles * nu * tile.items), 0.0f);
        for (int r = 0; r < nu; ++r)
          thr[r] = filtered ? 0.7f * std::sqrt(static_cast<float>(k)) + 0.3f * r
                            : -std::numeric_limits<float>::infinity();
        if (filtered) thr[1 % nu] = std::numeric_limits<float>::quiet_NaN();  // a user turned off
        simd::topn_score_tiles(up.get(), uc.get(), vp.get(), vb.get(), tiles, k, thr.get(), record_hit, &h,
                               scratch.get());
        for (int t = 0; t < tiles; ++t) {
          const bool called = std::find(h.calls.begin(), h.calls.end(), t) != h.calls.end();
          bool any = false;
          for (int r = 0; r < nu; ++r) {
            for (int c = 0; c < tile.items; ++c) {
              const float want = expected(t, r, c);
              const bool pass = want >= thr[r];
              any |= pass;
              const bool got = (h.bits[t * nu + r] >> c) & 1u;
              ASSERT_EQ(got, pass) << "k " << k << " tile " << t << " user " << r << " item " << c;
              if (called) {
                const float s = h.scores[(t * nu + r) * tile.items + c];
                ASSERT_EQ(std::memcmp(&s, &want, sizeof s), 0)
                    << "k " << k << " tile " << t << " user " << r << " item " << c << ": " << s << " vs "
                    << want;
              }
            }
          }
          EXPECT_EQ(called, any) << "k " << k << " tile " << t;
        }
      }
    }
  }
}

// score_block_into against the brute-force float32 top-N on every target:
// exclusions, blocked items, exact ties, several threads, user and item counts that are
// not multiples of any tile, and N larger than the number of items.
TEST(ScoreBlock, EqualsTheFloat32BruteForceOnEveryTarget) {
  const int n_users = 301, n_items = 1033, k = 19;
  const Matrix users = random_matrix(n_users, k, 21);
  const Vector offset = random_vector(n_users, 22);
  Items items{random_matrix(n_items, k, 23), random_vector(n_items, 24)};
  // Exact ties: items 500-699 repeat items 0-199 (the smaller id ranks first).
  for (Index i = 500; i < 700; ++i) {
    items.factors.row(i) = items.factors.row(i - 500);
    items.bias[i] = items.bias[i - 500];
  }
  std::vector<std::vector<Index>> excl_lists(n_users);
  std::mt19937 gen(25);
  for (auto& e : excl_lists) {
    for (Index i = 0; i < n_items; ++i)
      if (gen() % 7 == 0) e.push_back(i);
  }
  std::vector<std::span<const Index>> excl(excl_lists.begin(), excl_lists.end());
  std::vector<char> blocked(n_items, 0);
  for (Index i = 0; i < n_items; i += 13) blocked[i] = 1;
  for (const std::int64_t target : simd::available_targets()) {
    Forced forced(target);
    SCOPED_TRACE(hwy::TargetName(target));
    for (const int n : {1, 10, 2000}) {
      auto heaps = heaps_of(n_users, n);
      score_block_into(users, offset, items.factors, items.bias, 0, excl, heaps, 2, &blocked);
      for (Index u = 0; u < n_users; u += (n == 2000 ? 50 : 1))
        expect_list(heaps[u].sorted(), brute_top(users, offset, items, u, n, excl[u], &blocked), u);
    }
  }
}

TEST(TopNHeap, ThresholdIsAFloatLowerBound) {
  TopNHeap heap(2);
  EXPECT_EQ(heap.threshold(), -std::numeric_limits<float>::infinity());
  heap.push(1, 0.1);  // not a float value: rounded down
  heap.push(2, 5.0);
  const float t = heap.threshold();  // the largest float at or below 0.1
  EXPECT_LE(static_cast<double>(t), 0.1);
  EXPECT_GT(static_cast<double>(std::nextafter(t, 1.0f)), 0.1);
  EXPECT_TRUE(std::isnan(TopNHeap(0).threshold()));
}
