#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "src/csr_block.hpp"
#include "src/simd/topn_kernels.hpp"
#include "src/support_ranking.hpp"
#include "src/topn.hpp"

using namespace hpcrec::math;

// Reference values: Φ(0) = 1/2; Φ(1) = 0.8413447460685429 and
// Φ(-5) = 2.866515718791946e-07 (tables, or 0.5 * erfc(-x / sqrt 2) in
// Python's math module); Φ(6) = 1 - 9.865876450377012e-10.
TEST(LogNormalCdf, MatchesTabulatedValues) {
  EXPECT_NEAR(log_normal_cdf(0.0), std::log(0.5), 1e-15);
  EXPECT_NEAR(log_normal_cdf(1.0), std::log(0.8413447460685429), 1e-15);
  EXPECT_NEAR(log_normal_cdf(-5.0), std::log(2.866515718791946e-07), 1e-12);
  // Near 1: log Φ(6) = log1p(-q) = -q - q²/2 - ... = -9.865876455243787e-10
  // to 1e-14 relative (a plain log of Φ would keep only 6 of these digits).
  EXPECT_NEAR(log_normal_cdf(6.0), -9.865876455243787e-10, 1e-23);
}

// Where erfc underflows the asymptotic series takes over: at x = -40,
// log Φ = -800 - log 40 - log(2π)/2 + log(1 - 1/1600 + 3/1600² - ...)
//       = -800 - 3.6888794541139363 - 0.9189385332046727 - 0.00062403...
//       = -804.6084420...; the two branches meet smoothly at -37.
TEST(LogNormalCdf, FarLeftTailIsFiniteAndContinuous) {
  EXPECT_NEAR(log_normal_cdf(-40.0), -804.608442, 1e-6);
  EXPECT_NEAR(log_normal_cdf(-37.0 - 1e-9), log_normal_cdf(-37.0 + 1e-9), 1e-6);
  EXPECT_TRUE(std::isfinite(log_normal_cdf(-1e100)));
  EXPECT_LT(log_normal_cdf(-41.0), log_normal_cdf(-40.0));
}

// The worked example of src/support_ranking.hpp: sigma 1, t = 3.5; item A
// predicted 4.6 from 2 ratings, item B predicted 4.0 from 80 ratings.
// By rating A leads; by support B does: log 81 + log Φ(0.5) = 4.0255 >
// log 3 + log Φ(1.1) = 0.9528.
TEST(SupportRanking, WorkedExamplePutsTheWellSupportedItemFirst) {
  CsrBlock by_item;  // item 0 (A): 2 ratings, item 1 (B): 80
  by_item.indptr = {0, 2, 82};
  by_item.cols.assign(82, 0);
  by_item.values.assign(82, 4.0f);
  for (int j = 0; j < 82; ++j) by_item.cols[static_cast<size_t>(j)] = j < 2 ? j : j - 2;
  const Vector prior = log_support_prior(by_item);
  EXPECT_NEAR(prior[0], std::log(3.0), 1e-15);
  EXPECT_NEAR(prior[1], std::log(81.0), 1e-15);
  const SupportRanking ranking{&prior, 3.5, 1.0};
  EXPECT_NEAR(ranking.score(4.6, 0), 0.952816, 1e-6);
  EXPECT_NEAR(ranking.score(4.0, 1), 4.025503, 1e-6);

  // Through the scoring kernel: one user, k = 1 (x_u = 1), offsets giving
  // the predictions 4.6 and 4.0 (item bias 3.6 and 3.0, y_i = 1).
  const Matrix users = Matrix::Ones(1, 1), items = Matrix::Ones(2, 1);
  Vector bias(2);
  bias << 3.6, 3.0;
  std::vector<TopNHeap> by_rating(1, TopNHeap(2)), by_support(1, TopNHeap(2));
  score_block_into(users, Vector::Zero(1), items, bias, 0, {}, by_rating, 1);
  score_block_into(users, Vector::Zero(1), items, bias, 0, {}, by_support, 1, nullptr, &ranking);
  EXPECT_EQ(by_rating[0].sorted()[0].item, 0);
  EXPECT_EQ(by_support[0].sorted()[0].item, 1);
  EXPECT_NEAR(by_support[0].sorted()[0].score, 4.025503, 1e-6);
  EXPECT_NEAR(by_support[0].sorted()[1].score, 0.952816, 1e-6);
}

// The prior bound skips items that cannot enter a full heap; the result is
// the brute-force ranking all the same.
TEST(SupportRanking, PruningKeepsTheBruteForceTopN) {
  const int n_items = 300;
  Matrix users(3, 2), items(n_items, 2);
  users << 1, 0, 0, 1, 0.5, -0.5;
  Vector bias(n_items), prior(n_items);
  for (int i = 0; i < n_items; ++i) {
    items(i, 0) = std::sin(i * 0.37);
    items(i, 1) = std::cos(i * 0.11);
    bias[i] = 3.0 + 0.5 * std::sin(i * 1.3);
    prior[i] = std::log1p((i * 37) % 101);
  }
  const SupportRanking ranking{&prior, 3.5, 1.0 / 0.9};
  std::vector<TopNHeap> heaps(3, TopNHeap(7));
  score_block_into(users, Vector::Zero(3), items, bias, 0, {}, heaps, 2, nullptr, &ranking);
  for (int u = 0; u < 3; ++u) {
    std::vector<ScoredItem> all;
    for (Index i = 0; i < n_items; ++i) {
      // The kernel's float32 score (src/simd/topn_kernels.hpp), then the rank score.
      const auto x = users.row(u).cast<float>(), y = items.row(i).cast<float>();
      const float p0 = x[0] * y[0], p1 = x[1] * y[1];
      const float dot =
          hpcrec::simd::topn_fuses() ? std::fma(x[1], y[1], std::fma(x[0], y[0], 0.0f)) : p0 + p1;
      const float predicted = (0.0f + static_cast<float>(bias[i])) + dot;
      all.push_back({i, ranking.score(predicted, i)});
    }
    std::sort(all.begin(), all.end(), better);
    const auto top = heaps[u].sorted();
    ASSERT_EQ(top.size(), 7u);
    for (int r = 0; r < 7; ++r) EXPECT_EQ(top[r].item, all[r].item) << "user " << u << " rank " << r;
  }
}
