// One behaviour suite for every registered algorithm (as implicit's
// RecommenderBaseTestMixin), at 1-4 ranks (ctest runs each count): fit on a
// checkerboard whose right answer is known, recommend, filter, save, load on
// the same ranks and on one process, explain and predict.
//
// The checkerboard: 48 users and 64 rated items in two halves. Users 0..23
// rate only items 0..31, users 24..47 only items 32..63, each about half of
// its own half, ratings 3..5. Items 64..71 have no ratings but comedy
// metadata like items 0..31 (cold start, for content). Every model that
// personalises must recommend a user items of the user's own half (content
// and the hybrid may add the cold comedies to the first half's lists).
// Explicit ALS learns what a user dislikes only from ratings: its file adds
// three ratings of 1 per user in the other half.
#include <gtest/gtest.h>

#include <Eigen/Cholesky>
#include <algorithm>
#include <bit>
#include <cmath>
#include <fstream>

#include "app/factor_model.hpp"
#include "app/item_content.hpp"
#include "app/model.hpp"
#include "app/serving.hpp"
#include "app/test_sets.hpp"
#include "app/train_options.hpp"
#include "app/train_report.hpp"
#include "mpi/failure.hpp"
#include "mpi/id_remap.hpp"
#include "shared_temp_dir.hpp"

using namespace hpcrec;
using math::Index;

