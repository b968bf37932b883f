// Checkpoint orchestration for `train`: the --checkpoint-* and --resume
// options, resuming before the first iteration, and after each iteration a
// checkpoint when due or when a stop signal arrived (SIGTERM, SIGUSR1,
// SIGINT: checkpoint, then exit with kExitPreempted).
//
// Works for any factor model with users() and items() (dist::AlsSide),
// iterations_done() and restore(iterations, user factors, user bias, item
// factors, item bias).
#pragma once

#include <optional>
#include <string>

#include "app/options.hpp"
#include "io/checkpoint.hpp"
#include "mpi/als_driver.hpp"
#include "mpi/communicator.hpp"
#include "src/ids.hpp"

namespace hpcrec::app {

struct CheckpointOptions {
  std::string dir;
  int every = 0;  // 0: only when stopped by a signal
  int keep = 2;
  std::string resume;  // "", "auto" or a checkpoint file
  bool force = false;
};

// Adds --checkpoint-dir, --checkpoint-every, --keep, --resume, --resume-force.
void add_checkpoint_options(po::options_description& desc, CheckpointOptions& o);
// Throws InputError for inconsistent values (call after parsing).
void validate_checkpoint_options(const CheckpointOptions& o);

class Checkpointing {
 public:
  // Collective. `hyper`: the run's hyper-parameters (algorithm, factors, ...),
  // stored in every checkpoint and compared on resume. With a checkpoint
  // directory, creates it (a clear error now, not after hours of training,
  // if it cannot be written) and installs the stop-signal handlers.
  Checkpointing(const dist::Communicator& comm, CheckpointOptions options, io::Attributes hyper,
                const math::IdMap& user_ids, const math::IdMap& item_ids, math::Offset ratings,
                double global_mean);

  // Collective, before the first iteration. Returns whether state was restored.
  template <class Model>
  bool resume(Model& model) {
    std::optional<io::LoadedCheckpoint> c = load(model.users(), model.items());
    if (!c) return false;
    model.restore(static_cast<int>(c->iteration), std::move(c->user_factors), std::move(c->user_bias),
                  std::move(c->item_factors), std::move(c->item_bias));
    resumed_ = true;
    return true;
  }

  // Collective, after each iteration. Writes a checkpoint when one is due or
  // when any rank got a stop signal; returns true if the job must now stop
  // (and exit with kExitPreempted).
  // A model whose state is more than its sides' factors and biases (bpmf's
  // kept samples) gives it as checkpoint_state() {user_factors, user_bias,
  // item_factors, item_bias}, asked for only when a checkpoint is written.
  template <class Model>
  bool stop_after_iteration(const Model& model) {
    const int sig = due(model.iterations_done());
    if (sig < 0) return false;
    if constexpr (requires { model.checkpoint_state(); }) {
      const auto state = model.checkpoint_state();
      write(model.users(), model.items(), model.iterations_done(), sig, state.user_factors, state.user_bias,
            state.item_factors, state.item_bias);
    } else {
      write(model.users(), model.items(), model.iterations_done(), sig, model.users().factors,
            model.users().bias, model.items().factors, model.items().bias);
    }
    return sig != 0;
  }

  bool resumed() const { return resumed_; }

 private:
  std::optional<io::LoadedCheckpoint> load(const dist::AlsSide& users, const dist::AlsSide& items);
  // Collective. -1: no checkpoint now; else the stop signal agreed on (0: none, due by --checkpoint-every).
  int due(int iteration);
  void write(const dist::AlsSide& users, const dist::AlsSide& items, int iteration, int sig,
             const math::Matrix& user_factors, const math::Vector& user_bias,
             const math::Matrix& item_factors, const math::Vector& item_bias);
  void complete_data(const dist::AlsSide& users);

  const dist::Communicator& comm_;
  CheckpointOptions o_;
  io::Attributes hyper_;
  const math::IdMap& user_ids_;
  const math::IdMap& item_ids_;
  io::CheckpointData data_;
  bool have_ratings_hash_ = false;
  bool resumed_ = false;
};

}  // namespace hpcrec::app
