// The distributed explicit-ALS loop. Brings blocks, routing plans and the
// row solver (src/als_explicit) together; opens no file. The same half-step
// serves users and items by swapping the roles of the two sides.
#pragma once

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
};

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

 private:
  double half_step(AlsSide& solve, const AlsSide& other, math::Matrix& gathered, double& flops);
  void evaluate(const math::Matrix& gathered_users, IterationStats& stats) const;

  const Communicator& comm_;
  AlsSide users_, items_;
  TestSet test_;
  std::vector<Index> test_local_users_;  // at_item_owner users as gathered rows (-1 unknown)
  double mu_;
  ExplicitAlsOptions options_;
  int iteration_ = 0;
  math::Matrix gathered_items_, gathered_users_;  // reused across iterations
};

// Builds one side's routing plan and localized columns from its ratings,
// plus extra global ids of the other side it needs (e.g. test users).
void plan_side(const Communicator& comm, AlsSide& side, const BlockPartition& other,
               const std::vector<Index>& extra_needed = {});

// Collective. The cost figures of an iteration that started at `t0`
// (MPI_Wtime), from this rank's solver time and flops; `width`: doubles per
// exchanged row.
IterationCost reduce_cost(const Communicator& comm, double t0, double solve_seconds, double flops,
                          const AlsSide& users, const AlsSide& items, int width);

// Collective. Moves test ratings (user, item: dense ids, -1 unknown) to where
// ExplicitAls evaluates them.
TestSet place_test_ratings(const Communicator& comm, const std::vector<Rating>& test,
                           const BlockPartition& users, const BlockPartition& items);

}  // namespace hpcrec::dist