namespace {

// How close a list's score is to the model's double-precision score: factor
// models (als, ials, bpmf) score top-N lists in float32 (src/topn.hpp; the
// rounded factors and a float32 dot product, relative error ~1e-7 per term),
// the others in double.
double score_tolerance(const std::string& algo) {
  return algo == "als" || algo == "ials" || algo == "bpmf" ? 1e-5 : 1e-9;
}

constexpr int kUsers = 48, kRated = 64, kCold = 8;

bool first_half_user(const std::string& id) { return std::stoi(id) < kUsers / 2; }
bool first_half_item(const std::string& id) {
  const int i = std::stoi(id);
  return i < kRated / 2 || i >= kRated;
}

void write_files(const dist::Communicator& comm, const hpcrec::testing::SharedTempDir& dir) {
  if (comm.rank() == 0) {
    std::ofstream r(dir.file("ratings.tsv")), e(dir.file("explicit.tsv"));
    for (int u = 0; u < kUsers; ++u) {
      const int base = u < kUsers / 2 ? 0 : kRated / 2, other = kRated / 2 - base;
      for (int j = 0; j < kRated / 2; ++j) {
        if ((u * 7 + j * 3) % 5 < 3) {
          r << u << '\t' << base + j << '\t' << 3 + (u + j) % 3 << '\n';
          e << u << '\t' << base + j << '\t' << 3 + (u + j) % 3 << '\n';
        }
      }
      for (int j = 0; j < 3; ++j) e << u << '\t' << other + (u * 5 + j * 11) % (kRated / 2) << "\t1\n";
    }
    std::ofstream m(dir.file("movies.csv"));
    m << "movieId,title,genres\n";
    for (int i = 0; i < kRated + kCold; ++i)
      m << i << ",t" << i << ','
        << (first_half_item(std::to_string(i)) ? "Comedy|Romance" : "Horror|Thriller") << '\n';
  }
  comm.barrier();
}

app::TrainOptions options_for(const std::string& algo, const hpcrec::testing::SharedTempDir& dir) {
  const bool explicit_ratings = algo == "als" || algo == "bpmf";
  std::vector<std::string> args = {"--ratings", dir.file(explicit_ratings ? "explicit.tsv" : "ratings.tsv"),
                                   "--algo",    algo,
                                   "--factors", "4",
                                   "--lambda",  "0.05"};
  // bpmf counts Gibbs samples (its start: 3 ALS sweeps), the others sweeps.
  // Its noise precision is fixed: drawn, it runs away on 1700 ratings at
  // k = 4 (the samples interpolate the training ratings, alpha grows past
  // 200 and item 37 of the other half is predicted 5.0 for user 5).
  const std::vector<const char*> sweeps =
      algo == "bpmf"
          ? std::vector<const char*>{"--samples",     "40", "--burn-in",         "10", "--thin", "2",
                                     "--init-sweeps", "3",  "--noise-precision", "2"}
          : std::vector<const char*>{"--iterations", "8"};
  for (const char* a : sweeps) args.push_back(a);
  if (algo == "content" || algo == "hybrid") {
    // Centred profiles cancel the genres a user rates alike: weigh by rating.
    for (const char* a : {"--item-features", "", "--implicit-profile"}) args.push_back(a);
    args[args.size() - 2] = dir.file("movies.csv");
  }
  if (algo == "hybrid") {
    args.push_back("--blend");
    args.push_back("ials:0.5,knn:0.3,content:0.2");
  }
  if (algo == "knn") {
    args.push_back("--similarity");
    args.push_back("cosine");
  }
  app::TrainOptions o;
  app::parse_train_options(args, o, false);
  return o;
}

struct Fitted {
  app::TrainingData data;
  app::ItemContent content;
  std::unique_ptr<app::Model> model;
  app::Metrics metrics;
};

std::unique_ptr<Fitted> fit(const dist::Communicator& comm, const app::TrainOptions& o, app::Report& report) {
  auto f = std::make_unique<Fitted>();
  app::DataOptions d = o.data;
  const bool with_content = app::needs_content(o);
  if (with_content) {
    app::read_content(comm, o, f->content);
    d.extra_items = &f->content.ids;
  }
  f->data = app::load_training_data(comm, d);
  if (with_content) app::build_content(comm, o, f->data, f->content);
  app::FitContext ctx;
  ctx.data = &f->data;
  ctx.run = &o;
  ctx.content = &f->content;
  ctx.report = &report;
  f->model = app::make_model(o.algo_name, o);
  EXPECT_EQ(f->model->fit(comm, ctx, f->metrics), kExitOk);
  return f;
}

void expect_same(const app::TopLists& a, const app::TopLists& b, const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (size_t u = 0; u < a.size(); ++u) {
    ASSERT_EQ(a[u].size(), b[u].size()) << what << " user row " << u;
    for (size_t j = 0; j < a[u].size(); ++j) {
      EXPECT_EQ(a[u][j].item, b[u][j].item) << what << " user row " << u << " slot " << j;
      EXPECT_EQ(a[u][j].score, b[u][j].score) << what << " user row " << u << " slot " << j;
    }
  }
}

class ModelSuite : public ::testing::TestWithParam<std::string> {};

TEST_P(ModelSuite, FitRecommendSaveLoadExplain) {
  auto comm = dist::Communicator::world();
  hpcrec::testing::SharedTempDir dir(comm);
  write_files(comm, dir);
  const std::string algo = GetParam();
  app::TrainOptions o = options_for(algo, dir);
  o.model = dir.file("m.h5");  // content computes its neighbours for a model file
  app::Report report(comm, "", false);
  auto f = fit(comm, o, report);
  const app::TrainingData& data = f->data;
  // Training keeps each rank's slice of the item ids: the whole map to name
  // the items of any list.
  const math::IdMap items = dist::gather_id_map(comm, data.item_ids);
  const int n = 5;
  const app::TopLists all = f->model->recommend(comm, data, app::UserBatch{}, n, app::ItemFilter{});
  ASSERT_EQ(static_cast<Index>(all.size()), data.by_user.rows());

  // Lists: at most n, best first, no training item; the checkerboard's halves.
  for (Index r = 0; r < data.by_user.rows(); ++r) {
    const auto& list = all[r];
    const std::string user = data.user_ids.name(data.by_user.first_row + r);
    EXPECT_LE(static_cast<int>(list.size()), n);
    EXPECT_FALSE(list.empty()) << algo << " user " << user;
    const auto seen = data.by_user.row_cols(r);
    for (size_t j = 0; j < list.size(); ++j) {
      if (j > 0) {
        EXPECT_FALSE(math::better(list[j], list[j - 1])) << algo << " user " << user;
      }
      EXPECT_FALSE(std::binary_search(seen.begin(), seen.end(), list[j].item)) << algo << " user " << user;
      if (algo != "popular") {
        EXPECT_EQ(first_half_user(user), first_half_item(items.name(list[j].item)))
            << algo << " recommends item " << items.name(list[j].item) << " to user " << user;
      }
    }
  }

  // A batch of rows gives those rows' lists.
  app::UserBatch batch;
  batch.all = false;
  for (Index r = 0; r < data.by_user.rows(); r += 3) batch.rows.push_back(r);
  const app::TopLists some = f->model->recommend(comm, data, batch, n, app::ItemFilter{});
  app::TopLists want;
  for (Index r : batch.rows) want.push_back(all[r]);
  expect_same(some, want, algo + " batch");

  // Filters: only the allowed items; the user's own items when asked for.
  std::vector<char> blocked(static_cast<size_t>(data.item_ids.size()), 0);
  for (Index i = 0; i < data.item_ids.size(); ++i) blocked[i] = i % 2;
  const app::TopLists even = f->model->recommend(comm, data, app::UserBatch{}, n, {&blocked, false});
  for (const auto& list : even)
    for (const auto& s : list) EXPECT_EQ(s.item % 2, 0) << algo;
  if (algo != "content" && algo != "hybrid") {
    const app::TopLists with_seen =
        f->model->recommend(comm, data, app::UserBatch{}, kRated, {nullptr, true});
    Index seen_listed = 0;
    for (Index r = 0; r < data.by_user.rows(); ++r) {
      const auto seen = data.by_user.row_cols(r);
      for (const auto& s : with_seen[r]) seen_listed += std::binary_search(seen.begin(), seen.end(), s.item);
    }
    if (data.by_user.rows() > 0) {
      EXPECT_GT(seen_listed, 0) << algo << ": --include-rated lists no rated item";
    }
  }

  // Fold-in: users given by their ratings alone (here their own training
  // ratings) get lists of their own half, without their rated items (bpmf
  // refuses: a clear error).
  if (algo == "bpmf") {
    app::UserBatch given;
    given.histories = &data.by_user;
    EXPECT_THROW(f->model->recommend(comm, data, given, n, app::ItemFilter{}), InputError);
  } else {
    app::UserBatch given;
    given.histories = &data.by_user;
    const app::TopLists folded = f->model->recommend(comm, data, given, n, app::ItemFilter{});
    ASSERT_EQ(folded.size(), all.size());
    for (Index r = 0; r < data.by_user.rows(); ++r) {
      const std::string user = data.user_ids.name(data.by_user.first_row + r);
      const auto seen = data.by_user.row_cols(r);
      EXPECT_FALSE(folded[r].empty()) << algo;
      for (const auto& s : folded[r]) {
        EXPECT_FALSE(std::binary_search(seen.begin(), seen.end(), s.item)) << algo;
        if (algo != "popular") {
          EXPECT_EQ(first_half_user(user), first_half_item(items.name(s.item)))
              << algo << " fold-in recommends item " << items.name(s.item) << " to user " << user;
        }
      }
    }
    // Models that score from the history alone give exactly the trained lists.
    if (algo == "knn" || algo == "content" || algo == "popular") expect_same(folded, all, algo + " fold-in");
  }

  // A user without training interactions gets the popularity list; the others the model's.
  {
    app::TrainingData hollow = data;
    if (hollow.by_user.rows() > 0) {
      const auto gone = hollow.by_user.row_nnz(0);
      hollow.by_user.cols.erase(hollow.by_user.cols.begin(), hollow.by_user.cols.begin() + gone);
      hollow.by_user.values.erase(hollow.by_user.values.begin(), hollow.by_user.values.begin() + gone);
      for (auto& p : hollow.by_user.indptr) p = std::max<math::Offset>(p - gone, 0);
    }
    const app::ServedLists served =
        app::serve(comm, *f->model, hollow, app::UserBatch{}, n, app::ItemFilter{});
    const auto popular = app::popularity_list(comm, hollow, n, app::ItemFilter{});
    ASSERT_EQ(popular.size(), static_cast<size_t>(n));
    for (size_t j = 1; j < popular.size(); ++j) EXPECT_GE(popular[j - 1].score, popular[j].score);
    for (Index r = 0; r < hollow.by_user.rows(); ++r) {
      EXPECT_EQ(served.popular[r], r == 0 ? 1 : 0) << algo << " row " << r;
      if (r == 0) {
        ASSERT_EQ(served.lists[0].size(), popular.size());
        for (size_t j = 0; j < popular.size(); ++j) EXPECT_EQ(served.lists[0][j].item, popular[j].item);
      }
    }
  }

  // Save, load on the same ranks: the same lists, bit for bit.
  app::save_model_file(comm, o.model, *f->model, data, {});
  app::LoadedModel lm = app::load_model_file(comm, o.model, 1);
  EXPECT_EQ(lm.algorithm, algo);
  const app::TopLists again = lm.model->recommend(comm, lm.data, app::UserBatch{}, n, app::ItemFilter{});
  // The loaded partition may differ: compare through global user ids.
  std::vector<std::int64_t> mine, loaded;
  auto flatten = [&](const app::TopLists& lists, const app::TrainingData& d, std::vector<std::int64_t>& out) {
    for (Index r = 0; r < d.by_user.rows(); ++r) {
      for (const auto& s : lists[r]) {
        out.push_back(d.by_user.first_row + r);
        out.push_back(s.item);
        out.push_back(static_cast<std::int64_t>(std::bit_cast<std::uint64_t>(s.score)));
      }
    }
  };
  flatten(all, data, mine);
  flatten(again, lm.data, loaded);
  EXPECT_EQ(comm.allgatherv<std::int64_t>(mine), comm.allgatherv<std::int64_t>(loaded)) << algo;

  // One process: explain's terms add up to its score; predict where defined.
  dist::collective_phase(comm, [&] {
    if (comm.rank() != 0) return;
    const auto self = dist::Communicator::self();
    app::LoadedModel one = app::load_model_file(self, o.model, 1);
    const app::TopLists lists = one.model->recommend(self, one.data, app::UserBatch{}, n, app::ItemFilter{});
    int explained = 0;
    for (Index u = 0; u < one.data.user_ids.size(); u += 5) {
      for (const auto& s : lists[u]) {
        const app::Explanation e = one.model->explain(self, one.data, u, s.item);
        double sum = 0;
        for (const auto& t : e.terms) sum += t.value;
        EXPECT_NEAR(sum, e.score, 1e-6) << algo << " user " << u << " item " << s.item;
        EXPECT_FALSE(e.terms.empty()) << algo;
        // The model's own score is the list's (up to the order of additions;
        // factor models' lists are scored in float32, src/topn.hpp).
        EXPECT_NEAR(e.model, s.score, score_tolerance(algo) * std::max(1.0, std::abs(s.score))) << algo;
        ++explained;
      }
      const auto p = one.model->predict(self, one.data, {{u, lists[u].empty() ? 0 : lists[u][0].item, 0.f}});
      ASSERT_EQ(p.size(), 1u);
      if (algo == "ials" || algo == "popular" || algo == "content" || algo == "hybrid") {
        EXPECT_NEAR(p[0], lists[u][0].score, score_tolerance(algo) * std::max(1.0, std::abs(p[0]))) << algo;
      } else {
        EXPECT_TRUE(p[0] >= 3 && p[0] <= 5) << algo << " " << p[0];
      }
    }
    EXPECT_GT(explained, 0);
    // similar: an item's nearest items are of its own half (popular has none).
    if (algo == "popular") {
      EXPECT_THROW(one.model->similar(one.data, false, 0, 3, 1), InputError);
    } else {
      const app::Similar near = one.model->similar(one.data, false, 0, 3, 1);
      EXPECT_EQ(near.list.size(), 3u) << algo;
      for (const auto& nb : near.list) {
        EXPECT_NE(nb.id, 0) << algo;
        EXPECT_TRUE(first_half_item(one.data.item_ids.name(nb.id))) << algo << " neighbour " << nb.id;
      }
    }
    // Unknown ids: the rating models fall back to the baseline, the others have no score.
    const auto p = one.model->predict(self, one.data, {{-1, 0, 0.f}, {0, -1, 0.f}});
    for (double x : p) EXPECT_EQ(std::isnan(x), algo != "als" && algo != "knn" && algo != "bpmf") << algo;
  });
}

// Model::predict at any rank count: each rank asks for pairs of other
// ranks' users and items (and unknown ids); the answers come back equal, bit
// for bit, to one process's from the saved model (the rating blend relies
// on this to predict validation and test ratings where they lie).
TEST(ModelPredict, AnyRankAnswersEveryPairAsOneProcessDoes) {
  auto comm = dist::Communicator::world();
  hpcrec::testing::SharedTempDir dir(comm);
  write_files(comm, dir);
  for (const std::string algo : {"als", "knn", "ials", "bpmf"}) {
    app::TrainOptions o = options_for(algo, dir);
    o.model = dir.file(algo + ".h5");
    app::Report report(comm, "", false);
    auto f = fit(comm, o, report);
    app::save_model_file(comm, o.model, *f->model, f->data, {});
    // Every (user, item) pair, user -1 and item -1 too; pair j is asked by rank (j + 1) mod P.
    const Index users = f->data.user_ids.size(), items = f->data.item_ids.size();
    std::vector<math::Rating> all, mine;
    for (Index u = -1; u < users; ++u)
      for (Index i = -1; i < items; ++i) all.push_back({u, i, 0.f});
    const int p = comm.size();
    for (size_t j = 0; j < all.size(); ++j)
      if (static_cast<int>((j + 1) % p) == comm.rank()) mine.push_back(all[j]);
    const std::vector<double> got = f->model->predict(comm, f->data, mine);
    ASSERT_EQ(got.size(), mine.size()) << algo;
    const auto gathered = comm.allgatherv<double>(got);
    dist::collective_phase(comm, [&] {
      if (comm.rank() != 0) return;
      const auto self = dist::Communicator::self();
      app::LoadedModel one = app::load_model_file(self, o.model, 1);
      const std::vector<double> want = one.model->predict(self, one.data, all);
      // gathered holds rank 0's share, then rank 1's, ...: pair j is share (j + 1) mod P.
      std::vector<size_t> next(static_cast<size_t>(p), 0), start(static_cast<size_t>(p) + 1, 0);
      for (size_t j = 0; j < all.size(); ++j) ++start[(j + 1) % p + 1];
      for (int r = 0; r < p; ++r) start[r + 1] += start[r];
      for (size_t j = 0; j < all.size(); ++j) {
        const size_t r = (j + 1) % p;
        const double g = gathered[start[r] + next[r]++];
        if (std::isnan(want[j])) {
          EXPECT_TRUE(std::isnan(g)) << algo << " pair " << all[j].user << "," << all[j].item;
        } else {
          EXPECT_EQ(std::bit_cast<std::uint64_t>(g), std::bit_cast<std::uint64_t>(want[j]))
              << algo << " pair " << all[j].user << "," << all[j].item << ": " << g << " vs " << want[j];
        }
      }
    });
  }
}

INSTANTIATE_TEST_SUITE_P(EveryAlgorithm, ModelSuite,
                         ::testing::Values("als", "ials", "bpmf", "knn", "content", "popular", "hybrid"));

TEST(ModelTable, EveryRegisteredAlgorithmIsInTheSuite) {
  std::vector<std::string> names;
  for (const auto& e : app::model_table()) names.push_back(e.name);
  EXPECT_EQ(names, (std::vector<std::string>{"als", "ials", "bpmf", "knn", "content", "popular", "hybrid"}));
  EXPECT_THROW(app::model_entry("svd"), InputError);
}

}  // namespace

