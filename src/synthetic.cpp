#include "src/synthetic.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

#include "src/first_error.hpp"
#include "src/rng.hpp"

namespace hpcrec::math {

namespace {

constexpr auto kStream = static_cast<std::uint64_t>(RngStream::kSynthetic);

// Sub-keys of the seed, one per purpose, so that changing how many numbers one
// purpose draws never shifts another's.
enum SubKey : std::uint64_t {
  kUserOrder = 1,
  kItemOrder = 2,
  kItemParams = 3,
  kUsers = 4,
  kItemReplay = 5,
};
// Per-user generators (keyed by hash64(user_key, purpose, user)).
enum UserPurpose : std::uint64_t {
  kLatent = 0,
  kSample = 1,
  kRate = 2,
  kCount = 3,
};

constexpr std::int64_t kTimeBase = 1000000000;
constexpr double kStartSpread = 3.0 * 365 * 86400;  // first ratings spread over 3 years
constexpr double kMeanGap = 6.0 * 3600;             // mean gap between a user's ratings
constexpr double kMaxCount = 1e9;                   // counts are capped here (int32 range)

// Uniform integer in [0, n) by multiply-high (bias below 2^-32 for n < 2^32).
__extension__ typedef unsigned __int128 U128;
std::uint64_t bounded(std::uint64_t x, std::uint64_t n) {
  return static_cast<std::uint64_t>((static_cast<U128>(x) * n) >> 64);
}

// Uniform in (0, 1): never 0, so log() is finite.
double open_uniform(CounterRng& rng) { return (static_cast<double>(rng.next_u64() >> 11) + 0.5) * 0x1.0p-53; }

// A random permutation of 0..n-1 (Fisher-Yates).
std::vector<Index> permutation(Index n, std::uint64_t key) {
  std::vector<Index> perm(static_cast<std::size_t>(n));
  std::iota(perm.begin(), perm.end(), Index{0});
  CounterRng rng(key, kStream);
  for (std::size_t i = perm.size(); i > 1; --i) {
    std::swap(perm[i - 1], perm[bounded(rng.next_u64(), i)]);
  }
  return perm;
}

// Counts per user: floor(clamp(s * w, lo, cap)) summing to at most `total`,
// then the remainder one by one in `order` (heaviest first). See the header.
std::vector<Offset> activity_counts(const std::vector<Index>& order, double exponent, Offset total,
                                    Offset cap) {
  const std::size_t m = order.size();
  const double lo = total >= static_cast<Offset>(m) ? 1.0 : 0.0;
  std::vector<double> w(m);  // by position in `order`
  for (std::size_t r = 0; r < m; ++r) w[r] = std::pow(static_cast<double>(r + 1), -exponent);
  const double dcap = static_cast<double>(cap), dtotal = static_cast<double>(total);
  auto mass = [&](double s) {
    double sum = 0;
    for (double wr : w) sum += std::clamp(s * wr, lo, dcap);
    return sum;
  };
  // mass() is non-decreasing in s, mass(0) = m * lo <= total and
  // mass(s_hi) = m * cap >= total: bisect for the largest s with mass <= total.
  double s_lo = 0, s_hi = dcap / w.back();
  for (int it = 0; it < 100 && s_hi - s_lo > 1e-12 * s_hi; ++it) {
    const double mid = 0.5 * (s_lo + s_hi);
    (mass(mid) <= dtotal ? s_lo : s_hi) = mid;
  }
  std::vector<Offset> by_pos(m);
  Offset sum = 0;
  for (std::size_t r = 0; r < m; ++r) {
    by_pos[r] = static_cast<Offset>(std::floor(std::clamp(s_lo * w[r], lo, dcap)));
    sum += by_pos[r];
  }
  // Floating-point rounding could in principle overshoot by a hair; take it
  // back from the lightest users that can spare a rating.
  for (std::size_t r = m; sum > total && r-- > 0;) {
    const Offset take = std::min<Offset>(sum - total, by_pos[r] - static_cast<Offset>(lo));
    by_pos[r] -= take;
    sum -= take;
  }
  while (sum < total) {
    for (std::size_t r = 0; r < m && sum < total; ++r) {
      if (by_pos[r] < cap) {
        ++by_pos[r];
        ++sum;
      }
    }
  }
  std::vector<Offset> counts(m);
  for (std::size_t r = 0; r < m; ++r) counts[static_cast<std::size_t>(order[r])] = by_pos[r];
  return counts;
}

}  // namespace

SyntheticGenerator::SyntheticGenerator(const SyntheticConfig& config) : config_(config) {
  const SyntheticConfig& c = config_;
  if (c.users <= 0 || c.items <= 0 || c.ratings <= 0) {
    throw std::invalid_argument("synthetic data: users, items and ratings must be positive");
  }
  if (c.rank < 1) throw std::invalid_argument("synthetic data: rank must be at least 1");
  if (!(c.noise >= 0)) throw std::invalid_argument("synthetic data: noise must not be negative");
  if (c.counts && !(c.count_tail > 0 && std::isfinite(c.count_gain) && std::isfinite(c.count_taste) &&
                    c.count_replay_std >= 0)) {
    throw std::invalid_argument(
        "synthetic data: count_tail must be positive, count_replay_std not negative, count_gain and "
        "count_taste finite");
  }
  if (c.ratings > static_cast<Offset>(c.users) * c.items) {
    throw std::invalid_argument(
        "synthetic data: " + std::to_string(c.ratings) +
        " ratings exceed users * items = " + std::to_string(static_cast<Offset>(c.users) * c.items));
  }
  const auto n = static_cast<std::size_t>(c.items);
  const auto k = static_cast<std::size_t>(c.rank);
  user_key_ = hash64(c.seed, kStream, kUsers);
  counts_ = activity_counts(permutation(c.users, hash64(c.seed, kStream, kUserOrder)), c.user_zipf, c.ratings,
                            c.items);

  // Item popularity over a random order of the items.
  const std::vector<Index> item_order = permutation(c.items, hash64(c.seed, kStream, kItemOrder));
  popularity_.assign(n, 0.0);
  double total = 0;
  for (std::size_t r = 0; r < n; ++r) {
    const double p = std::pow(static_cast<double>(r + 1), -c.item_zipf);
    popularity_[static_cast<std::size_t>(item_order[r])] = p;
    total += p;
  }
  for (double& p : popularity_) p /= total;

  // Vose's alias table: O(1) draws from the popularity.
  alias_prob_.assign(n, 1.0);
  alias_.resize(n);
  std::iota(alias_.begin(), alias_.end(), Index{0});
  std::vector<Index> small, large;
  std::vector<double> scaled(n);
  for (std::size_t i = 0; i < n; ++i) {
    scaled[i] = popularity_[i] * static_cast<double>(n);
    (scaled[i] < 1.0 ? small : large).push_back(static_cast<Index>(i));
  }
  while (!small.empty() && !large.empty()) {
    const Index s = small.back(), l = large.back();
    small.pop_back();
    large.pop_back();
    alias_prob_[static_cast<std::size_t>(s)] = scaled[static_cast<std::size_t>(s)];
    alias_[static_cast<std::size_t>(s)] = l;
    scaled[static_cast<std::size_t>(l)] -= 1.0 - scaled[static_cast<std::size_t>(s)];
    (scaled[static_cast<std::size_t>(l)] < 1.0 ? small : large).push_back(l);
  }
  // Leftovers are 1 up to rounding: they keep alias_prob_ = 1.

  // Planted item factors and biases.
  const double sigma = std::sqrt(c.signal_std / std::sqrt(static_cast<double>(c.rank)));
  item_factors_.resize(n * k);
  item_bias_.resize(n);
  CounterRng rng(hash64(c.seed, kStream, kItemParams), kStream);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < k; ++j) item_factors_[i * k + j] = sigma * rng.next_normal();
    item_bias_[i] = c.item_bias_std * rng.next_normal();
  }
  // Replay factors: a stream of their own, so the other item tables are
  // those of the explicit data.
  item_replay_.assign(n, 0.0);
  if (c.counts) {
    CounterRng replay(hash64(c.seed, kStream, kItemReplay), kStream);
    for (double& v : item_replay_) v = c.count_replay_std * replay.next_normal();
  }
}

