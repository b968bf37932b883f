// A synthetic explicit-ratings dataset from a planted low-rank model: the
// project's embedded default dataset (demo, tests, benchmarks). Every value is
// a pure function of (seed, user) plus a few tables built once from the seed,
// so the stream is identical for any thread count and can be produced user by
// user without ever holding all ratings in memory.
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
};

// One generated rating; user and item are 0-based (the writer adds 1).
struct SyntheticRating {
  Index user;
  Index item;
  std::int32_t value;  // 1..5
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
  // non-positive sizes, rank < 1, noise < 0 or ratings > users * items.
  explicit SyntheticGenerator(const SyntheticConfig& config);

  const SyntheticConfig& config() const { return config_; }

  // n_u: how many ratings user u gets.
  Offset user_ratings(Index user) const { return counts_[static_cast<std::size_t>(user)]; }

  // The planted model, for tests and diagnostics.
  std::vector<double> user_factors(Index user) const;
  double user_bias(Index user) const;
  double item_bias(Index item) const { return item_bias_[static_cast<std::size_t>(item)]; }
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
  std::vector<double> popularity_;  // p_i, summing to 1
  std::vector<double> alias_prob_;
  std::vector<Index> alias_;
};

}  // namespace hpcrec::math
