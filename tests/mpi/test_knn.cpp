// Distributed KNN, run by ctest at 1, 2, 3 and 4 ranks: neighbours,
// baselines, predictions and top-N equal to a single-process computation of
// the same definitions; the checkerboard; MovieLens 100K u1 (when present).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <tuple>

#include "mpi/distribute.hpp"
#include "mpi/knn_driver.hpp"
#include "src/rng.hpp"

using namespace hpcrec;
using dist::Communicator;
using math::Index;
using math::Neighbor;
using math::Offset;
using math::Rating;

namespace {

// One rank's share of a matrix, distributed like app::load_training_data does.
struct Local {
  dist::BlockPartition users, items;
  math::CsrBlock by_user, by_item;
  dist::KnnMatrix matrix() const { return {&by_user, &by_item, users, items}; }
};

Local distribute(const Communicator& comm, const std::vector<Rating>& all, Index n_users, Index n_items) {
  std::vector<Rating> mine;
  for (size_t k = comm.rank(); k < all.size(); k += comm.size()) mine.push_back(all[k]);
  std::vector<Index> u_keys, i_keys;
  for (auto& r : mine) {
    u_keys.push_back(r.user);
    i_keys.push_back(r.item);
  }
  Local l;
  l.users = dist::BlockPartition::balanced(dist::global_row_counts(comm, u_keys, n_users), comm.size(), 8);
  l.items = dist::BlockPartition::balanced(dist::global_row_counts(comm, i_keys, n_items), comm.size(), 8);
  auto at_users = dist::shuffle_ratings(comm, mine, l.users, false);
  auto at_items = dist::shuffle_ratings(comm, mine, l.items, true);
  const int r = comm.rank();
  l.by_user = math::build_csr(at_users, l.users.first(r), l.users.count(r), false);
  l.by_item = math::build_csr(at_items, l.items.first(r), l.items.count(r), true);
  return l;
}

constexpr Index kUsers = 41, kItems = 29;

// Uneven rows, user 5 and item 7 without ratings, item 11 constant, item 13
// rated by one user only.
std::vector<Rating> synthetic() {
  std::vector<Rating> all;
  for (Index u = 0; u < kUsers; ++u) {
    if (u == 5) continue;
    for (Index i = 0; i < kItems; ++i) {
      if (i == 7 || (i == 13 && u != 3)) continue;
      const double x = math::uniform01(5, 17, static_cast<std::uint64_t>(u) * 1000 + i);
      if (x < 0.3 + 0.3 * (u % 4 == 0) || i == 13) {
        const float v =
            i == 11 ? 4.f : static_cast<float>(1 + std::floor(math::uniform01(6, 1, u * 77 + i) * 5));
        all.push_back({u, i, v});
      }
    }
  }
  return all;
}

std::vector<Rating> synthetic_test() {
  std::vector<Rating> t;
  for (Index u = 0; u < kUsers; ++u)
    for (Index i = 0; i < kItems; ++i)
      if (math::uniform01(8, 3, u * 1000 + i) < 0.15)
        t.push_back({u, i, static_cast<float>(1 + (u + i) % 5)});
  t.push_back({-1, 3, 4.f});
  t.push_back({2, -1, 2.f});
  t.push_back({-1, -1, 3.f});
  return t;
}

// Single-process definitions over the whole matrix.
struct Serial {
  math::CsrBlock by_user, by_item;
  dist::KnnBaselines base;
};

Serial serial_baselines(const std::vector<Rating>& all, Index n_users, Index n_items, double mu) {
  Serial s;
  s.by_user = math::build_csr(all, 0, n_users, false);
  s.by_item = math::build_csr(all, 0, n_items, true);
  s.base.mu = mu;
  s.base.user_bias = math::Vector::Zero(n_users);
  s.base.item_bias = math::Vector::Zero(n_items);
  for (int sweep = 0; sweep < 10; ++sweep) {
    for (Index i = 0; i < n_items; ++i) {
      double acc = 0;
      auto c = s.by_item.row_cols(i);
      auto v = s.by_item.row_values(i);
      for (size_t k = 0; k < c.size(); ++k) acc += v[k] - mu - s.base.user_bias[c[k]];
      s.base.item_bias[i] = acc / (10.0 + static_cast<double>(c.size()));
    }
    for (Index u = 0; u < n_users; ++u) {
      double acc = 0;
      auto c = s.by_user.row_cols(u);
      auto v = s.by_user.row_values(u);
      for (size_t k = 0; k < c.size(); ++k) acc += v[k] - mu - s.base.item_bias[c[k]];
      s.base.user_bias[u] = acc / (15.0 + static_cast<double>(c.size()));
    }
  }
  return s;
}

std::vector<double> means(const math::CsrBlock& b) {
  std::vector<double> out(b.rows(), 0.0);
  for (Index r = 0; r < b.rows(); ++r) {
    double s = 0;
    for (float v : b.row_values(r)) s += v;
    if (b.row_nnz(r)) out[r] = s / static_cast<double>(b.row_nnz(r));
  }
  return out;
}

math::NeighborLists serial_neighbors(const Serial& s, const dist::KnnOptions& o) {
  const bool items = o.on == dist::KnnOn::kItems;
  const math::CsrBlock& rows = items ? s.by_item : s.by_user;
  const math::CsrBlock& other = items ? s.by_user : s.by_item;
  const math::Vector& rb = items ? s.base.item_bias : s.base.user_bias;
  const math::Vector& cb = items ? s.base.user_bias : s.base.item_bias;
  std::vector<Index> ids(other.rows());
  for (Index k = 0; k < other.rows(); ++k) ids[k] = k;
  std::vector<double> row_bias(rb.data(), rb.data() + rb.size()), col_bias(cb.data(), cb.data() + cb.size());
  std::vector<double> col_mean = means(other);
  math::Centering c;
  c.mu = s.base.mu;
  c.row_bias = row_bias;
  c.col_ids = ids;
  c.col_values = o.similarity.kind == math::SimilarityKind::kAdjustedCosine ? col_mean : col_bias;
  const math::SparseRows prepared = math::prepare_rows(rows, o.similarity.kind, c);
  std::vector<math::NeighborHeap> heaps(rows.rows(), math::NeighborHeap(o.similarity.neighbors));
  math::accumulate_neighbors(prepared, prepared, o.similarity, heaps, 1);
  return math::to_neighbor_lists(0, heaps);
}

// All ranks' lists, as (row, neighbour) per row.
std::vector<std::vector<Neighbor>> gather_lists(const Communicator& comm, const math::NeighborLists& l) {
  struct Flat {
    Index row;
    Neighbor n;
  };
  std::vector<Flat> mine;
  for (Index r = 0; r < l.rows(); ++r)
    for (const auto& n : l.row(r)) mine.push_back({l.first_row + r, n});
  std::vector<Flat> all = comm.allgatherv<Flat>(mine);
  Index rows = 0;
  for (auto& f : all) rows = std::max(rows, f.row + 1);
  std::vector<std::vector<Neighbor>> out(rows);
  for (auto& f : all) out[f.row].push_back(f.n);  // rank order = row order, each row best first
  return out;
}

double serial_predict(const Serial& s, const math::NeighborLists& nb, const dist::KnnOptions& o,
                      const dist::PredictOptions& p, const Rating& r) {
  const bool items = o.on == dist::KnnOn::kItems;
  const Index oid = items ? r.user : r.item, sid = items ? r.item : r.user;
  const math::CsrBlock& orows = items ? s.by_user : s.by_item;
  const math::CsrBlock& srows = items ? s.by_item : s.by_user;
  const math::Vector& ob = items ? s.base.user_bias : s.base.item_bias;
  const math::Vector& sb = items ? s.base.item_bias : s.base.user_bias;
  const std::vector<double> smeans = means(srows);
  auto s_off = [&](Index x) {
    return p.mean == dist::KnnMean::kBaseline ? sb[x] : p.mean == dist::KnnMean::kMean ? smeans[x] : 0.0;
  };
  const double o_off = oid >= 0 && p.mean == dist::KnnMean::kBaseline ? s.base.mu + ob[oid] : 0.0;
  double pred = p.mean == dist::KnnMean::kBaseline
                    ? (oid >= 0 ? o_off : s.base.mu) + (sid >= 0 ? sb[sid] : 0.0)
                : p.mean == dist::KnnMean::kMean ? (sid >= 0 ? smeans[sid] : s.base.mu)
                                                 : s.base.mu;
  if (oid >= 0 && sid >= 0) {
    double num = 0, den = 0;
    int used = 0;
    auto cols = orows.row_cols(oid);
    auto vals = orows.row_values(oid);
    for (const auto& n : nb.row(sid)) {
      if (used >= p.k_predict) break;
      auto it = std::lower_bound(cols.begin(), cols.end(), n.id);
      if (it == cols.end() || *it != n.id) continue;
      num += n.sim * (vals[it - cols.begin()] - (o_off + s_off(n.id)));
      den += std::abs(n.sim);
      ++used;
    }
    if (den > 0) pred = o_off + s_off(sid) + num / den;
  }
  return math::clip(pred, p.clip_min, p.clip_max);
}

double mean_of(const std::vector<Rating>& all) {
  double s = 0;
  for (auto& r : all) s += r.value;
  return s / static_cast<double>(all.size());
}

const math::SimilarityKind kKinds[] = {math::SimilarityKind::kCosine, math::SimilarityKind::kPearson,
                                       math::SimilarityKind::kAdjustedCosine, math::SimilarityKind::kJaccard,
                                       math::SimilarityKind::kPearsonBaseline};

}  // namespace

