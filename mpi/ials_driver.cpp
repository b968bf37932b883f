#include "mpi/ials_driver.hpp"

#include <span>

#include "mpi/exact_reduce.hpp"
#include "src/gram.hpp"
#include "src/rng.hpp"

namespace hpcrec::dist {

namespace {

void init_rows(AlsSide& side, int k, std::uint64_t seed, math::RngStream stream, double scale) {
  side.factors.resize(side.rows(), k);
  side.bias = math::Vector::Zero(side.rows());
  for (Index r = 0; r < side.rows(); ++r) {
    math::init_factor_row(seed, stream, static_cast<std::uint64_t>(side.first() + r),
                          std::span<double>(side.factors.row(r).data(), k), scale);
  }
}

}  // namespace

ImplicitAls::ImplicitAls(const Communicator& comm, AlsSide users, AlsSide items,
                         const ImplicitAlsOptions& options)
    : comm_(comm), users_(std::move(users)), items_(std::move(items)), options_(options) {
  plan_side(comm_, users_, items_.part);
  plan_side(comm_, items_, users_.part);
  init_rows(users_, options_.factors, options_.seed, math::RngStream::kUserFactors, options_.init_scale);
  init_rows(items_, options_.factors, options_.seed, math::RngStream::kItemFactors, options_.init_scale);
}

void ImplicitAls::restore(int iterations_done, math::Matrix user_factors, math::Vector user_bias,
                          math::Matrix item_factors, math::Vector item_bias) {
  iteration_ = iterations_done;
  item_gram_.reset();
  items_gathered_ = false;
  users_.factors = std::move(user_factors);
  users_.bias = std::move(user_bias);
  items_.factors = std::move(item_factors);
  items_.bias = std::move(item_bias);
}

math::ColMatrix ImplicitAls::global_gram(const AlsSide& side) const {
  math::ExactGram gram(options_.factors);
  math::add_gram_chunks(side.factors, side.first(), gram);
  std::vector<std::int64_t> limbs = gram.to_limbs();
  comm_.allreduce_inplace<std::int64_t>(limbs, MPI_SUM);
  return math::ExactGram::from_limbs(options_.factors, limbs).value();
}

bool ImplicitAls::gathers_all(const AlsSide& solve, const AlsSide& other) const {
  // needed() holds sorted distinct ids: as many as the rows means all of them.
  return comm_.size() == 1 && static_cast<Index>(solve.plan.needed().size()) == other.factors.rows();
}

void ImplicitAls::gather(const AlsSide& solve, const AlsSide& other, math::Matrix& buffer) const {
  if (!gathers_all(solve, other)) solve.plan.exchange_into(comm_, other.factors, nullptr, buffer);
}

const math::Matrix& ImplicitAls::gathered(const AlsSide& solve, const AlsSide& other,
                                          const math::Matrix& buffer) const {
  return gathers_all(solve, other) ? other.factors : buffer;
}

double ImplicitAls::half_step(AlsSide& solve, const math::Matrix& gathered, const math::ColMatrix& gram,
                              const std::optional<std::vector<Index>>& only, double& flops,
                              math::ExactSum* loss_terms) {
  const double t0 = MPI_Wtime();
  auto rows = [&](const math::CsrView& v, math::Matrix& f, math::Vector&) {
    math::solve_implicit_rows(v, gathered, gram, options_.kernel, f, loss_terms, &scratch_);
    flops += math::implicit_rows_flops(v, options_.factors, options_.kernel);
  };
  if (only)
    solve_some_rows(solve, *only, rows);
  else
    rows(math::CsrView{solve.ratings.indptr, solve.ratings.cols, solve.ratings.values}, solve.factors,
         solve.bias);
  return MPI_Wtime() - t0;
}

ImplicitIterationStats ImplicitAls::current_stats() {
  ImplicitIterationStats stats;
  stats.iteration = iteration_;
  gather(users_, items_, gathered_items_);
  items_gathered_ = true;
  item_gram_ = global_gram(items_);
  const math::ColMatrix& yty = *item_gram_;
  const math::ColMatrix xtx = global_gram(users_);
  math::ExactSum corrections;
  const math::CsrView view{users_.ratings.indptr, users_.ratings.cols, users_.ratings.values};
  math::implicit_loss_terms(view, gathered(users_, items_, gathered_items_), users_.factors, options_.kernel,
                            corrections);
  const math::ExactSum total = exact_allreduce(comm_, corrections);
  stats.loss =
      xtx.cwiseProduct(yty).sum() + total.value() + options_.kernel.lambda * (xtx.trace() + yty.trace());
  return stats;
}

ImplicitIterationStats ImplicitAls::iterate() {
  const double t0 = MPI_Wtime();
  ImplicitIterationStats stats;
  stats.iteration = ++iteration_;
  double flops = 0;
  // The current items, gathered and with their Gram Y^T Y: both left by the
  // previous iteration (for its loss), unless the items were just
  // initialised or restored.
  if (!items_gathered_) gather(users_, items_, gathered_items_);
  if (!item_gram_) item_gram_ = global_gram(items_);
  double solve =
      half_step(users_, gathered(users_, items_, gathered_items_), *item_gram_, only_users_, flops, nullptr);

  gather(items_, users_, gathered_users_);
  const math::ColMatrix xtx = global_gram(users_);
  // The loss's observed corrections, sum_{u,i observed} c (1 - s)^2 - s^2:
  // inside the item solves, each item row with its new factors while its
  // gathered user rows are at hand; an exact sum of one term per row. With
  // only some item rows solved, the loss's terms of all come from a
  // separate pass over the user rows.
  const bool fused = !only_items_;
  math::ExactSum corrections;
  solve += half_step(items_, gathered(items_, users_, gathered_users_), xtx, only_items_, flops,
                     fused ? &corrections : nullptr);
  gather(users_, items_, gathered_items_);
  items_gathered_ = true;
  item_gram_ = global_gram(items_);
  const math::ColMatrix& yty = *item_gram_;
  if (!fused) {
    const math::CsrView view{users_.ratings.indptr, users_.ratings.cols, users_.ratings.values};
    math::implicit_loss_terms(view, gathered(users_, items_, gathered_items_), users_.factors,
                              options_.kernel, corrections);
  }

  // Loss = <X^T X, Y^T Y> + observed corrections + lambda (tr X^T X + tr Y^T Y);
  // every piece an exact sum, so the loss too is the same at any rank count.
  const math::ExactSum total = exact_allreduce(comm_, corrections);
  stats.loss =
      xtx.cwiseProduct(yty).sum() + total.value() + options_.kernel.lambda * (xtx.trace() + yty.trace());

  static_cast<IterationCost&>(stats) = reduce_cost(comm_, t0, solve, flops, users_, items_, options_.factors);
  return stats;
}

}  // namespace hpcrec::dist
