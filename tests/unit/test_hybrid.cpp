// Blending of per-model lists (src/hybrid.hpp) against hand-worked cases.
#include <gtest/gtest.h>

#include <cmath>
#include <tuple>
#include <vector>

#include "src/errors.hpp"
#include "src/hybrid.hpp"

using namespace hpcrec::math;

namespace {

std::vector<Index> items_of(const std::vector<ScoredItem>& list) {
  std::vector<Index> out;
  for (const auto& e : list) out.push_back(e.item);
  return out;
}

}  // namespace

// The header's worked example: als w 0.6 (c 0) {7: 4.5, 3: 4.0, 9: 3.5},
// content w 0.4 (c 0.5) {3: 0.9, 5: 0.5, 6: 0.7}; item 5 cold. score(3) =
// 0.6 * 0.5 + 0.4 * 1 = 0.7, score(7) = 0.6, score(6) = 0.4 * 0.5 = 0.2,
// score(5) = 0.5 * 0 = score(9) = 0 (tie -> smaller id first).
TEST(Hybrid, HeaderExample) {
  const std::vector<ScoredItem> als = {{7, 4.5}, {3, 4.0}, {9, 3.5}},
                                content = {{3, 0.9}, {6, 0.7}, {5, 0.5}};
  std::vector<char> cold(10, 0);
  cold[5] = 1;
  const std::vector<BlendSource> sources = {{als, 0.6, 0.0}, {content, 0.4, 0.5}};
  const auto out = blend_lists(sources, &cold, 10);
  ASSERT_EQ(items_of(out), (std::vector<Index>{3, 7, 6, 5, 9}));
  EXPECT_NEAR(out[0].score, 0.7, 1e-12);
  EXPECT_NEAR(out[1].score, 0.6, 1e-12);
  EXPECT_NEAR(out[2].score, 0.2, 1e-12);
  EXPECT_EQ(out[3].score, 0.0);
  EXPECT_EQ(out[4].score, 0.0);
  // n cuts the list.
  EXPECT_EQ(items_of(blend_lists(sources, &cold, 2)), (std::vector<Index>{3, 7}));
}

// The cold weight moves new items against known ones: content {1: 0.8,
// 4: 0.2} with item 1 cold, als {2: 5, 4: 1}, w = 0.5 each. With c = 0.5
// (the plain sum) item 1 scores 0.5 * 1 = 0.5 and ties item 2 (0.5 * 1 +
// 0.5 * 0): the tie goes to the smaller id, 1; with c = 0.2 it scores 0.2
// and falls behind 2; with c = 1 it leads with 1.0. Item 4: 0.5 * 0
// + 0.5 * 0 = 0 in every case.
TEST(Hybrid, ColdWeight) {
  const std::vector<ScoredItem> als = {{2, 5.0}, {4, 1.0}}, content = {{1, 0.8}, {4, 0.2}};
  const std::vector<char> cold = {0, 1, 0, 0, 0};
  for (auto [c, first, score] : {std::tuple{0.5, 1, 0.5}, std::tuple{0.2, 2, 0.5}, std::tuple{1.0, 1, 1.0}}) {
    const std::vector<BlendSource> sources = {{als, 0.5, 0.0}, {content, 0.5, c}};
    const auto out = blend_lists(sources, &cold, 3);
    ASSERT_EQ(out.size(), 3u);
    EXPECT_EQ(out[0].item, first) << c;
    EXPECT_NEAR(out[0].score, score, 1e-12) << c;
    EXPECT_EQ(out[2].item, 4) << c;
  }
  // Without cold flags every item takes w.
  const std::vector<BlendSource> sources = {{als, 0.5, 0.0}, {content, 0.5, 0.0}};
  EXPECT_EQ(items_of(blend_lists(sources, nullptr, 3)), (std::vector<Index>{1, 2, 4}));
}

// Equal scores in a list all map to 1; a zero weight contributes nothing,
// but its items stay candidates (at score 0).
TEST(Hybrid, FlatListsAndZeroWeights) {
  const std::vector<ScoredItem> a = {{4, 2.0}, {6, 2.0}}, b = {{8, 3.0}};
  const std::vector<BlendSource> sources = {{a, 1.0, 0.0}, {b, 0.0, 0.0}};
  const auto out = blend_lists(sources, nullptr, 5);
  ASSERT_EQ(items_of(out), (std::vector<Index>{4, 6, 8}));
  EXPECT_EQ(out[0].score, 1.0);
  EXPECT_EQ(out[1].score, 1.0);
  EXPECT_EQ(out[2].score, 0.0);
}

TEST(Hybrid, SimplexGrid) {
  const auto g2 = simplex_grid(2, 2);
  ASSERT_EQ(g2.size(), 3u);
  EXPECT_EQ(g2[0], (std::vector<double>{1, 0}));
  EXPECT_EQ(g2[1], (std::vector<double>{0.5, 0.5}));
  EXPECT_EQ(g2[2], (std::vector<double>{0, 1}));
  // C(steps + models - 1, models - 1): 3 models at 0.1 -> C(12, 2) = 66.
  const auto g3 = simplex_grid(3, 10);
  EXPECT_EQ(g3.size(), 66u);
  for (const auto& w : g3) EXPECT_NEAR(w[0] + w[1] + w[2], 1.0, 1e-12);
}