namespace {

// predict on u1.test from a u1.base ALS model reproduces train's test RMSE.
TEST(ModelPredict, AlsReproducesTrainTestRmseOnMovieLens) {
  const std::string base = std::string(HPCREC_SHARED_DATA) + "/ml-100k/u1.base";
  const std::string test = std::string(HPCREC_SHARED_DATA) + "/ml-100k/u1.test";
  if (!std::ifstream(base) || !std::ifstream(test)) GTEST_SKIP() << "ml-100k not found";
  auto comm = dist::Communicator::world();
  hpcrec::testing::SharedTempDir dir(comm);
  app::TrainOptions o;
  app::parse_train_options({"--ratings", base, "--test", test, "--iterations", "4", "--factors", "8"}, o,
                           false);
  o.model = dir.file("u1.h5");
  app::Report report(comm, "", false);
  auto f = fit(comm, o, report);
  app::save_model_file(comm, o.model, *f->model, f->data, {});
  double train_rmse = NAN;
  for (const auto& [k, v] : f->metrics)
    if (k == "test_rmse") train_rmse = v;
  ASSERT_FALSE(std::isnan(train_rmse));
  // The test ratings as predict sees them: original ids mapped through the model's maps.
  std::vector<math::Rating> pairs;
  std::vector<float> actual;
  std::vector<std::int64_t> ids;  // user, item original ids of this rank's test ratings
  const math::IdMap users = dist::gather_id_map(comm, f->data.user_ids);
  const math::IdMap items = dist::gather_id_map(comm, f->data.item_ids);
  for (const auto& r : f->data.test) {
    ids.push_back(r.user >= 0 ? users.int_at(r.user) : -1);
    ids.push_back(r.item >= 0 ? items.int_at(r.item) : -1);
    actual.push_back(r.value);
  }
  const auto all_ids = comm.allgatherv<std::int64_t>(ids);
  const auto all_actual = comm.allgatherv<float>(actual);
  dist::collective_phase(comm, [&] {
    if (comm.rank() != 0) return;
    const auto self = dist::Communicator::self();
    app::LoadedModel lm = app::load_model_file(self, o.model, 1);
    for (size_t j = 0; j < all_actual.size(); ++j) {
      const auto u =
          all_ids[2 * j] >= 0 ? lm.data.user_ids.find_text(std::to_string(all_ids[2 * j])) : std::nullopt;
      const auto i = all_ids[2 * j + 1] >= 0 ? lm.data.item_ids.find_text(std::to_string(all_ids[2 * j + 1]))
                                             : std::nullopt;
      pairs.push_back({u ? *u : -1, i ? *i : -1, all_actual[j]});
    }
    const auto p = lm.model->predict(self, lm.data, pairs);
    math::ErrorSums err;
    for (size_t j = 0; j < p.size(); ++j) err.add(p[j], pairs[j].value);
    EXPECT_NEAR(err.rmse(), train_rmse, 1e-9);
  });
}

}  // namespace

