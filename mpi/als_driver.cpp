#include "mpi/als_driver.hpp"

#include <algorithm>
#include <span>
#include <stdexcept>

#include "mpi/distribute.hpp"
#include "src/rng.hpp"

namespace hpcrec::dist {

void plan_side(const Communicator& comm, AlsSide& side, const BlockPartition& other,
               const std::vector<Index>& extra_needed) {
  std::vector<Index> needed(side.ratings.cols);
  needed.insert(needed.end(), extra_needed.begin(), extra_needed.end());
  std::sort(needed.begin(), needed.end());
  needed.erase(std::unique(needed.begin(), needed.end()), needed.end());
  side.plan = RoutingPlan::build(comm, std::move(needed), other);
  side.plan.localize(side.ratings.cols);
  side.planned = true;
}

math::CsrBlock AlsSide::release_global_ratings() {
  math::CsrBlock out = std::move(ratings);
  ratings = math::CsrBlock{};
  if (planned)
    for (Index& c : out.cols) c = plan.needed()[c];
  planned = false;
  return out;
}

math::CsrBlock AlsSide::global_ratings() const {
  math::CsrBlock out = ratings;
  if (planned)
    for (Index& c : out.cols) c = plan.needed()[c];
  return out;
}

TestSet place_test_ratings(const Communicator& comm, const std::vector<Rating>& test,
                           const BlockPartition& users, const BlockPartition& items) {
  std::vector<Rating> by_item, by_user;
  TestSet out;
  for (const Rating& r : test) {
    if (r.item >= 0) {
      by_item.push_back(r);
    } else if (r.user >= 0) {
      by_user.push_back(r);
    } else {
      out.unknown.push_back(r);
    }
  }
  out.at_item_owner = shuffle_ratings(comm, by_item, items, /*by_item=*/true);
  out.at_user_owner = shuffle_ratings(comm, by_user, users, /*by_item=*/false);
  return out;
}

ExplicitAls::ExplicitAls(const Communicator& comm, AlsSide users, AlsSide items, TestSet test,
                         double global_mean, const ExplicitAlsOptions& options)
    : comm_(comm),
      users_(std::move(users)),
      items_(std::move(items)),
      test_(std::move(test)),
      mu_(global_mean),
      options_(options) {
  test_local_users_ = start_explicit_sides(comm_, users_, items_, test_, options_.factors, options_.seed,
                                           options_.init_scale);
}

std::vector<Index> start_explicit_sides(const Communicator& comm, AlsSide& users, AlsSide& items,
                                        const TestSet& test, int k, std::uint64_t seed, double init_scale) {
  std::vector<Index> test_users;
  for (const Rating& r : test.at_item_owner)
    if (r.user >= 0) test_users.push_back(r.user);
  plan_side(comm, users, items.part);
  plan_side(comm, items, users.part, test_users);
  std::vector<Index> local;
  local.reserve(test.at_item_owner.size());
  for (const Rating& r : test.at_item_owner)
    local.push_back(r.user >= 0 ? items.plan.local_column(r.user) : -1);
  users.factors = math::Matrix::Zero(users.rows(), k);
  users.bias = math::Vector::Zero(users.rows());
  items.factors.resize(items.rows(), k);
  items.bias = math::Vector::Zero(items.rows());
  for (Index r = 0; r < items.rows(); ++r) {
    math::init_factor_row(seed, math::RngStream::kItemFactors, static_cast<std::uint64_t>(items.first() + r),
                          std::span<double>(items.factors.row(r).data(), k), init_scale);
  }
  return local;
}

void ExplicitAls::restore(int iterations_done, math::Matrix user_factors, math::Vector user_bias,
                          math::Matrix item_factors, math::Vector item_bias) {
  const Index k = options_.factors;
  if (iterations_done < 0 || user_factors.rows() != users_.rows() || user_bias.size() != users_.rows() ||
      item_factors.rows() != items_.rows() || item_bias.size() != items_.rows() ||
      (users_.rows() > 0 && user_factors.cols() != k) || (items_.rows() > 0 && item_factors.cols() != k)) {
    throw std::invalid_argument("ExplicitAls::restore: state does not match this rank's rows and factors");
  }
  iteration_ = iterations_done;
  users_.factors = std::move(user_factors);
  users_.bias = std::move(user_bias);
  items_.factors = std::move(item_factors);
  items_.bias = std::move(item_bias);
  users_.factors.conservativeResize(users_.rows(), k);
  items_.factors.conservativeResize(items_.rows(), k);
}

double ExplicitAls::half_step(AlsSide& solve, const AlsSide& other, math::Matrix& gathered,
                              const std::optional<std::vector<Index>>& only, double& flops,
                              math::ExactErrorSums* train_errors) {
  const int k = options_.factors;
  solve.plan.exchange_into(comm_, other.factors, &other.bias, gathered);
  math::CsrView view{solve.ratings.indptr, solve.ratings.cols, solve.ratings.values};
  math::ExplicitAlsConfig cfg;
  cfg.lambda = options_.lambda;
  cfg.bias_lambda = options_.bias_lambda;
  cfg.weighted_lambda = options_.weighted_lambda;
  cfg.global_mean = mu_;
  cfg.threads = options_.threads;
  cfg.solver = options_.solver;
  cfg.cg_steps = options_.cg_steps;
  cfg.mirror_storage = &mirror_;
  cfg.train_errors = train_errors;
  cfg.clip_min = options_.clip_min;
  cfg.clip_max = options_.clip_max;
  const double t0 = MPI_Wtime();
  auto rows = [&](const math::CsrView& v, math::Matrix& f, math::Vector& b) {
    math::solve_explicit_rows(v, gathered.leftCols(k), gathered.col(k), cfg, f, b);
    flops += math::explicit_rows_flops(v, k, cfg);
  };
  if (only)
    solve_some_rows(solve, *only, rows);
  else
    rows(view, solve.factors, solve.bias);
  return MPI_Wtime() - t0;
}

void ExplicitAls::evaluate(const math::Matrix& gathered_users, IterationStats& stats,
                           const math::ExactErrorSums* train) const {
  const int k = options_.factors;
  auto predict = [&](double dot_bias) {
    return math::clip(mu_ + dot_bias, options_.clip_min, options_.clip_max);
  };
  if (train) {
    stats.train = {train->squared.value(), train->absolute.value(), train->count};
  } else {
    // Train error at the item owners: gathered users are this iteration's.
    for (Index row = 0; row < items_.rows(); ++row) {
      const auto y = items_.factors.row(row);
      for (Offset e = items_.ratings.indptr[row]; e < items_.ratings.indptr[row + 1]; ++e) {
        const Index u = items_.ratings.cols[e];
        const double s = gathered_users(u, k) + items_.bias[row] + gathered_users.row(u).head(k).dot(y);
        stats.train.add(predict(s), items_.ratings.values[e]);
      }
    }
  }
  for (size_t t = 0; t < test_.at_item_owner.size(); ++t) {
    const Rating& r = test_.at_item_owner[t];
    const Index row = r.item - items_.first();
    double s = items_.bias[row];
    if (const Index u = test_local_users_[t]; u >= 0) {
      s += gathered_users(u, k) + gathered_users.row(u).head(k).dot(items_.factors.row(row));
    }
    stats.test.add(predict(s), r.value);
  }
  for (const Rating& r : test_.at_user_owner)
    stats.test.add(predict(users_.bias[r.user - users_.first()]), r.value);
  for (const Rating& r : test_.unknown) stats.test.add(predict(0.0), r.value);
}

IterationCost reduce_cost(const Communicator& comm, double t0, double solve_seconds, double flops,
                          const AlsSide& users, const AlsSide& items, int width) {
  IterationCost cost;
  cost.flops = comm.allreduce<double>(flops, MPI_SUM);
  cost.bytes_exchanged = comm.allreduce<Offset>(
      users.plan.bytes_sent(width, comm.rank()) + items.plan.bytes_sent(width, comm.rank()), MPI_SUM);
  cost.solve_seconds = comm.allreduce<double>(solve_seconds, MPI_MAX);
  cost.seconds = comm.allreduce<double>(MPI_Wtime() - t0, MPI_MAX);
  return cost;
}

void reduce_errors(const Communicator& comm, IterationStats& stats) {
  double sums[6] = {stats.train.squared, stats.train.absolute, static_cast<double>(stats.train.count),
                    stats.test.squared,  stats.test.absolute,  static_cast<double>(stats.test.count)};
  comm.allreduce_inplace<double>(sums, MPI_SUM);
  stats.train = {sums[0], sums[1], static_cast<std::int64_t>(sums[2])};
  stats.test = {sums[3], sums[4], static_cast<std::int64_t>(sums[5])};
}

IterationStats ExplicitAls::current_stats() {
  IterationStats stats;
  stats.iteration = iteration_;
  // What the item half-step would have gathered: the current user rows.
  items_.plan.exchange_into(comm_, users_.factors, &users_.bias, gathered_users_);
  evaluate(gathered_users_, stats);
  reduce_errors(comm_, stats);
  return stats;
}

IterationStats ExplicitAls::iterate() {
  const double t0 = MPI_Wtime();
  IterationStats stats;
  stats.iteration = ++iteration_;
  math::Matrix& gathered_items = gathered_items_;
  math::Matrix& gathered_users = gathered_users_;
  double flops = 0;
  double solve = half_step(users_, items_, gathered_items, only_users_, flops);
  // CG sums the training error while each item's raters are gathered.
  const bool fused = options_.solver == math::SolverKind::kConjugateGradient && !only_items_;
  math::ExactErrorSums train;
  solve += half_step(items_, users_, gathered_users, only_items_, flops, fused ? &train : nullptr);
  evaluate(gathered_users, stats, fused ? &train : nullptr);
  reduce_errors(comm_, stats);
  static_cast<IterationCost&>(stats) =
      reduce_cost(comm_, t0, solve, flops, users_, items_, options_.factors + 1);
  return stats;
}

}  // namespace hpcrec::dist