TEST(Knn, BaselinesEqualSerial) {
  Communicator comm = Communicator::world();
  const auto all = synthetic();
  const double mu = mean_of(all);
  Local l = distribute(comm, all, kUsers, kItems);
  dist::KnnBaselines b = dist::fit_baselines(comm, l.matrix(), mu);
  Serial s = serial_baselines(all, kUsers, kItems, mu);
  for (Index u = 0; u < l.by_user.rows(); ++u)
    EXPECT_EQ(b.user_bias[u], s.base.user_bias[l.by_user.first_row + u]);
  for (Index i = 0; i < l.by_item.rows(); ++i)
    EXPECT_EQ(b.item_bias[i], s.base.item_bias[l.by_item.first_row + i]);
}

TEST(Knn, NeighborsPredictionsTopNEqualSerial) {
  Communicator comm = Communicator::world();
  const auto all = synthetic();
  const double mu = mean_of(all);
  Local l = distribute(comm, all, kUsers, kItems);
  const dist::KnnMatrix m = l.matrix();
  const dist::KnnBaselines base = dist::fit_baselines(comm, m, mu);
  const Serial s = serial_baselines(all, kUsers, kItems, mu);
  // This rank's share of the test ratings.
  std::vector<Rating> test_all = synthetic_test(), test_mine;
  for (size_t k = comm.rank(); k < test_all.size(); k += comm.size()) test_mine.push_back(test_all[k]);

  for (dist::KnnOn on : {dist::KnnOn::kItems, dist::KnnOn::kUsers}) {
    for (math::SimilarityKind kind : kKinds) {
      dist::KnnOptions o;
      o.on = on;
      o.similarity.kind = kind;
      o.similarity.neighbors = 6;
      o.similarity.shrink = 2;
      o.similarity.positive_only = kind == math::SimilarityKind::kPearsonBaseline;
      o.threads = 2;
      SCOPED_TRACE(std::string(on == dist::KnnOn::kItems ? "items " : "users ") +
                   math::similarity_name(kind));
      const math::NeighborLists nb = dist::compute_neighbors(comm, m, base, o);
      const math::NeighborLists want = serial_neighbors(s, o);
      auto got = gather_lists(comm, nb);
      got.resize(want.rows());
      for (Index r = 0; r < want.rows(); ++r) {
        auto w = want.row(r);
        ASSERT_EQ(got[r].size(), w.size()) << "row " << r;
        for (size_t j = 0; j < w.size(); ++j) {
          EXPECT_EQ(got[r][j].id, w[j].id);
          EXPECT_EQ(got[r][j].sim, w[j].sim);
          EXPECT_EQ(got[r][j].support, w[j].support);
        }
      }

      for (dist::KnnMean mean : {dist::KnnMean::kBaseline, dist::KnnMean::kMean, dist::KnnMean::kNone}) {
        dist::PredictOptions p{mean, 3, 1.0, 5.0};
        auto preds = dist::predict_knn(comm, m, base, nb, o, test_mine, p);
        struct P {
          Index u, i;
          float v;
          double pred;
        };
        std::vector<P> flat;
        for (auto& x : preds) flat.push_back({x.rating.user, x.rating.item, x.rating.value, x.predicted});
        auto everything = comm.allgatherv<P>(flat);
        ASSERT_EQ(everything.size(), test_all.size());
        std::sort(everything.begin(), everything.end(),
                  [](const P& a, const P& b) { return std::tie(a.u, a.i) < std::tie(b.u, b.i); });
        std::vector<Rating> sorted_test = test_all;
        std::sort(sorted_test.begin(), sorted_test.end(), [](const Rating& a, const Rating& b) {
          return std::tie(a.user, a.item) < std::tie(b.user, b.item);
        });
        for (size_t k = 0; k < sorted_test.size(); ++k) {
          ASSERT_EQ(everything[k].u, sorted_test[k].user);
          ASSERT_EQ(everything[k].i, sorted_test[k].item);
          EXPECT_EQ(everything[k].pred, serial_predict(s, want, o, p, sorted_test[k]))
              << sorted_test[k].user << "," << sorted_test[k].item;
        }
        math::ErrorSums e = dist::evaluate_knn(comm, m, base, nb, o, test_mine, p);
        EXPECT_EQ(e.count, static_cast<std::int64_t>(test_all.size()));
      }

      // Top-N against the serial kernel over the whole matrix.
      auto top = dist::knn_top_n(comm, m, nb, o, 4);
      math::SparseRows own, vis;
      if (on == dist::KnnOn::kItems) {
        own = math::to_sparse_rows(s.by_user, true);
        vis = math::neighbor_rows(want);
      } else {
        own = math::neighbor_rows(want);
        vis = math::to_sparse_rows(s.by_item, true);
      }
      std::vector<std::span<const Index>> ex(kUsers);
      for (Index u = 0; u < kUsers; ++u) ex[u] = s.by_user.row_cols(u);
      std::vector<math::TopNHeap> heaps(kUsers, math::TopNHeap(4));
      math::accumulate_scores(own, vis, ex, heaps, 1);
      for (Index u = 0; u < l.by_user.rows(); ++u) {
        auto w = heaps[l.by_user.first_row + u].sorted();
        ASSERT_EQ(top[u].size(), w.size());
        for (size_t j = 0; j < w.size(); ++j) {
          EXPECT_EQ(top[u][j].item, w[j].item);
          EXPECT_EQ(top[u][j].score, w[j].score);
        }
      }
    }
  }
}

