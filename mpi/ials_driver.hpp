// The distributed implicit-ALS loop (Hu, Koren & Volinsky; src/als_implicit).
// Same blocks and routing plans as explicit ALS (mpi/als_driver.hpp); per
// half-step the Gram Y^T Y of the whole counterpart side is summed over ranks
// exactly (src/gram.hpp), so the factors are bitwise identical at any number
// of ranks.
#pragma once

#include <optional>

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
  // Collective. The loss of the current factors without an iteration (a run
  // resumed at or past its last iteration); the cost figures are zero.
  ImplicitIterationStats current_stats();

  // Replaces the state, e.g. from a checkpoint (the biases of an implicit
  // model are zero; the arguments mirror ExplicitAls::restore).
  void restore(int iterations_done, math::Matrix user_factors, math::Vector user_bias,
               math::Matrix item_factors, math::Vector item_bias);

  const AlsSide& users() const { return users_; }
  const AlsSide& items() const { return items_; }
  AlsSide& users() { return users_; }
  AlsSide& items() { return items_; }
  int iterations_done() const { return iteration_; }
  const ImplicitAlsOptions& options() const { return options_; }
  // As ExplicitAls::solve_only; the loss stays the loss over all pairs.
  void solve_only(std::vector<Index> user_rows, std::vector<Index> item_rows) {
    only_users_ = std::move(user_rows);
    only_items_ = std::move(item_rows);
  }

 private:
  math::ColMatrix global_gram(const AlsSide& side) const;
  // The counterpart rows `solve` needs, in its local column order: gather()
  // exchanges them into `buffer`, and gathered() is that buffer, or, on one
  // rank when every counterpart row is needed (the gathered block would be
  // a copy of it, rows in the same order), the counterpart factors
  // themselves, with no copy made.
  bool gathers_all(const AlsSide& solve, const AlsSide& other) const;
  void gather(const AlsSide& solve, const AlsSide& other, math::Matrix& buffer) const;
  const math::Matrix& gathered(const AlsSide& solve, const AlsSide& other, const math::Matrix& buffer) const;
  // Solves `solve` against its gathered counterpart rows, whose global Gram
  // is `gram`; with loss_terms, also sums its rows' observed loss terms.
  double half_step(AlsSide& solve, const math::Matrix& gathered, const math::ColMatrix& gram,
                   const std::optional<std::vector<Index>>& only, double& flops, math::ExactSum* loss_terms);

  const Communicator& comm_;
  AlsSide users_, items_;
  ImplicitAlsOptions options_;
  int iteration_ = 0;
  math::Matrix gathered_items_, gathered_users_;  // reused across iterations
  bool items_gathered_ = false;                   // gathered_items_ holds the current item factors
  std::optional<math::ColMatrix> item_gram_;      // Y^T Y of the current item factors, once known
  math::ImplicitScratch scratch_;
  std::optional<std::vector<Index>> only_users_, only_items_;
};

}  // namespace hpcrec::dist