TEST(Hybrid, ParseBlend) {
  const std::vector<std::string> allowed = {"als", "ials", "knn", "content", "popular"};
  const std::vector<std::string> auto_models = {"ials", "knn", "popular"};
  BlendSpec s = parse_blend("als:0.6,knn:0.2,content:0.2", allowed, auto_models);
  EXPECT_EQ(s.models, (std::vector<std::string>{"als", "knn", "content"}));
  ASSERT_EQ(s.weights.size(), 3u);
  EXPECT_NEAR(s.weights[0], 0.6, 1e-12);
  s = parse_blend("ials:3,popular:1", allowed, auto_models);  // normalised
  EXPECT_NEAR(s.weights[0], 0.75, 1e-12);
  s = parse_blend("auto", allowed, auto_models);
  EXPECT_EQ(s.models, auto_models);
  EXPECT_TRUE(s.weights.empty());
  s = parse_blend("auto:knn,content", allowed, auto_models);
  EXPECT_EQ(s.models, (std::vector<std::string>{"knn", "content"}));
  for (const char* bad : {"als", "als:x", "als:-1", "svd:1", "als:1,als:2", "als:0,knn:0", "auto:knn"}) {
    EXPECT_THROW(parse_blend(bad, allowed, auto_models), hpcrec::InputError) << bad;
  }
  try {
    parse_blend("svd:1", allowed, auto_models);
  } catch (const hpcrec::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown model 'svd'"), std::string::npos) << e.what();
  }
}

// The rating blend's least squares (src/hybrid.hpp), by hand. One model,
// p = (1, 2, 3), r = (2, 3, 5), x_j = (1, p_j):
//   G = [[n, sum p], [sum p, sum p^2]] = [[3, 6], [6, 14]],
//   h = (sum r, sum p r) = (10, 2 + 6 + 15) = (10, 23).
// Ridge 0: det G = 3 * 14 - 6 * 6 = 6, so by Cramer's rule
//   w_0 = (14 * 10 - 6 * 23) / 6 = 2/6 = 1/3, w_1 = (3 * 23 - 6 * 10) / 6 = 9/6 = 3/2
// (residuals 1/6, -1/3, 1/6 sum to 0, as the intercept requires).
// Ridge 1/3 per rating (ridge = n / 3 = 1 on w_1 only): G_11 = 15, det = 45 - 36 = 9,
//   w_0 = (15 * 10 - 6 * 23) / 9 = 12/9 = 4/3, w_1 = (3 * 23 - 6 * 10) / 9 = 1.
TEST(Hybrid, RatingBlendLeastSquaresByHand) {
  RatingBlendSums sums(1);
  const double p[] = {1, 2, 3}, r[] = {2, 3, 5};
  for (int j = 0; j < 3; ++j) sums.add(std::vector<double>{p[j]}, r[j]);
  EXPECT_EQ(sums.count(), 3.0);
  const auto w = sums.solve(0.0);
  ASSERT_EQ(w.size(), 2u);
  EXPECT_NEAR(w[0], 1.0 / 3.0, 1e-12);
  EXPECT_NEAR(w[1], 1.5, 1e-12);
  const auto wr = sums.solve(1.0 / 3.0);
  EXPECT_NEAR(wr[0], 4.0 / 3.0, 1e-12);
  EXPECT_NEAR(wr[1], 1.0, 1e-12);
  // Prediction: w_0 + w_1 p, clipped; NaN without a component's prediction.
  EXPECT_NEAR(blend_rating(w, std::vector<double>{2.0}, 1, 5), 1.0 / 3.0 + 3.0, 1e-12);
  EXPECT_EQ(blend_rating(w, std::vector<double>{4.0}, 1, 5), 5.0);
  EXPECT_TRUE(std::isnan(blend_rating(w, std::vector<double>{std::nan("")}, 1, 5)));
}

// Two models and ratings that are exactly r = 1 + 0.5 p_1 + 0.25 p_2 (p_1,
// p_2 not collinear): ridge 0 recovers (1, 0.5, 0.25); the sums do not
// depend on the order the ratings are added in, nor on merging partial sums
// (what ranks do), bitwise.
TEST(Hybrid, RatingBlendRecoversExactWeightsInAnyOrder) {
  const std::vector<std::vector<double>> p = {{1, 2}, {2, 1}, {3, 5}, {4, 4}, {5, 1}, {2.5, 3.5}};
  RatingBlendSums all(2), first(2), second(2);
  for (size_t j = 0; j < p.size(); ++j) {
    const double r = 1 + 0.5 * p[j][0] + 0.25 * p[j][1];
    all.add(p[j], r);
    (j % 2 ? first : second)
        .add(p[p.size() - 1 - j], 1 + 0.5 * p[p.size() - 1 - j][0] + 0.25 * p[p.size() - 1 - j][1]);
  }
  const auto w = all.solve(0.0);
  EXPECT_NEAR(w[0], 1.0, 1e-9);
  EXPECT_NEAR(w[1], 0.5, 1e-9);
  EXPECT_NEAR(w[2], 0.25, 1e-9);
  for (size_t s = 0; s < first.sums().size(); ++s) first.sums()[s].merge(second.sums()[s]);
  EXPECT_EQ(first.solve(1e-6), all.solve(1e-6));
}
