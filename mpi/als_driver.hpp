// The distributed explicit-ALS loop. Brings blocks, routing plans and the
// row solver (src/als_explicit) together; opens no file. The same half-step
// serves users and items by swapping the roles of the two sides.
#pragma once

#include <optional>
#include <vector>

#include "mpi/communicator.hpp"
#include "mpi/partition.hpp"
#include "mpi/routing.hpp"
#include "src/als_explicit.hpp"
#include "src/csr_block.hpp"
#include "src/metrics.hpp"

namespace hpcrec::dist {

// One side (users or items) as a rank holds it.
//
// Once planned (plan_side), ratings.cols are no longer global ids of the
// other side but rows of the gathered block, i.e. indices into
// plan.needed(): a rating's counterpart is found without a lookup, and the
// global ids are not stored twice. global_ratings() restores them.
struct AlsSide {
  BlockPartition part;     // rows of this side over ranks
  math::CsrBlock ratings;  // this rank's rows
  RoutingPlan plan;        // rows of the other side this rank needs
  bool planned = false;    // ratings.cols are local (gathered-row) indices
  math::Matrix factors;    // this rank's rows x k
  math::Vector bias;       // this rank's rows

  Index first() const { return ratings.first_row; }
  Index rows() const { return ratings.rows(); }
  // The ratings with global column ids (a copy).
  math::CsrBlock global_ratings() const;
  // The same, moved out: for a side that is done (its ratings are left empty).
  math::CsrBlock release_global_ratings();
};

// A half-step over some of a side's rows only (update --scope touched):
// `solve(view, factors, bias)` runs on the sub-block of `rows` (local rows,
// ascending), its factors and biases starting as the rows' current ones (CG
// starts from them), and the results are written back. The sub-block keeps
// the gathered-row column ids, so the gathered counterpart block serves it
// unchanged, and each row gets exactly what a full half-step gives it.
//
//   rows {1, 3} of a 4-row side with indptr {0,2,3,5,6}: sub-block indptr
//   {0,1,2}, holding row 1's entry [2,3) and row 3's entry [5,6).
template <class Solve>
void solve_some_rows(AlsSide& side, const std::vector<Index>& rows, Solve&& solve) {
  math::CsrBlock sub;
  const auto k = side.factors.cols();
  math::Matrix f(static_cast<Eigen::Index>(rows.size()), k);
  math::Vector b(static_cast<Eigen::Index>(rows.size()));
  for (size_t j = 0; j < rows.size(); ++j) {
    const Index r = rows[j];
    const auto cols = side.ratings.row_cols(r);
    const auto vals = side.ratings.row_values(r);
    sub.cols.insert(sub.cols.end(), cols.begin(), cols.end());
    sub.values.insert(sub.values.end(), vals.begin(), vals.end());
    sub.indptr.push_back(static_cast<Offset>(sub.cols.size()));
    f.row(static_cast<Eigen::Index>(j)) = side.factors.row(r);
    b[static_cast<Eigen::Index>(j)] = side.bias[r];
  }
  solve(math::CsrView{sub.indptr, sub.cols, sub.values}, f, b);
  for (size_t j = 0; j < rows.size(); ++j) {
    side.factors.row(rows[j]) = f.row(static_cast<Eigen::Index>(j));
    side.bias[rows[j]] = b[static_cast<Eigen::Index>(j)];
  }
}

// Held-out ratings for evaluation, placed where their prediction is cheap:
// at the item's owner when the item is known (user may be -1: unknown), at
// the user's owner when only the user is known (item -1), anywhere when
// neither is (both -1). See place_test_ratings.
struct TestSet {
  std::vector<Rating> at_item_owner;
  std::vector<Rating> at_user_owner;
  std::vector<Rating> unknown;
};

struct ExplicitAlsOptions {
  int factors = 64;
  double lambda = 0.12;
  double bias_lambda = 0.05;
  bool weighted_lambda = true;
  std::uint64_t seed = 42;
  int threads = 1;
  double init_scale = 0.1;
  double clip_min = 1.0;  // predictions clipped to the training ratings' range
  double clip_max = 5.0;
  // The row solver (src/als_explicit.hpp): exact Cholesky, or CG warm-started
  // from the previous sweep with cg_steps steps.
  math::SolverKind solver = math::SolverKind::kCholesky;
  int cg_steps = 3;
};

// What an ALS iteration cost, reduced over ranks (explicit and implicit alike).
struct IterationCost {
  double seconds = 0;          // wall time of the iteration (max over ranks)
  double solve_seconds = 0;    // time in the row solver (max over ranks)
  double flops = 0;            // row-solver flops, all ranks
  Offset bytes_exchanged = 0;  // factor bytes sent between ranks, all ranks
};

struct IterationStats : IterationCost {
  int iteration = 0;
  math::ErrorSums train;
  math::ErrorSums test;
};

class ExplicitAls {
 public:
  // Collective. Builds both routing plans (the item side's includes the
  // users of test ratings) and initialises item factors from the
  // counter-based RNG keyed by (seed, global item id).
  ExplicitAls(const Communicator& comm, AlsSide users, AlsSide items, TestSet test, double global_mean,
              const ExplicitAlsOptions& options);

