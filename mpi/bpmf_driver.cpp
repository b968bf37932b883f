#include "mpi/bpmf_driver.hpp"

#include <cmath>
#include <span>
#include <stdexcept>

#include "mpi/exact_reduce.hpp"
#include "src/gram.hpp"
#include "src/rng.hpp"

namespace hpcrec::dist {

namespace {

// x . y in index order: the same bits wherever the rows lie in memory (an
// Eigen reduction may start its packets at an aligned offset).
double dot(const double* x, const double* y, Eigen::Index k) {
  double s = 0;
  for (Eigen::Index j = 0; j < k; ++j) s += x[j] * y[j];
  return s;
}

// The exact moments of a side's rows w = [x, b]: n, sum w, sum w w^T, the
// same on every rank (ExactGram of [w, 1], reduced in integers).
math::RowMoments side_moments(const Communicator& comm, const AlsSide& side) {
  const Eigen::Index k = side.factors.cols(), d = k + 1;
  math::Matrix rows(side.rows(), d + 1);
  if (side.rows() > 0) rows << side.factors, side.bias, math::Vector::Ones(side.rows());
  math::ExactGram gram(static_cast<int>(d + 1));
  math::add_gram_chunks(rows, side.first(), gram);
  std::vector<std::int64_t> limbs = gram.to_limbs();
  comm.allreduce_inplace<std::int64_t>(limbs, MPI_SUM);
  const math::ColMatrix g = math::ExactGram::from_limbs(static_cast<int>(d + 1), limbs).value();
  math::RowMoments m;
  m.n = g(d, d);
  m.sum = g.col(d).head(d);
  m.sum_sq = g.topLeftCorner(d, d);
  return m;
}

}  // namespace

Bpmf::Bpmf(const Communicator& comm, AlsSide users, AlsSide items, TestSet test, double global_mean,
           const BpmfOptions& options)
    : comm_(comm),
      users_(std::move(users)),
      items_(std::move(items)),
      test_(std::move(test)),
      mu_(global_mean),
      options_(options) {
  const int d = options_.factors + 1;
  test_local_users_ = start_explicit_sides(comm_, users_, items_, test_, options_.factors, options_.seed,
                                           options_.init_scale);
  const int cap = options_.kept_capacity();
  kept_users_ = math::Matrix::Zero(users_.rows(), static_cast<Eigen::Index>(cap) * d);
  kept_items_ = math::Matrix::Zero(items_.rows(), static_cast<Eigen::Index>(cap) * d);
  test_sum_item_.assign(test_.at_item_owner.size(), 0.0);
  test_sum_user_.assign(test_.at_user_owner.size(), 0.0);
  test_sum_unknown_.assign(test_.unknown.size(), 0.0);
  train_ratings_ = comm_.allreduce<Offset>(static_cast<Offset>(items_.ratings.nnz()), MPI_SUM);
}

double Bpmf::draw_alpha() {
  if (options_.noise_precision > 0) return options_.noise_precision;
  // alpha | residuals ~ Gamma(a0 + N / 2, rate b0 + SSE / 2), a0 = b0 = 1.
  math::CounterRng rng = math::bpmf_rng(options_.seed, sample_, 2, 1);
  return math::sample_gamma(1.0 + 0.5 * static_cast<double>(train_ratings_), rng) / (1.0 + 0.5 * sse_);
}

void Bpmf::half_step(AlsSide& solve, const AlsSide& other, math::Matrix& gathered, int side, double& flops,
                     double& seconds) {
  const int k = options_.factors, d = k + 1;
  const double alpha = last_alpha_;
  math::CounterRng rng = math::bpmf_rng(options_.seed, sample_, side, 0);
  math::NormalWishartPrior nw;
  nw.beta0 = options_.beta0;
  const math::SideHyper h = math::sample_side_hyper(side_moments(comm_, solve), nw, rng);
  const math::ColMatrix prior = h.precision / alpha;
  const math::Vector prior_rhs = h.precision * h.mean / alpha;
  solve.plan.exchange_into(comm_, other.factors, &other.bias, gathered);
  math::Matrix noise(solve.rows(), d);
  math::fill_row_noise(options_.seed, sample_, side, solve.first(), 1.0 / std::sqrt(alpha), noise);
  math::ExplicitAlsConfig cfg;
  cfg.global_mean = mu_;
  cfg.threads = options_.threads;
  cfg.prior = &prior;
  cfg.prior_rhs = &prior_rhs;
  cfg.noise = &noise;
  const double t0 = MPI_Wtime();
  const math::CsrView view{solve.ratings.indptr, solve.ratings.cols, solve.ratings.values};
  math::solve_explicit_rows(view, gathered.leftCols(k), gathered.col(k), cfg, solve.factors, solve.bias);
  seconds += MPI_Wtime() - t0;
  flops += math::explicit_rows_flops(view, k);
}

void Bpmf::als_half_step(AlsSide& solve, const AlsSide& other, math::Matrix& gathered, double& flops,
                         double& seconds) {
  const int k = options_.factors;
  solve.plan.exchange_into(comm_, other.factors, &other.bias, gathered);
  math::ExplicitAlsConfig cfg;
  cfg.lambda = options_.init_lambda;
  cfg.bias_lambda = options_.init_bias_lambda;
  cfg.global_mean = mu_;
  cfg.threads = options_.threads;
  const double t0 = MPI_Wtime();
  const math::CsrView view{solve.ratings.indptr, solve.ratings.cols, solve.ratings.values};
  math::solve_explicit_rows(view, gathered.leftCols(k), gathered.col(k), cfg, solve.factors, solve.bias);
  seconds += MPI_Wtime() - t0;
  flops += math::explicit_rows_flops(view, k);
}

void Bpmf::keep_sample() {
  const int k = options_.factors, d = k + 1;
  const Eigen::Index at = static_cast<Eigen::Index>(kept_) * d;
  for (Index r = 0; r < users_.rows(); ++r) {
    kept_users_.row(r).segment(at, k) = users_.factors.row(r);
    kept_users_(r, at + k) = users_.bias[r];
  }
  for (Index r = 0; r < items_.rows(); ++r) {
    kept_items_.row(r).segment(at, k) = items_.factors.row(r);
    kept_items_(r, at + k) = items_.bias[r];
  }
  ++kept_;
}

void Bpmf::current_brackets(std::vector<double>& item_owner, std::vector<double>& user_owner) const {
  const int k = options_.factors;
  item_owner.resize(test_.at_item_owner.size());
  for (size_t t = 0; t < test_.at_item_owner.size(); ++t) {
    const Index row = test_.at_item_owner[t].item - items_.first();
    double s = items_.bias[row];
    if (const Index u = test_local_users_[t]; u >= 0)
      s = gathered_users_(u, k) + items_.bias[row] +
          dot(gathered_users_.row(u).data(), items_.factors.row(row).data(), k);
    item_owner[t] = s;
  }
  user_owner.resize(test_.at_user_owner.size());
  for (size_t t = 0; t < test_.at_user_owner.size(); ++t)
    user_owner[t] = users_.bias[test_.at_user_owner[t].user - users_.first()];
}

void Bpmf::evaluate(BpmfStats& stats, bool add_to_mean) {
  const int k = options_.factors;
  auto clip = [&](double s) { return math::clip(mu_ + s, options_.clip_min, options_.clip_max); };
  // Train error at the item owners (the gathered users are this sample's),
  // and the exact sum of squared residuals for the noise precision.
  // An item row's sum runs over its ratings in order wherever the row
  // lives, so one exact addition per row keeps the total rank-independent.
  math::ExactSum sse;
  for (Index row = 0; row < items_.rows(); ++row) {
    const double* y = items_.factors.row(row).data();
    double row_sse = 0;
    for (Offset e = items_.ratings.indptr[row]; e < items_.ratings.indptr[row + 1]; ++e) {
      const Index u = items_.ratings.cols[e];
      const double s = gathered_users_(u, k) + items_.bias[row] + dot(gathered_users_.row(u).data(), y, k);
      const double r = items_.ratings.values[e];
      stats.train.add(clip(s), r);
      row_sse += (r - mu_ - s) * (r - mu_ - s);
    }
    sse.add(row_sse);
  }
  sse_ = exact_allreduce(comm_, sse).value();
  std::vector<double> by_item, by_user;
  current_brackets(by_item, by_user);
  auto score = [&](std::vector<double>& sums, size_t t, double now, const Rating& r) {
    if (add_to_mean) sums[t] += now;
    stats.sample_test.add(clip(now), r.value);
    stats.test.add(kept_ > 0 ? clip(sums[t] / kept_) : clip(now), r.value);
  };
  for (size_t t = 0; t < by_item.size(); ++t) score(test_sum_item_, t, by_item[t], test_.at_item_owner[t]);
  for (size_t t = 0; t < by_user.size(); ++t) score(test_sum_user_, t, by_user[t], test_.at_user_owner[t]);
  for (size_t t = 0; t < test_.unknown.size(); ++t) score(test_sum_unknown_, t, 0.0, test_.unknown[t]);
  IterationStats sample{};
  sample.test = stats.sample_test;
  reduce_errors(comm_, stats);
  reduce_errors(comm_, sample);
  stats.sample_test = sample.test;
  stats.kept = kept_;
}

BpmfStats Bpmf::iterate() {
  const double t0 = MPI_Wtime();
  BpmfStats stats;
  double flops = 0, solve = 0;
  if (sample_ == 0) {
    for (int s = 0; s < options_.init_sweeps; ++s) {
      als_half_step(users_, items_, gathered_items_, flops, solve);
      als_half_step(items_, users_, gathered_users_, flops, solve);
    }
    current_stats();  // the residuals of the starting state, for the first alpha
  }
  stats.iteration = ++sample_;
  last_alpha_ = draw_alpha();
  stats.alpha = last_alpha_;
  half_step(users_, items_, gathered_items_, 0, flops, solve);
  half_step(items_, users_, gathered_users_, 1, flops, solve);
  const bool keep = options_.keeps(sample_);
  if (keep) keep_sample();
  evaluate(stats, keep);
  static_cast<IterationCost&>(stats) =
      reduce_cost(comm_, t0, solve, flops, users_, items_, options_.factors + 1);
  return stats;
}

BpmfStats Bpmf::current_stats() {
  BpmfStats stats;
  stats.iteration = sample_;
  items_.plan.exchange_into(comm_, users_.factors, &users_.bias, gathered_users_);
  evaluate(stats, false);
  return stats;
}

Bpmf::State Bpmf::checkpoint_state() const {
  const int k = options_.factors;
  State s;
  auto pack = [&](const AlsSide& side, const math::Matrix& kept, math::Matrix& out) {
    out.resize(side.rows(), checkpoint_width());
    out.leftCols(k) = side.factors;
    out.rightCols(kept.cols()) = kept;
  };
  pack(users_, kept_users_, s.user_factors);
  pack(items_, kept_items_, s.item_factors);
  s.user_bias = users_.bias;
  s.item_bias = items_.bias;
  return s;
}

void Bpmf::restore(int samples_done, math::Matrix user_factors, math::Vector user_bias,
                   math::Matrix item_factors, math::Vector item_bias) {
  const int k = options_.factors, d = k + 1, w = checkpoint_width();
  if (samples_done < 0 || samples_done > options_.samples || user_factors.rows() != users_.rows() ||
      item_factors.rows() != items_.rows() || user_bias.size() != users_.rows() ||
      item_bias.size() != items_.rows() || (users_.rows() > 0 && user_factors.cols() != w) ||
      (items_.rows() > 0 && item_factors.cols() != w)) {
    throw std::invalid_argument("Bpmf::restore: state does not match this rank's rows and width");
  }
  sample_ = samples_done;
  kept_ = 0;
  for (int s = 1; s <= samples_done; ++s) kept_ += options_.keeps(s) ? 1 : 0;
  const Eigen::Index cap = kept_users_.cols();
  users_.factors = user_factors.leftCols(k);
  items_.factors = item_factors.leftCols(k);
  users_.factors.conservativeResize(users_.rows(), k);
  items_.factors.conservativeResize(items_.rows(), k);
  kept_users_ = user_factors.rightCols(cap);
  kept_items_ = item_factors.rightCols(cap);
  kept_users_.conservativeResize(users_.rows(), cap);
  kept_items_.conservativeResize(items_.rows(), cap);
  users_.bias = std::move(user_bias);
  items_.bias = std::move(item_bias);
  // The test sums, re-added sample by sample as iterate() added them.
  std::fill(test_sum_item_.begin(), test_sum_item_.end(), 0.0);
  std::fill(test_sum_user_.begin(), test_sum_user_.end(), 0.0);
  std::fill(test_sum_unknown_.begin(), test_sum_unknown_.end(), 0.0);
  const math::Matrix gathered_kept = items_.plan.exchange(comm_, kept_users_, nullptr);
  for (int s = 0; s < kept_; ++s) {
    const Eigen::Index at = static_cast<Eigen::Index>(s) * d;
    for (size_t t = 0; t < test_.at_item_owner.size(); ++t) {
      const Index row = test_.at_item_owner[t].item - items_.first();
      const double bi = kept_items_(row, at + k);
      double v = bi;
      if (const Index u = test_local_users_[t]; u >= 0)
        v = gathered_kept(u, at + k) + bi +
            dot(gathered_kept.row(u).data() + at, kept_items_.row(row).data() + at, k);
      test_sum_item_[t] += v;
    }
    for (size_t t = 0; t < test_.at_user_owner.size(); ++t)
      test_sum_user_[t] += kept_users_(test_.at_user_owner[t].user - users_.first(), at + k);
  }
  current_stats();  // the residuals of the restored state
}

Bpmf::State Bpmf::averaged() const {
  const int k = options_.factors, d = k + 1;
  State s;
  if (kept_ == 0) {
    s.user_factors = users_.factors;
    s.item_factors = items_.factors;
    s.user_bias = users_.bias;
    s.item_bias = items_.bias;
    return s;
  }
  auto mean = [&](const math::Matrix& kept, Index rows, bool scale, math::Matrix& f, math::Vector& b) {
    f.resize(rows, static_cast<Eigen::Index>(kept_) * k);
    b = math::Vector::Zero(rows);
    for (int t = 0; t < kept_; ++t) {
      const Eigen::Index at = static_cast<Eigen::Index>(t) * d;
      f.middleCols(static_cast<Eigen::Index>(t) * k, k) = kept.middleCols(at, k);
      b += kept.col(at + k);
    }
    if (scale) f /= kept_;
    b /= kept_;
  };
  mean(kept_users_, users_.rows(), true, s.user_factors, s.user_bias);
  mean(kept_items_, items_.rows(), false, s.item_factors, s.item_bias);
  return s;
}

}  // namespace hpcrec::dist
