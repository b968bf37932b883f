// Distributed properties of the ALS pipeline, run by ctest at 1, 2, 3 and 4
// ranks: the routing plan delivers exactly the rows it names, and the
// factors are bitwise equal to a one-rank run of the same data.
#include <gtest/gtest.h>

#include <algorithm>

#include "mpi/als_driver.hpp"
#include "mpi/distribute.hpp"
#include "mpi/ials_driver.hpp"
#include "src/rng.hpp"

using namespace hpcrec;
using dist::Communicator;
using math::Index;
using math::Rating;

namespace {

constexpr Index kUsers = 37, kItems = 23;

// A deterministic sparse matrix with uneven rows, one empty user (5) and one
// rating-less item (7), spread over the ranks by taking every p-th rating.
std::vector<Rating> my_ratings(int rank, int ranks) {
  std::vector<Rating> all;
  for (Index u = 0; u < kUsers; ++u) {
    if (u == 5) continue;
    for (Index i = 0; i < kItems; ++i) {
      if (i == 7) continue;
      const double x = math::uniform01(9, 99, static_cast<std::uint64_t>(u) * 1000 + i);
      if (x < 0.35 + 0.3 * (u % 3 == 0))
        all.push_back({u, i, static_cast<float>(1 + std::floor(x * 13) / 3)});
    }
  }
  std::vector<Rating> mine;
  for (size_t k = rank; k < all.size(); k += ranks) mine.push_back(all[k]);
  return mine;
}

struct Result {
  math::Matrix user_factors, item_factors;  // all rows, gathered
  math::Vector user_bias, item_bias;
};

math::Matrix gather_rows(const Communicator& comm, const math::Matrix& local) {
  std::vector<double> flat(local.data(), local.data() + local.size());
  std::vector<double> all = comm.allgatherv<double>(flat);
  math::Matrix out(static_cast<Eigen::Index>(all.size() / local.cols()), local.cols());
  std::copy(all.begin(), all.end(), out.data());
  return out;
}

enum class Kind { kExplicit, kImplicitCg, kImplicitCholesky };

// update --scope touched's rows: users u % 3 == 1, items i % 2 == 0.
bool touched_user(Index u) { return u % 3 == 1; }
bool touched_item(Index i) { return i % 2 == 0; }

// Four iterations; with `some_rows`, the last two solve only the touched
// rows (solve_only), and `halfway` gets the state after the first two.
Result train(const Communicator& comm, int threads, Kind kind = Kind::kExplicit, bool some_rows = false,
             Result* halfway = nullptr) {
  std::vector<Rating> mine = my_ratings(comm.rank(), comm.size());
  std::vector<Index> u_keys, i_keys;
  for (auto& r : mine) {
    u_keys.push_back(r.user);
    i_keys.push_back(r.item);
  }
  const int k = 4;
  auto users = dist::BlockPartition::balanced(dist::global_row_counts(comm, u_keys, kUsers), comm.size(), k);
  auto items = dist::BlockPartition::balanced(dist::global_row_counts(comm, i_keys, kItems), comm.size(), k);
  auto at_users = dist::shuffle_ratings(comm, mine, users, false);
  auto at_items = dist::shuffle_ratings(comm, mine, items, true);
  dist::AlsSide us, is;
  us.part = users;
  is.part = items;
  us.ratings = math::build_csr(at_users, users.first(comm.rank()), users.count(comm.rank()), false);
  is.ratings = math::build_csr(at_items, items.first(comm.rank()), items.count(comm.rank()), true);
  auto collect = [&](const auto& model) {
    Result r;
    r.user_factors = gather_rows(comm, model.users().factors);
    r.item_factors = gather_rows(comm, model.items().factors);
    r.user_bias = gather_rows(comm, model.users().bias.transpose().eval().transpose()).col(0);
    r.item_bias = gather_rows(comm, model.items().bias.transpose().eval().transpose()).col(0);
    return r;
  };
  auto limit = [&](auto& model, int it) {
    if (!some_rows || it != 2) return;
    if (halfway) *halfway = collect(model);
    std::vector<Index> u_rows, i_rows;
    for (Index r = 0; r < model.users().rows(); ++r)
      if (touched_user(model.users().first() + r)) u_rows.push_back(r);
    for (Index r = 0; r < model.items().rows(); ++r)
      if (touched_item(model.items().first() + r)) i_rows.push_back(r);
    model.solve_only(u_rows, i_rows);
  };
  if (kind == Kind::kExplicit) {
    dist::ExplicitAlsOptions o;
    o.factors = k;
    o.lambda = 0.05;
    o.threads = threads;
    dist::ExplicitAls als(comm, std::move(us), std::move(is), {}, 3.0, o);
    for (int it = 0; it < 4; ++it) {
      limit(als, it);
      als.iterate();
    }
    return collect(als);
  }
  dist::ImplicitAlsOptions o;
  o.factors = k;
  o.kernel.lambda = 0.1;
  o.kernel.alpha = 2.0;
  o.kernel.threads = threads;
  o.kernel.solver =
      kind == Kind::kImplicitCg ? math::SolverKind::kConjugateGradient : math::SolverKind::kCholesky;
  dist::ImplicitAls ials(comm, std::move(us), std::move(is), o);
  double previous = 1e300;
  for (int it = 0; it < 4; ++it) {
    limit(ials, it);
    const double loss = ials.iterate().loss;
    if (kind == Kind::kImplicitCholesky) {
      EXPECT_LE(loss, previous * (1 + 1e-12)) << "exact ALS never increases the loss";
    }
    previous = loss;
  }
  return collect(ials);
}

bool bitwise_equal(const math::Matrix& a, const math::Matrix& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() && std::equal(a.data(), a.data() + a.size(), b.data());
}

}  // namespace