  // Collective. One user half-step, one item half-step, then the metrics.
  IterationStats iterate();
  // Collective. The metrics of the current factors without an iteration
  // (a run resumed at or past its last iteration reports these); the cost
  // figures are zero.
  IterationStats current_stats();

  const AlsSide& users() const { return users_; }
  const AlsSide& items() const { return items_; }
  AlsSide& users() { return users_; }
  AlsSide& items() { return items_; }
  double global_mean() const { return mu_; }
  const ExplicitAlsOptions& options() const { return options_; }
  int iterations_done() const { return iteration_; }
  // Sets the state after `iterations_done` iterations (from a checkpoint):
  // this rank's rows of both sides. The next iterate() then continues
  // exactly (bitwise) as an uninterrupted run would.
  void restore(int iterations_done, math::Matrix user_factors, math::Vector user_bias,
               math::Matrix item_factors, math::Vector item_bias);
  // From now on each half-step solves only these local rows (ascending);
  // the others keep their factors (update --scope touched).
  void solve_only(std::vector<Index> user_rows, std::vector<Index> item_rows) {
    only_users_ = std::move(user_rows);
    only_items_ = std::move(item_rows);
  }

 private:
  double half_step(AlsSide& solve, const AlsSide& other, math::Matrix& gathered,
                   const std::optional<std::vector<Index>>& only, double& flops,
                   math::ExactErrorSums* train_errors = nullptr);
  // The test error, and the training error unless `train` (summed by the
  // item half-step's CG solver) already holds it.
  void evaluate(const math::Matrix& gathered_users, IterationStats& stats,
                const math::ExactErrorSums* train = nullptr) const;

  const Communicator& comm_;
  AlsSide users_, items_;
  TestSet test_;
  std::vector<Index> test_local_users_;  // at_item_owner users as gathered rows (-1 unknown)
  double mu_;
  ExplicitAlsOptions options_;
  int iteration_ = 0;
  math::Matrix gathered_items_, gathered_users_;  // reused across iterations
  std::vector<float> mirror_;                     // CG: the float32 counterpart rows, reused
  std::optional<std::vector<Index>> only_users_, only_items_;
};

// Builds one side's routing plan and localized columns from its ratings,
// plus extra global ids of the other side it needs (e.g. test users).
void plan_side(const Communicator& comm, AlsSide& side, const BlockPartition& other,
               const std::vector<Index>& extra_needed = {});

// Collective. The start of an explicit model (ExplicitAls, Bpmf): plans
// both sides (the item side's plan also brings the users of test ratings
// placed at item owners), sets user factors and biases to zero and item
// factors from the counter-based RNG keyed by (seed, global item id), item
// biases to zero. Returns each at_item_owner test rating's user as a
// gathered row of the item side (-1: unknown user).
std::vector<Index> start_explicit_sides(const Communicator& comm, AlsSide& users, AlsSide& items,
                                        const TestSet& test, int k, std::uint64_t seed, double init_scale);

// Collective. The cost figures of an iteration that started at `t0`
// (MPI_Wtime), from this rank's solver time and flops; `width`: doubles per
// exchanged row.
IterationCost reduce_cost(const Communicator& comm, double t0, double solve_seconds, double flops,
                          const AlsSide& users, const AlsSide& items, int width);

// Collective. This rank's train and test error sums to the totals over all ranks.
void reduce_errors(const Communicator& comm, IterationStats& stats);

// Collective. Moves test ratings (user, item: dense ids, -1 unknown) to where
// ExplicitAls evaluates them.
TestSet place_test_ratings(const Communicator& comm, const std::vector<Rating>& test,
                           const BlockPartition& users, const BlockPartition& items);

}  // namespace hpcrec::dist
