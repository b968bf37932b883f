// Content model across ranks (ctest runs 1..4): item-item cosine over the
// TF-IDF rows through the KNN ring (dist::compute_neighbors) equals the
// single-process neighbours, and each rank's block of users gets the same
// top-N as a single-process run.
#include <gtest/gtest.h>

#include "mpi/knn_driver.hpp"
#include "src/content.hpp"
#include "src/tfidf.hpp"

using namespace hpcrec;
using math::Index;

namespace {

constexpr Index kItems = 53, kUsers = 37;

math::TfidfModel corpus() {
  const std::vector<std::string> words = {"space", "robot", "love", "war",   "desert", "ship",
                                          "city",  "night", "dog",  "money", "river",  "king"};
  std::vector<std::string> texts;
  std::vector<std::vector<std::string>> genres;
  for (Index i = 0; i < kItems; ++i) {
    std::string t;
    for (Index k = 0; k < 1 + i % 4; ++k) t += words[static_cast<size_t>((i * 7 + k * 5) % 12)] + " ";
    texts.push_back(i % 11 == 10 ? "" : t);  // some items without text
    genres.push_back({"genre:G" + std::to_string(i % 5)});
  }
  return math::fit_tfidf(texts, genres, math::TfidfOptions{});
}

math::CsrBlock users_block(Index first, Index count) {
  math::CsrBlock b;
  b.first_row = first;
  for (Index u = first; u < first + count; ++u) {
    for (Index i = 0; i < kItems - 10; ++i) {  // items >= kItems - 10 are cold
      if ((u * 13 + i * 7) % 9 == 0) {
        b.cols.push_back(i);
        b.values.push_back(static_cast<float>(1 + (u + i) % 5));
      }
    }
    b.indptr.push_back(static_cast<math::Offset>(b.cols.size()));
  }
  return b;
}

}  // namespace

TEST(ContentMpi, NeighborsEqualAcrossRanks) {
  auto comm = dist::Communicator::world();
  const math::TfidfModel m = corpus();
  const auto items = dist::BlockPartition::even(kItems, comm.size());
  const math::CsrBlock mine = math::slice_rows(m.matrix, items.first(comm.rank()), items.count(comm.rank()));
  const math::CsrBlock no_users;
  const auto terms = dist::BlockPartition::even(static_cast<Index>(m.vocabulary.size()), comm.size());
  dist::KnnOptions o;
  o.similarity.neighbors = 5;
  const math::NeighborLists got =
      dist::compute_neighbors(comm, {&no_users, &mine, terms, items}, dist::KnnBaselines{}, o);
  const math::NeighborLists want = math::content_neighbors(m.matrix, o.similarity);
  ASSERT_EQ(got.rows(), items.count(comm.rank()));
  for (Index r = 0; r < got.rows(); ++r) {
    const auto g = got.row(r), w = want.row(got.first_row + r);
    ASSERT_EQ(g.size(), w.size());
    for (size_t k = 0; k < g.size(); ++k) {
      EXPECT_EQ(g[k].id, w[k].id);
      EXPECT_EQ(g[k].sim, w[k].sim);
    }
  }
}

TEST(ContentMpi, TopNEqualAcrossRanksWithColdItems) {
  auto comm = dist::Communicator::world();
  const math::ContentIndex index(corpus().matrix);
  const auto users = dist::BlockPartition::even(kUsers, comm.size());
  const math::CsrBlock mine = users_block(users.first(comm.rank()), users.count(comm.rank()));
  const auto got =
      math::content_top_n(index, mine, math::ContentOptions{math::ProfileWeight::kCentered, 2}, 10);
  const auto want = math::content_top_n(index, users_block(0, kUsers), math::ContentOptions{}, 10);
  bool cold = false;
  for (Index r = 0; r < mine.rows(); ++r) {
    const auto& g = got[static_cast<size_t>(r)];
    const auto& w = want[static_cast<size_t>(mine.first_row + r)];
    ASSERT_EQ(g.size(), w.size());
    for (size_t k = 0; k < g.size(); ++k) {
      EXPECT_EQ(g[k].item, w[k].item);
      EXPECT_EQ(g[k].score, w[k].score);
      cold = cold || g[k].item >= kItems - 10;
    }
  }
  EXPECT_TRUE(comm.allreduce<int>(cold ? 1 : 0, MPI_MAX) == 1);  // cold items get recommended
}
