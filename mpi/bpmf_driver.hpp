// The distributed Gibbs sampler of Bayesian MF (src/bpmf.hpp for the math):
// the blocks, routing plans and row kernel of explicit ALS, with each
// half-step drawing its rows instead of solving them.
//
// The chain starts from options.init_sweeps explicit ALS sweeps. One
// sample: the users' hyper-parameters from the exact moments of all
// user rows (every rank draws the same), the user rows, then the same for
// the items, then the noise precision (when sampled) from the exact sum of
// squared training residuals. Every draw is keyed by (seed, sample, side,
// global row): bitwise the same samples at any rank or thread count.
//
// Kept samples (after --burn-in, every --thin-th) are stored per row as
// [x^s, b^s] (d = k + 1 values each), so that predictions are their mean:
//
//   r̂(u, i) = mu + (1/K) sum_s (b_u^s + b_i^s + x_u^s . y_i^s)
//
// which a saved model serves as one factor model of width K k: users
// [x^1 .. x^K] / K, items [y^1 .. y^K], biases the means. Test predictions
// keep running sums of the bracket, added in sample order, which a resumed
// run recomputes from the kept samples in the same order (bitwise).
#pragma once

#include <vector>

#include "mpi/als_driver.hpp"
#include "src/bpmf.hpp"

namespace hpcrec::dist {

struct BpmfOptions {
  int factors = 32;
  int samples = 300;  // Gibbs samples in all, burn-in included
  int burn_in = 20;
  int thin = 5;                // keep every thin-th sample after the burn-in
  double noise_precision = 0;  // alpha; 0: drawn from its Gamma posterior each sample
  double beta0 = 2.0;          // the Normal-Wishart prior's mean strength
  std::uint64_t seed = 42;
  int threads = 1;
  double init_scale = 0.1;
  // The chain starts from this many explicit ALS sweeps (the MAP estimate,
  // as Salakhutdinov & Mnih start from PMF's): from small random factors
  // the first hyper-parameter draws shrink every row to zero and the
  // sampler takes hundreds of samples to leave it.
  int init_sweeps = 5;
  double init_lambda = 0.12, init_bias_lambda = 0.05;  // ALS-WR, as --algo als
  double clip_min = 1.0, clip_max = 5.0;

  // Samples kept by a run of `samples`.
  int kept_capacity() const { return samples > burn_in ? (samples - burn_in + thin - 1) / thin : 0; }
  bool keeps(int sample) const { return sample > burn_in && (sample - burn_in - 1) % thin == 0; }
  // Values a row of a side holds: its factors and every kept sample's [x, b].
  int state_width() const { return factors + kept_capacity() * (factors + 1); }
};

struct BpmfStats : IterationStats {
  double alpha = 0;             // the noise precision used by this sample
  int kept = 0;                 // samples in the mean so far
  math::ErrorSums sample_test;  // the test error of this sample alone
};

class Bpmf {
 public:
  // Collective. Plans both sides (the item side's includes test users) and
  // initialises item rows from the counter-based RNG (users start at zero).
  Bpmf(const Communicator& comm, AlsSide users, AlsSide items, TestSet test, double global_mean,
       const BpmfOptions& options);

  // Collective. One Gibbs sample, its metrics (train: this sample; test:
  // the mean of the kept samples, or this sample before the first is kept).
  BpmfStats iterate();
  // Collective. The metrics of the current state without a sample.
  BpmfStats current_stats();

  const AlsSide& users() const { return users_; }
  const AlsSide& items() const { return items_; }
  AlsSide& users() { return users_; }
  AlsSide& items() { return items_; }
  int iterations_done() const { return sample_; }
  int kept() const { return kept_; }
  double global_mean() const { return mu_; }
  const BpmfOptions& options() const { return options_; }

  // The whole state of a side for a checkpoint: rows [x, kept samples
  // (kept_capacity() d values)], bias b. Width checkpoint_width().
  int checkpoint_width() const { return options_.state_width(); }
  struct State {
    math::Matrix user_factors, item_factors;
    math::Vector user_bias, item_bias;
  };
  State checkpoint_state() const;
  // Collective. Restores checkpoint_state() after `samples_done` samples; the
  // next iterate() continues bitwise as an uninterrupted run would.
  void restore(int samples_done, math::Matrix user_factors, math::Vector user_bias, math::Matrix item_factors,
               math::Vector item_bias);

  // The posterior-mean model: this rank's rows of users [x^1 .. x^K] / K and
  // items [y^1 .. y^K] (K = kept(), or the current sample alone while none
  // is kept), biases the means.
  State averaged() const;

 private:
  void half_step(AlsSide& solve, const AlsSide& other, math::Matrix& gathered, int side, double& flops,
                 double& seconds);
  void als_half_step(AlsSide& solve, const AlsSide& other, math::Matrix& gathered, double& flops,
                     double& seconds);
  double draw_alpha();
  void keep_sample();
  void evaluate(BpmfStats& stats, bool add_to_mean);
  // The test predictions' bracket for the current sample, in test order.
  void current_brackets(std::vector<double>& item_owner, std::vector<double>& user_owner) const;

  const Communicator& comm_;
  AlsSide users_, items_;
  TestSet test_;
  std::vector<Index> test_local_users_;  // at_item_owner users as gathered rows (-1 unknown)
  double mu_;
  BpmfOptions options_;
  int sample_ = 0, kept_ = 0;
  double sse_ = 0;            // sum of squared training residuals of the current state (exact)
  double last_alpha_ = 1;     // the noise precision of the current sample
  Offset train_ratings_ = 0;  // over all ranks
  math::Matrix gathered_items_, gathered_users_;
  math::Matrix kept_users_, kept_items_;  // rows x kept_capacity() d
  std::vector<double> test_sum_item_, test_sum_user_, test_sum_unknown_;
};

}  // namespace hpcrec::dist