// Users 0..15 like items 0..9, users 16..31 items 10..19; each rates about
// 60% of their half. Item- and user-based KNN recommend from the own half.
TEST(Knn, Checkerboard) {
  Communicator comm = Communicator::world();
  constexpr Index users = 32, items = 20;
  std::vector<Rating> all;
  for (Index u = 0; u < users; ++u) {
    const Index half = u < 16 ? 0 : 10;
    for (Index i = half; i < half + 10; ++i)
      if (math::uniform01(11, 2, u * 100 + i) < 0.6) all.push_back({u, i, 4.f + (u + i) % 2});
  }
  Local l = distribute(comm, all, users, items);
  const dist::KnnMatrix m = l.matrix();
  const dist::KnnBaselines base = dist::fit_baselines(comm, m, mean_of(all));
  for (dist::KnnOn on : {dist::KnnOn::kItems, dist::KnnOn::kUsers}) {
    dist::KnnOptions o;
    o.on = on;
    o.similarity.kind = math::SimilarityKind::kCosine;
    o.similarity.neighbors = 10;
    auto nb = dist::compute_neighbors(comm, m, base, o);
    auto top = dist::knn_top_n(comm, m, nb, o, 3);
    for (Index u = 0; u < l.by_user.rows(); ++u) {
      const Index gu = l.by_user.first_row + u;
      auto seen = l.by_user.row_cols(u);
      if (seen.size() < 10) {  // unseen items left in the half
        EXPECT_FALSE(top[u].empty()) << gu;
      }
      for (const auto& s : top[u]) {
        EXPECT_EQ(s.item < 10, gu < 16) << "user " << gu << " got item " << s.item;
        EXPECT_FALSE(std::binary_search(seen.begin(), seen.end(), s.item));
      }
    }
  }
}