double SyntheticGenerator::draw_latent(Index user, std::span<double> x) const {
  const double sigma = std::sqrt(config_.signal_std / std::sqrt(static_cast<double>(config_.rank)));
  CounterRng rng(hash64(user_key_, kLatent, static_cast<std::uint64_t>(user)), kStream);
  for (double& v : x) v = sigma * rng.next_normal();
  return config_.user_bias_std * rng.next_normal();
}

std::vector<double> SyntheticGenerator::user_factors(Index user) const {
  std::vector<double> x(static_cast<std::size_t>(config_.rank));
  draw_latent(user, x);
  return x;
}

double SyntheticGenerator::user_bias(Index user) const {
  std::vector<double> x(static_cast<std::size_t>(config_.rank));
  return draw_latent(user, x);
}

std::span<const double> SyntheticGenerator::item_factors(Index item) const {
  const auto k = static_cast<std::size_t>(config_.rank);
  return std::span<const double>(item_factors_).subspan(static_cast<std::size_t>(item) * k, k);
}

double SyntheticGenerator::planted_score(Index user, Index item) const {
  std::vector<double> x(static_cast<std::size_t>(config_.rank));
  const double bu = draw_latent(user, x);
  const auto y = item_factors(item);
  double dot = 0;
  for (std::size_t j = 0; j < x.size(); ++j) dot += x[j] * y[j];
  return config_.mean + bu + item_bias(item) + dot;
}

