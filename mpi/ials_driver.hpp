// The distributed implicit-ALS loop (Hu, Koren & Volinsky; src/als_implicit).
// Same blocks and routing plans as explicit ALS (mpi/als_driver.hpp); per
// half-step the Gram Y^T Y of the whole counterpart side is summed over ranks
// exactly (src/gram.hpp), so the factors are bitwise identical at any number
// of ranks.
#pragma once

#include "mpi/als_driver.hpp"
#include "src/als_implicit.hpp"

namespace hpcrec::dist {

struct ImplicitAlsOptions {
  int factors = 64;
  math::ImplicitAlsConfig kernel;
  std::uint64_t seed = 42;
  double init_scale = 0.01;
};

struct ImplicitIterationStats : IterationCost {
  int iteration = 0;
  double loss = 0;  // the full HKV loss over all pairs, after the iteration
};

class ImplicitAls {
 public:
  // Collective. Plans both sides and initialises user and item factors from
  // the counter-based RNG keyed by (seed, global id): the user half-step's
  // CG starts from the user factors, so both need a deterministic start.
  ImplicitAls(const Communicator& comm, AlsSide users, AlsSide items, const ImplicitAlsOptions& options);

  // Collective. Users, then items, then the loss.
  ImplicitIterationStats iterate();

  // Replaces the state, e.g. from a checkpoint (the biases of an implicit
  // model are zero; the arguments mirror ExplicitAls::restore).
  void restore(int iterations_done, math::Matrix user_factors, math::Vector user_bias,
               math::Matrix item_factors, math::Vector item_bias);

  const AlsSide& users() const { return users_; }
  const AlsSide& items() const { return items_; }
  int iterations_done() const { return iteration_; }
  const ImplicitAlsOptions& options() const { return options_; }

 private:
  math::ColMatrix global_gram(const AlsSide& side) const;
  double half_step(AlsSide& solve, const AlsSide& other, math::Matrix& gathered, double& flops);

  const Communicator& comm_;
  AlsSide users_, items_;
  ImplicitAlsOptions options_;
  int iteration_ = 0;
  math::Matrix gathered_items_, gathered_users_;  // reused across iterations
};

}  // namespace hpcrec::dist