namespace {

// u1.base/u1.test as dense ids (sorted original ids; test ids unknown to
// training are -1).
bool read_movielens(std::vector<Rating>& train, std::vector<Rating>& test, Index& n_users, Index& n_items) {
  const std::string dir = std::string(HPCREC_SHARED_DATA) + "/ml-100k/";
  std::ifstream fb(dir + "u1.base"), ft(dir + "u1.test");
  if (!fb || !ft) return false;
  struct Raw {
    long u, i;
    float r;
  };
  auto read = [](std::ifstream& f) {
    std::vector<Raw> out;
    long u, i, ts;
    float r;
    while (f >> u >> i >> r >> ts) out.push_back({u, i, r});
    return out;
  };
  auto base = read(fb), tst = read(ft);
  std::map<long, Index> um, im;
  for (auto& x : base) um[x.u], im[x.i];
  Index k = 0;
  for (auto& [id, d] : um) d = k++;
  n_users = k;
  k = 0;
  for (auto& [id, d] : im) d = k++;
  n_items = k;
  for (auto& x : base) train.push_back({um[x.u], im[x.i], x.r});
  for (auto& x : tst) {
    auto a = um.find(x.u);
    auto b = im.find(x.i);
    test.push_back({a == um.end() ? -1 : a->second, b == im.end() ? -1 : b->second, x.r});
  }
  return true;
}

}  // namespace