void SyntheticGenerator::sample_items(Index user, Offset count, SyntheticScratch& s) const {
  const auto n = static_cast<std::size_t>(config_.items);
  const auto c = static_cast<std::size_t>(count);
  s.picks.clear();
  if (c == n) {
    s.picks.resize(n);
    std::iota(s.picks.begin(), s.picks.end(), Index{0});
    return;
  }
  CounterRng rng(hash64(user_key_, kSample, static_cast<std::uint64_t>(user)), kStream);
  if (config_.counts) {
    // Weights w_i = p_i exp(gamma x_u . y_i - gamma^2 sigma^2 |y_i|^2 / 2)
    // (see the header), s.user_factors holding x_u: keys over all items,
    // O(items * rank) per user.
    const auto k = static_cast<std::size_t>(config_.rank);
    const double gamma = config_.count_taste;
    const double half_var = 0.5 * gamma * gamma * config_.signal_std / std::sqrt(static_cast<double>(k));
    s.keys.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      const double* y = item_factors_.data() + i * k;
      double dot = 0, norm2 = 0;
      for (std::size_t j = 0; j < k; ++j) {
        dot += s.user_factors[j] * y[j];
        norm2 += y[j] * y[j];
      }
      const double w = popularity_[i] * std::exp(gamma * dot - half_var * norm2);
      s.keys[i] = {std::log(open_uniform(rng)) / w, static_cast<Index>(i)};
    }
  } else if (3 * c <= n) {
    // Rejection of duplicates is cheap while the chosen items hold little of
    // the popularity mass; for users who take a large share of the catalogue
    // it is not, and the O(items) key method is cheap per rating instead.
    if (s.chosen.size() != n) s.chosen.assign(n, 0);
    const std::size_t max_draws = 16 * c + 64;
    std::size_t draws = 0;
    while (s.picks.size() < c && draws < max_draws) {
      ++draws;
      auto i = static_cast<std::size_t>(bounded(rng.next_u64(), n));
      if (rng.next_uniform() >= alias_prob_[i]) i = static_cast<std::size_t>(alias_[i]);
      if (s.chosen[i]) continue;
      s.chosen[i] = 1;
      s.picks.push_back(static_cast<Index>(i));
    }
    for (Index i : s.picks) s.chosen[static_cast<std::size_t>(i)] = 0;
    if (s.picks.size() == c) {
      std::sort(s.picks.begin(), s.picks.end());
      return;
    }
    s.picks.clear();  // too many rejections: redo this user with keys
  }
  // Efraimidis-Spirakis: the c largest log(U_i) / w_i are a weighted sample
  // without replacement with the same law as successive draws.
  if (!config_.counts) {
    s.keys.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      s.keys[i] = {std::log(open_uniform(rng)) / popularity_[i], static_cast<Index>(i)};
    }
  }
  std::nth_element(s.keys.begin(), s.keys.begin() + static_cast<std::ptrdiff_t>(c), s.keys.end(),
                   [](const auto& a, const auto& b) { return a > b; });
  s.picks.resize(c);
  for (std::size_t j = 0; j < c; ++j) s.picks[j] = s.keys[j].second;
  std::sort(s.picks.begin(), s.picks.end());
}

