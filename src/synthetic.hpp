// A synthetic explicit-ratings (or implicit-counts) dataset from a planted
// low-rank model: the project's embedded default dataset (demo, tests,
// benchmarks). Every value is a pure function of (seed, user) plus a few
// tables built once from the seed, so the stream is identical for any thread
// count and can be produced user by user without ever holding all ratings in
// memory.
//
// The generative model (m users, n items, total T ratings, rank k):
//
//   Activity. Users are put in a random order pi_U (a permutation drawn from
//   the seed, so heavy users are not all at low ids). The user at position r
//   gets weight w_r = (r + 1)^-a (a = user_zipf). Counts are
//   n_u = floor(clamp(s * w_u, lo, n)) with lo = 1 (0 when T < m) and the
//   scale s found by bisection so that the sum is at most T; the remainder
//   (fewer than m) is handed out one rating at a time to users in pi_U order,
//   skipping those already at n. So sum n_u == T exactly, lo <= n_u <= n.
//
//   Items. Likewise a random item order pi_I and popularity
//   p_i proportional to (r + 1)^-b (b = item_zipf). User u's n_u items are a
//   weighted sample WITHOUT replacement from p: successive draws from an alias
//   table with duplicates rejected (equivalent to drawing from p restricted to
//   the items not yet chosen). When n_u is large compared to n, or rejection
//   gets expensive, the same distribution is drawn with Efraimidis-Spirakis
//   keys log(U_i) / p_i over all items (the n_u largest keys win).
//
//   Ratings. Planted factors x_u, y_i ~ N(0, sigma^2 I_k) with
//   sigma^2 = signal_std / sqrt(k), so x_u . y_i has standard deviation
//   signal_std; biases b_u ~ N(0, user_bias_std^2), b_i ~ N(0, item_bias_std^2).
//
//     r_ui = clip(round(mean + b_u + b_i + x_u . y_i + noise * eps), 1, 5),
//     eps ~ N(0, 1).
//
//   With the defaults the bias-only part explains little of the variance and
//   the low-rank part most of it, so a good ALS model reaches a clearly lower
//   RMSE than a bias baseline.
//
//   Counts (counts = true: implicit feedback, like play counts). Two things
//   change. Which items: user u's n_u items are a weighted sample without
//   replacement (Efraimidis-Spirakis keys over all items, O(items * k) per
//   user) with weights
//
//     w_ui = p_i exp(gamma x_u . y_i - gamma^2 sigma^2 |y_i|^2 / 2)   (gamma = count_taste),
//
//   where the second term is log E_x[exp(gamma x . y_i)] over the prior of
//   x: a user's items follow their planted preferences, while an item's
//   expected weight over all users stays its popularity p_i. (Without the
//   tilt, what a user has would be popularity alone, and no model could
//   beat the popularity baseline at predicting it.) The values: with the
//   noisy affinity a_ui = b_u + b_i + x_u . y_i + noise * eps (the explicit
//   score minus mean), an item replay factor r_i ~ N(0, s^2)
//   (s = count_replay_std: how much more an item gets played by whoever has
//   it, a song against an album, whatever their taste) and a Lomax
//   (Pareto II) draw L = U^(-1/xi) - 1, U ~ U(0, 1), P(L > t) = (1 + t)^-xi
//   (xi = count_tail),
//
//     c_ui = 1 + floor(exp(r_i + g a_ui) L),   capped at 10^9   (g = count_gain).
//
//   A higher affinity gives larger counts on average, but the size of a
//   count says little about taste: log c_ui is mostly r_i and the Lomax
//   noise (whose variance is infinite for xi <= 2), so the largest counts
//   sit where an item replays well or the draw was extreme. Typical counts
//   are 1..10 (defaults: median 1 or 2, 90th percentile 20..30); the
//   largest of 3e5 are near 10^5. Linear confidence 1 + alpha r with
//   alpha = 1 lets the replay factors and the tail decide the factors; log
//   confidence 1 + alpha log(1 + r / eps) keeps the presence signal and
//   ranks clearly better (the replay factors matter most: with s = 0 the
//   two are about even). r_i and the Lomax draws come from streams of their
//   own, so the activity, the planted model, the scores' noise and the
//   timestamps are those of the explicit data.
//
//   Timestamps. A user's first rating is at 1e9 + U * 3 years; each further
//   one follows after an exponential gap (mean 6 hours, at least 1 s), so a
//   user's timestamps increase strictly in output order. Within a user the
//   items are written in ascending item id (ids are a random permutation of
//   popularity, so time does not correlate with popularity).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "src/types.hpp"