namespace {

// Fold-in is the user half-step of training: a user's folded-in vector from
// their own training ratings is the exact minimiser against the model's item
// side (a dense solve here, 1e-9 relative), and bitwise the same at any rank
// count (the 1-process fold-in of the same model).
TEST(ModelFoldIn, IsTheUserHalfStepAtAnyRankCount) {
  auto comm = dist::Communicator::world();
  hpcrec::testing::SharedTempDir dir(comm);
  write_files(comm, dir);
  for (const std::string algo : {"als", "ials"}) {
    app::TrainOptions o = options_for(algo, dir);
    o.model = dir.file(algo + ".h5");
    app::Report report(comm, "", false);
    auto f = fit(comm, o, report);
    app::save_model_file(comm, o.model, *f->model, f->data, {});
    app::LoadedModel lm = app::load_model_file(comm, o.model, 1);
    const auto& model = dynamic_cast<const app::FactorModel&>(*lm.model);
    // Every rank folds in its own users from their training ratings.
    const app::FactorModel::Folded folded = model.fold_in(comm, lm.data, lm.data.by_user);
    std::vector<double> mine;
    for (Index r = 0; r < folded.factors.rows(); ++r) {
      for (Index c = 0; c < folded.factors.cols(); ++c) mine.push_back(folded.factors(r, c));
      mine.push_back(folded.bias[r]);
    }
    const std::vector<double> all = comm.allgatherv<double>(mine);
    dist::collective_phase(comm, [&] {
      if (comm.rank() != 0) return;
      const auto self = dist::Communicator::self();
      app::LoadedModel one = app::load_model_file(self, o.model, 1);
      const auto& m1 = dynamic_cast<const app::FactorModel&>(*one.model);
      const app::FactorModel::Folded ref = m1.fold_in(self, one.data, one.data.by_user);
      const auto rows = *m1.factor_rows();
      const math::Matrix& y = *rows.item_factors;
      const math::Vector& b = *rows.item_bias;
      const Index k = y.cols();
      ASSERT_EQ(all.size(), static_cast<size_t>(one.data.user_ids.size() * (k + 1)));
      double worst = 0;
      for (Index u = 0; u < one.data.user_ids.size(); ++u) {
        for (Index c = 0; c < k; ++c)
          EXPECT_EQ(all[u * (k + 1) + c], ref.factors(u, c)) << algo << ": not bitwise at " << comm.size();
        EXPECT_EQ(all[u * (k + 1) + k], ref.bias[u]) << algo;
        // The exact minimiser, by a dense solve of the user's normal equation.
        const auto items = one.data.by_user.row_cols(u);
        const auto values = one.data.by_user.row_values(u);
        math::Vector w;
        if (algo == "als") {
          const double s = static_cast<double>(items.size());
          math::Matrix a = math::Matrix::Zero(k + 1, k + 1);
          math::Vector rhs = math::Vector::Zero(k + 1);
          for (size_t j = 0; j < items.size(); ++j) {
            math::Vector z(k + 1);
            z << y.row(items[j]).transpose(), 1.0;
            a += z * z.transpose();
            rhs += z * (values[j] - one.data.global_mean - b[items[j]]);
          }
          for (Index c = 0; c < k; ++c) a(c, c) += o.als.lambda * s;
          a(k, k) += o.als.bias_lambda * s;
          w = a.ldlt().solve(rhs);
          w.conservativeResize(k + 1);
        } else {
          math::Matrix a = y.transpose() * y;
          a.diagonal().array() += o.ials.kernel.lambda;
          math::Vector rhs = math::Vector::Zero(k);
          for (size_t j = 0; j < items.size(); ++j) {
            const double wj = o.ials.kernel.alpha * values[j];
            a += wj * y.row(items[j]).transpose() * y.row(items[j]);
            rhs += (1 + wj) * y.row(items[j]).transpose();
          }
          w = math::Vector::Zero(k + 1);
          w.head(k) = a.ldlt().solve(rhs);
        }
        for (Index c = 0; c <= k; ++c) {
          const double got = c < k ? ref.factors(u, c) : ref.bias[u];
          worst = std::max(worst, std::abs(got - w[c]) / std::max(1.0, w.norm()));
        }
      }
      EXPECT_LT(worst, 1e-9) << algo << ": fold-in is not the exact user solve";
    });
  }
}

}  // namespace
