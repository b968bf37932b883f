// Content model: profiles and scores against the header's worked example,
// cold-start items recommended through shared genres, item neighbours.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "src/content.hpp"
#include "src/tfidf.hpp"

using namespace hpcrec::math;

namespace {

CsrBlock rows_of(const std::vector<std::vector<std::pair<Index, float>>>& rows) {
  CsrBlock b;
  for (const auto& r : rows) {
    for (auto [c, v] : r) {
      b.cols.push_back(c);
      b.values.push_back(v);
    }
    b.indptr.push_back(static_cast<Offset>(b.cols.size()));
  }
  return b;
}

}  // namespace

// The header's example: items 0 = (a), 1 = (b), 2 = (.6 a + .8 b), item 2 unrated.
TEST(Content, WorkedExample) {
  const ContentIndex index(rows_of({{{0, 1.f}}, {{1, 1.f}}, {{0, .6f}, {1, .8f}}}));
  EXPECT_EQ(index.items(), 3);
  EXPECT_EQ(index.terms(), 2);
  // User rated 0 with 5 and 1 with 3: w = (+1, -1), p = (1, -1)/sqrt 2,
  // score(2) = (.6 - .8)/sqrt 2 = -0.141421.
  auto top =
      content_top_n(index, rows_of({{{0, 5.f}, {1, 3.f}}, {{0, 5.f}, {1, 5.f}}, {}}), ContentOptions{}, 5);
  ASSERT_EQ(top.size(), 3u);
  ASSERT_EQ(top[0].size(), 1u);
  EXPECT_EQ(top[0][0].item, 2);
  EXPECT_NEAR(top[0][0].score, -0.2 / std::sqrt(2.0), 1e-6);
  // All ratings equal: w = (1, 1), p = (1, 1)/sqrt 2, score(2) = 1.4/sqrt 2 = 0.989949.
  ASSERT_EQ(top[1].size(), 1u);
  EXPECT_NEAR(top[1][0].score, 1.4 / std::sqrt(2.0), 1e-6);
  EXPECT_TRUE(top[2].empty());  // no history: no profile
  // Implicit: the confidences are the weights: p = (5 a + 3 b)/sqrt 34,
  // score(2) = (3 + 2.4)/sqrt 34 = 0.926092.
  ContentOptions implicit;
  implicit.weight = ProfileWeight::kConfidence;
  top = content_top_n(index, rows_of({{{0, 5.f}, {1, 3.f}}}), implicit, 5);
  EXPECT_NEAR(top[0][0].score, 5.4 / std::sqrt(34.0), 1e-6);
}

// Six films with genres; films 4 (Sci-Fi) and 5 (Romance) have no ratings.
// A user who loves the Sci-Fi films 0 and 1 and dislikes the Romance film 2
// gets the cold Sci-Fi film 4 first; a Romance lover gets film 5 first.
TEST(Content, ColdStartItemsAreRecommended) {
  const std::vector<std::string> titles = {"Star Voyage", "Robot Planet",  "Paris Love",
                                           "Desert Dust", "Galaxy Robots", "Love Letters"};
  const std::vector<std::vector<std::string>> genres = {{"genre:Sci-Fi"},  {"genre:Sci-Fi", "genre:Action"},
                                                        {"genre:Romance"}, {"genre:Western"},
                                                        {"genre:Sci-Fi"},  {"genre:Romance", "genre:Drama"}};
  const TfidfModel m = fit_tfidf(titles, genres, TfidfOptions{});
  const ContentIndex index(m.matrix);
  // Users: 0 likes Sci-Fi, 1 likes Romance (rated 2 and 3 only).
  const CsrBlock users = rows_of({{{0, 5.f}, {1, 4.f}, {2, 1.f}, {3, 3.f}}, {{0, 1.f}, {2, 5.f}, {3, 2.f}}});
  const auto top = content_top_n(index, users, ContentOptions{}, 3);
  ASSERT_FALSE(top[0].empty());
  EXPECT_EQ(top[0][0].item, 4);
  EXPECT_GT(top[0][0].score, 0);
  ASSERT_FALSE(top[1].empty());
  EXPECT_EQ(top[1][0].item, 5);
  for (Index u = 0; u < 2; ++u) {  // seen items never come back
    auto seen = users.row_cols(u);
    for (const auto& s : top[static_cast<size_t>(u)]) {
      EXPECT_FALSE(std::binary_search(seen.begin(), seen.end(), s.item));
    }
  }
  // Item neighbours: film 4 shares only "genre:Sci-Fi" ("robots" != "robot")
  // with films 0 and 1; film 5 shares "love" and the genre with film 2.
  SimilarityOptions so;
  so.neighbors = 2;
  const NeighborLists nb = content_neighbors(m.matrix, so);
  ASSERT_EQ(nb.rows(), 6);
  ASSERT_GE(nb.row(4).size(), 1u);
  EXPECT_TRUE(nb.row(4)[0].id == 0 || nb.row(4)[0].id == 1);
  EXPECT_EQ(nb.row(5)[0].id, 2);  // the other Romance film ("love" too)
}