namespace hpcrec::math {

struct SyntheticConfig {
  Index users = 20000;
  Index items = 2000;
  Offset ratings = 1000000;
  int rank = 10;
  double noise = 0.5;
  std::uint64_t seed = 42;
  double user_zipf = 0.8;  // activity exponent a
  double item_zipf = 0.9;  // popularity exponent b
  double mean = 3.6;
  double signal_std = 0.9;  // std of x_u . y_i
  double user_bias_std = 0.35;
  double item_bias_std = 0.3;
  // Implicit counts in place of 1..5 ratings (see the top of the file).
  bool counts = false;
  double count_taste = 3.5;       // gamma: how strongly x_u . y_i steers which items a user has
  double count_tail = 1.5;        // xi: tail index of the Lomax count noise (> 0)
  double count_replay_std = 2.0;  // s: std of the items' log replay factors r_i (>= 0)
  double count_gain = 0.5;        // g: how strongly the affinity scales the counts
};

// One generated rating; user and item are 0-based (the writer adds 1).
struct SyntheticRating {
  Index user;
  Index item;
  std::int32_t value;  // 1..5, or a count >= 1 (SyntheticConfig::counts)
  std::int64_t timestamp;
};

// Per-thread working memory for SyntheticGenerator::generate_users.
struct SyntheticScratch {
  std::vector<std::uint8_t> chosen;  // chosen[i] != 0 while item i is taken
  std::vector<Index> picks;
  std::vector<std::pair<double, Index>> keys;
  std::vector<double> user_factors;
};

class SyntheticGenerator {
 public:
  // Builds the item tables (factors, biases, alias table) and the per-user
  // counts: O(users + items * rank) memory. Throws std::invalid_argument for
  // non-positive sizes, rank < 1, noise < 0, ratings > users * items or
  // (with counts) count_tail <= 0.
  explicit SyntheticGenerator(const SyntheticConfig& config);

  const SyntheticConfig& config() const { return config_; }

  // n_u: how many ratings user u gets.
  Offset user_ratings(Index user) const { return counts_[static_cast<std::size_t>(user)]; }

  // The planted model, for tests and diagnostics.
  std::vector<double> user_factors(Index user) const;
  double user_bias(Index user) const;
  double item_bias(Index item) const { return item_bias_[static_cast<std::size_t>(item)]; }
  // p_i: item i's popularity, summing to 1 over the items.
  double item_popularity(Index item) const { return popularity_[static_cast<std::size_t>(item)]; }
  // r_i of the counts (0 without counts).
  double item_replay(Index item) const { return item_replay_[static_cast<std::size_t>(item)]; }
  std::span<const double> item_factors(Index item) const;
  // mean + b_u + b_i + x_u . y_i (before noise, rounding and clipping).
  double planted_score(Index user, Index item) const;

  // Appends the ratings of users [first, last) to `out`, in ascending user
  // order. Thread-safe (const) given a scratch per thread.
  void generate_users(Index first, Index last, std::vector<SyntheticRating>& out,
                      SyntheticScratch& scratch) const;

  // Streams every rating in ascending user order: `sink` is called, in order
  // and on the calling thread, with consecutive chunks of about
  // `chunk_ratings` ratings (whole users). Users of up to `threads` chunks are
  // generated in parallel with OpenMP (0: omp default); the stream does not
  // depend on the thread count.
  using Sink = std::function<void(std::span<const SyntheticRating>)>;
  void generate(const Sink& sink, int threads = 0, Offset chunk_ratings = Offset{1} << 18) const;

 private:
  // Fills x with user u's planted factors and returns b_u.
  double draw_latent(Index user, std::span<double> x) const;
  void sample_items(Index user, Offset count, SyntheticScratch& scratch) const;

  SyntheticConfig config_;
  std::uint64_t user_key_;  // seeds the per-user generators
  std::vector<Offset> counts_;
  std::vector<double> item_factors_;  // items x rank, row-major
  std::vector<double> item_bias_;
  std::vector<double> item_replay_;
  std::vector<double> popularity_;  // p_i, summing to 1
  std::vector<double> alias_prob_;
  std::vector<Index> alias_;
};

}  // namespace hpcrec::math