void SyntheticGenerator::generate_users(Index first, Index last, std::vector<SyntheticRating>& out,
                                        SyntheticScratch& s) const {
  const auto k = static_cast<std::size_t>(config_.rank);
  s.user_factors.resize(k);
  for (Index u = first; u < last; ++u) {
    const Offset count = user_ratings(u);
    if (count == 0) continue;
    const double bu = draw_latent(u, s.user_factors);
    sample_items(u, count, s);  // with counts, steered by x_u (s.user_factors)
    CounterRng rng(hash64(user_key_, kRate, static_cast<std::uint64_t>(u)), kStream);
    // The counts' noise has a stream of its own: the scores and timestamps
    // are drawn as for explicit ratings.
    CounterRng count_rng(hash64(user_key_, kCount, static_cast<std::uint64_t>(u)), kStream);
    auto t = kTimeBase + static_cast<std::int64_t>(rng.next_uniform() * kStartSpread);
    const double base = config_.mean + bu;
    for (Index i : s.picks) {
      const double* y = item_factors_.data() + static_cast<std::size_t>(i) * k;
      double dot = 0;
      for (std::size_t j = 0; j < k; ++j) dot += s.user_factors[j] * y[j];
      const double score =
          base + item_bias_[static_cast<std::size_t>(i)] + dot + config_.noise * rng.next_normal();
      std::int32_t value;
      if (config_.counts) {
        // 1 + floor(exp(r_i + gain * a_ui) * L), L ~ Lomax(tail); see the header.
        const double lomax = std::pow(open_uniform(count_rng), -1.0 / config_.count_tail) - 1.0;
        const double c = std::exp(item_replay_[static_cast<std::size_t>(i)] +
                                  config_.count_gain * (score - config_.mean)) *
                         lomax;
        value = static_cast<std::int32_t>(1.0 + std::floor(c < kMaxCount ? c : kMaxCount));
      } else {
        value = static_cast<std::int32_t>(std::clamp(std::round(score), 1.0, 5.0));
      }
      out.push_back({u, i, value, t});
      t += 1 + static_cast<std::int64_t>(-std::log(open_uniform(rng)) * kMeanGap);
    }
  }
}

void SyntheticGenerator::generate(const Sink& sink, int threads, Offset chunk_ratings) const {
  const int nthreads = threads > 0 ? threads : omp_get_max_threads();
  chunk_ratings = std::max<Offset>(chunk_ratings, 1);
  // A batch is up to `nthreads` chunks of whole users, generated in parallel
  // and handed to the sink in order: output order never depends on threads.
  std::vector<std::vector<SyntheticRating>> bufs(static_cast<std::size_t>(nthreads));
  std::vector<SyntheticScratch> scratch(static_cast<std::size_t>(nthreads));
  std::vector<Index> bounds;
  Index next = 0;
  while (next < config_.users) {
    bounds.assign(1, next);
    while (next < config_.users && bounds.size() <= static_cast<std::size_t>(nthreads)) {
      Offset acc = 0;
      while (next < config_.users && acc < chunk_ratings) acc += user_ratings(next++);
      bounds.push_back(next);
    }
    const auto chunks = static_cast<int>(bounds.size() - 1);
    FirstError errors;  // the buffers grow: nothing may be thrown out of the region
#pragma omp parallel for num_threads(nthreads) schedule(static, 1) if (chunks > 1)
    for (int b = 0; b < chunks; ++b) {
      errors.run([&] {
        auto& buf = bufs[static_cast<std::size_t>(b)];
        buf.clear();
        generate_users(bounds[static_cast<std::size_t>(b)], bounds[static_cast<std::size_t>(b) + 1], buf,
                       scratch[static_cast<std::size_t>(b)]);
      });
    }
    errors.rethrow();
    for (int b = 0; b < chunks; ++b) sink(bufs[static_cast<std::size_t>(b)]);
  }
}

}  // namespace hpcrec::math