TEST(Routing, ExchangeDeliversExactlyThePlannedRows) {
  auto comm = Communicator::world();
  const auto items = dist::BlockPartition::even(kItems, comm.size());
  // Each rank needs a different, rank-dependent set of items.
  std::vector<Index> needed;
  for (Index i = 0; i < kItems; ++i)
    if ((i + comm.rank()) % 3 != 0) needed.push_back(i);
  auto plan = dist::RoutingPlan::build(comm, needed, items);
  // Own rows carry their global id, so the gathered block names its rows.
  const Index first = items.first(comm.rank());
  math::Matrix own(items.count(comm.rank()), 2);
  for (Index r = 0; r < own.rows(); ++r) own.row(r) << first + r, -(first + r);
  math::Matrix got = plan.exchange(comm, own);  // no bias column
  ASSERT_EQ(got.rows(), static_cast<Eigen::Index>(needed.size()));
  for (size_t j = 0; j < needed.size(); ++j) {
    EXPECT_EQ(got(j, 0), needed[j]);
    EXPECT_EQ(got(j, 1), -needed[j]);
    EXPECT_EQ(plan.local_column(needed[j]), static_cast<Index>(j));
  }
}

TEST(ExplicitAls, FactorsBitwiseEqualToOneRank) {
  auto world = Communicator::world();
  auto self = Communicator::self();
  Result reference;
  // Rank 0 alone computes the one-rank reference with all ratings.
  if (world.rank() == 0) {
    reference = train(self, 1);
  }
  Result dist1 = train(world, 1);
  Result dist2 = train(world, 2);
  if (world.rank() == 0) {
    EXPECT_TRUE(bitwise_equal(reference.user_factors, dist1.user_factors));
    EXPECT_TRUE(bitwise_equal(reference.item_factors, dist1.item_factors));
    EXPECT_TRUE(bitwise_equal(reference.user_bias, dist1.user_bias));
    EXPECT_TRUE(bitwise_equal(reference.item_bias, dist1.item_bias));
    EXPECT_TRUE(bitwise_equal(dist1.user_factors, dist2.user_factors)) << "1 vs 2 threads";
    EXPECT_TRUE(bitwise_equal(dist1.item_factors, dist2.item_factors)) << "1 vs 2 threads";
    // The empty user has zero factors; the model learned something.
    EXPECT_EQ(reference.user_factors.row(5).norm(), 0.0);
    EXPECT_GT(reference.user_factors.norm(), 0.0);
  }
}

TEST(ImplicitAls, FactorsBitwiseEqualToOneRank) {
  auto world = Communicator::world();
  auto self = Communicator::self();
  for (Kind kind : {Kind::kImplicitCg, Kind::kImplicitCholesky}) {
    Result reference;
    if (world.rank() == 0) reference = train(self, 1, kind);
    Result dist1 = train(world, 1, kind);
    Result dist2 = train(world, 2, kind);
    if (world.rank() == 0) {
      EXPECT_TRUE(bitwise_equal(reference.user_factors, dist1.user_factors));
      EXPECT_TRUE(bitwise_equal(reference.item_factors, dist1.item_factors));
      EXPECT_TRUE(bitwise_equal(dist1.user_factors, dist2.user_factors)) << "1 vs 2 threads";
      EXPECT_TRUE(bitwise_equal(dist1.item_factors, dist2.item_factors)) << "1 vs 2 threads";
      EXPECT_EQ(reference.user_factors.row(5).norm(), 0.0) << "a user without interactions";
      EXPECT_GT(reference.item_factors.norm(), 0.0);
    }
  }
}

// update --scope touched: the rows not solved keep their factors exactly, the
// others move, and the result is bitwise the same at any rank count (each
// row's solve depends only on its ratings and counterparts; the iALS loss
// falls back to the separate pass but still decreases for Cholesky, as
// every solve is an exact block-coordinate minimisation).
TEST(SolveOnly, UntouchedRowsKeepTheirFactorsAtAnyRankCount) {
  auto world = Communicator::world();
  auto self = Communicator::self();
  for (Kind kind : {Kind::kExplicit, Kind::kImplicitCg, Kind::kImplicitCholesky}) {
    Result reference, before;
    if (world.rank() == 0) reference = train(self, 1, kind, true, &before);
    Result dist = train(world, 2, kind, true);
    if (world.rank() != 0) continue;
    EXPECT_TRUE(bitwise_equal(reference.user_factors, dist.user_factors));
    EXPECT_TRUE(bitwise_equal(reference.item_factors, dist.item_factors));
    EXPECT_TRUE(bitwise_equal(reference.user_bias, dist.user_bias));
    EXPECT_TRUE(bitwise_equal(reference.item_bias, dist.item_bias));
    int moved = 0;
    for (Index u = 0; u < kUsers; ++u) {
      const bool same = reference.user_factors.row(u) == before.user_factors.row(u) &&
                        reference.user_bias[u] == before.user_bias[u];
      if (!touched_user(u)) {
        EXPECT_TRUE(same) << "user " << u;
      }
      moved += !same;
    }
    for (Index i = 0; i < kItems; ++i) {
      const bool same = reference.item_factors.row(i) == before.item_factors.row(i);
      if (!touched_item(i)) {
        EXPECT_TRUE(same) << "item " << i;
      }
      moved += !same;
    }
    EXPECT_GT(moved, 10) << "the touched rows were solved";
  }
}