// Item-based KNNBaseline, pearson-baseline, shrinkage 100, k = 40, positive
// similarities only, on u1.base -> u1.test: RMSE <= 0.940 (numpy: 0.936).
TEST(Knn, MovieLens100kU1) {
  std::vector<Rating> train, test;
  Index n_users = 0, n_items = 0;
  if (!read_movielens(train, test, n_users, n_items))
    GTEST_SKIP() << "no " HPCREC_SHARED_DATA "/ml-100k/u1.*";
  Communicator comm = Communicator::world();
  Local l = distribute(comm, train, n_users, n_items);
  const dist::KnnMatrix m = l.matrix();
  const dist::KnnBaselines base = dist::fit_baselines(comm, m, mean_of(train));
  std::vector<Rating> mine;
  for (size_t k = comm.rank(); k < test.size(); k += comm.size()) mine.push_back(test[k]);
  dist::PredictOptions p{dist::KnnMean::kBaseline, 40, 1.0, 5.0};
  const math::ErrorSums b =
      dist::evaluate_knn(comm, m, base, {}, {}, mine, {dist::KnnMean::kBaseline, 0, 1, 5});
  for (int stored : {0, 400, 40}) {
    dist::KnnOptions o;
    o.similarity.kind = math::SimilarityKind::kPearsonBaseline;
    o.similarity.shrink = 100;
    o.similarity.neighbors = stored;
    o.similarity.positive_only = true;
    o.threads = 1;
    dist::KnnStats st;
    const math::NeighborLists nb = dist::compute_neighbors(comm, m, base, o, &st);
    const math::ErrorSums e = dist::evaluate_knn(comm, m, base, nb, o, mine, p);
    if (comm.rank() == 0) {
      std::printf(
          "ml-100k u1 item KNNBaseline pearson-baseline shrink 100 k_predict 40 stored %d: RMSE %.4f MAE "
          "%.4f "
          "(baseline only %.4f), similarity %.3f s at %d ranks\n",
          stored, e.rmse(), e.mae(), b.rmse(), st.seconds, comm.size());
    }
    EXPECT_EQ(e.count, 20000);
    if (stored == 0) {
      EXPECT_LE(e.rmse(), 0.940);
    }
  }
}
