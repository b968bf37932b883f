#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>
#include <stdexcept>
#include <vector>

#include "src/synthetic.hpp"

using namespace hpcrec::math;

namespace {

SyntheticConfig small_config(std::uint64_t seed = 7) {
  SyntheticConfig c;
  c.users = 600;
  c.items = 300;
  c.ratings = 30000;
  c.seed = seed;
  return c;
}

std::vector<SyntheticRating> collect(const SyntheticGenerator& gen, int threads = 1, Offset chunk = 1 << 18) {
  std::vector<SyntheticRating> all;
  gen.generate([&](std::span<const SyntheticRating> c) { all.insert(all.end(), c.begin(), c.end()); },
               threads, chunk);
  return all;
}

bool same(const std::vector<SyntheticRating>& a, const std::vector<SyntheticRating>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const auto& x, const auto& y) {
    return x.user == y.user && x.item == y.item && x.value == y.value && x.timestamp == y.timestamp;
  });
}

double correlation(const std::vector<double>& x, const std::vector<double>& y) {
  const auto n = static_cast<double>(x.size());
  double mx = 0, my = 0;
  for (std::size_t i = 0; i < x.size(); ++i) mx += x[i], my += y[i];
  mx /= n;
  my /= n;
  double sxy = 0, sxx = 0, syy = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  return sxy / std::sqrt(sxx * syy);
}

// The structural promises every stream must keep, whatever the sizes.
void expect_well_formed(const SyntheticGenerator& gen, const std::vector<SyntheticRating>& all) {
  const SyntheticConfig& c = gen.config();
  ASSERT_EQ(static_cast<Offset>(all.size()), c.ratings);
  std::set<std::pair<Index, Index>> pairs;
  std::vector<Offset> per_user(static_cast<std::size_t>(c.users), 0);
  for (std::size_t j = 0; j < all.size(); ++j) {
    const auto& r = all[j];
    ASSERT_GE(r.user, 0);
    ASSERT_LT(r.user, c.users);
    ASSERT_GE(r.item, 0);
    ASSERT_LT(r.item, c.items);
    ASSERT_GE(r.value, 1);
    if (!c.counts) {
      ASSERT_LE(r.value, 5);
    }
    ASSERT_TRUE(pairs.insert({r.user, r.item}).second) << "duplicate (" << r.user << ", " << r.item << ")";
    ++per_user[static_cast<std::size_t>(r.user)];
    if (j > 0) {
      ASSERT_LE(all[j - 1].user, r.user) << "users out of order";
      if (all[j - 1].user == r.user) {
        ASSERT_LT(all[j - 1].item, r.item);
        ASSERT_LT(all[j - 1].timestamp, r.timestamp);
      }
    }
    ASSERT_GE(r.timestamp, 1000000000);
  }
  const Offset lo = c.ratings >= c.users ? 1 : 0;
  for (Index u = 0; u < c.users; ++u) {
    EXPECT_EQ(per_user[static_cast<std::size_t>(u)], gen.user_ratings(u));
    EXPECT_GE(gen.user_ratings(u), lo);
    EXPECT_LE(gen.user_ratings(u), c.items);
  }
}

}  // namespace

TEST(Synthetic, SameSeedSameStreamOtherSeedOtherStream) {
  const SyntheticGenerator a(small_config(7)), b(small_config(7)), other(small_config(8));
  const auto ra = collect(a), rb = collect(b), ro = collect(other);
  EXPECT_TRUE(same(ra, rb));
  EXPECT_FALSE(same(ra, ro));
}

TEST(Synthetic, StreamDoesNotDependOnThreadsOrChunking) {
  const SyntheticGenerator gen(small_config());
  const auto ref = collect(gen, 1);
  EXPECT_TRUE(same(ref, collect(gen, 4, 1000)));
  EXPECT_TRUE(same(ref, collect(gen, 3, 1)));
  // Users generated on their own give the same ratings as in the stream.
  std::vector<SyntheticRating> part;
  SyntheticScratch scratch;
  gen.generate_users(100, 200, part, scratch);
  const auto first = std::find_if(ref.begin(), ref.end(), [](const auto& r) { return r.user >= 100; });
  const auto last = std::find_if(ref.begin(), ref.end(), [](const auto& r) { return r.user >= 200; });
  EXPECT_TRUE(same(part, std::vector<SyntheticRating>(first, last)));
}

TEST(Synthetic, ChunksAreWholeUsersOfBoundedSize) {
  const SyntheticGenerator gen(small_config());
  Offset total = 0;
  Index last_user = -1;
  gen.generate(
      [&](std::span<const SyntheticRating> c) {
        ASSERT_FALSE(c.empty());
        EXPECT_GT(c.front().user, last_user);  // a user never spans two chunks
        last_user = c.back().user;
        EXPECT_LT(static_cast<Offset>(c.size()), 1000 + gen.config().items);
        total += static_cast<Offset>(c.size());
      },
      2, 1000);
  EXPECT_EQ(total, gen.config().ratings);
}

TEST(Synthetic, WellFormed) {
  const SyntheticGenerator gen(small_config());
  expect_well_formed(gen, collect(gen));
}

TEST(Synthetic, WellFormedAtTheExtremes) {
  SyntheticConfig full = small_config();
  full.users = 40;
  full.items = 25;
  full.ratings = 40 * 25;  // every cell
  SyntheticGenerator gen_full(full);
  expect_well_formed(gen_full, collect(gen_full));

  SyntheticConfig dense = full;
  dense.ratings = 40 * 25 - 7;  // most users near the cap: the key-sampling path
  SyntheticGenerator gen_dense(dense);
  expect_well_formed(gen_dense, collect(gen_dense, 2));

  SyntheticConfig sparse = small_config();
  sparse.ratings = 250;  // fewer ratings than users: some users get none
  SyntheticGenerator gen_sparse(sparse);
  expect_well_formed(gen_sparse, collect(gen_sparse));

  SyntheticConfig one = small_config();
  one.users = 1;
  one.items = 1;
  one.ratings = 1;
  SyntheticGenerator gen_one(one);
  expect_well_formed(gen_one, collect(gen_one));
}

TEST(Synthetic, RejectsImpossibleConfigs) {
  SyntheticConfig c = small_config();
  c.ratings = static_cast<Offset>(c.users) * c.items + 1;
  EXPECT_THROW(SyntheticGenerator{c}, std::invalid_argument);
  c = small_config();
  c.users = 0;
  EXPECT_THROW(SyntheticGenerator{c}, std::invalid_argument);
  c = small_config();
  c.rank = 0;
  EXPECT_THROW(SyntheticGenerator{c}, std::invalid_argument);
  c = small_config();
  c.noise = -1;
  EXPECT_THROW(SyntheticGenerator{c}, std::invalid_argument);
}

TEST(Synthetic, PopularityAndActivityAreSkewed) {
  SyntheticConfig c = small_config();
  c.users = 2000;
  c.items = 1000;
  c.ratings = 60000;
  const SyntheticGenerator gen(c);
  std::vector<Offset> per_item(static_cast<std::size_t>(c.items), 0);
  for (const auto& r : collect(gen)) ++per_item[static_cast<std::size_t>(r.item)];
  std::vector<Offset> sorted = per_item;
  std::sort(sorted.rbegin(), sorted.rend());
  Offset top = 0;
  for (std::size_t i = 0; i < sorted.size() / 10; ++i) top += sorted[i];
  // Uniform popularity would give the top 10% about 10%.
  EXPECT_GT(static_cast<double>(top) / static_cast<double>(c.ratings), 0.4);
  // The most popular items are spread over the id range, not all at low ids.
  Offset low_half = 0;
  for (std::size_t i = 0; i < per_item.size() / 2; ++i) low_half += per_item[i];
  EXPECT_GT(static_cast<double>(low_half) / static_cast<double>(c.ratings), 0.2);
  EXPECT_LT(static_cast<double>(low_half) / static_cast<double>(c.ratings), 0.8);

  std::vector<Offset> activity(static_cast<std::size_t>(c.users));
  for (Index u = 0; u < c.users; ++u) activity[static_cast<std::size_t>(u)] = gen.user_ratings(u);
  std::sort(activity.begin(), activity.end());
  EXPECT_GT(activity.back(), 10 * activity[activity.size() / 2]);  // heavy users exist
}

TEST(Synthetic, PlantedSignalIsLearnable) {
  SyntheticConfig c = small_config();
  c.users = 1500;
  c.items = 500;
  c.ratings = 60000;
  const SyntheticGenerator gen(c);
  const auto all = collect(gen);
  std::vector<double> value, planted, residual, dot;
  double sum = 0, sumsq = 0;
  for (const auto& r : all) {
    const double v = r.value;
    sum += v;
    sumsq += v * v;
    const double p = gen.planted_score(r.user, r.item);
    const double biases = c.mean + gen.user_bias(r.user) + gen.item_bias(r.item);
    value.push_back(v);
    planted.push_back(p);
    residual.push_back(v - biases);
    dot.push_back(p - biases);
  }
  const double n = static_cast<double>(all.size());
  const double mean = sum / n, sd = std::sqrt(sumsq / n - mean * mean);
  EXPECT_NEAR(mean, 3.55, 0.25);  // MovieLens-like
  EXPECT_GT(sd, 0.9);
  EXPECT_LT(sd, 1.3);
  // The rating follows the planted score up to noise, rounding and clipping.
  EXPECT_GT(correlation(value, planted), 0.8);
  // What a bias-only model leaves over is mostly the low-rank part, so a
  // factor model can clearly beat the bias baseline.
  EXPECT_GT(correlation(residual, dot), 0.7);
}

TEST(Synthetic, CountsAreHeavyTailedPositiveIntegers) {
  SyntheticConfig c = small_config();
  c.users = 2000;
  c.items = 1000;
  c.ratings = 60000;
  const SyntheticConfig e = c;
  c.counts = true;
  const SyntheticGenerator gen(c), explicit_gen(e);
  const auto all = collect(gen);
  expect_well_formed(gen, all);  // among others: every value >= 1 (integers by type)
  // Deterministic, for any thread count and chunking.
  EXPECT_TRUE(same(all, collect(SyntheticGenerator(c))));
  EXPECT_TRUE(same(all, collect(gen, 4, 1000)));
  EXPECT_TRUE(same(all, collect(gen, 3, 1)));
  c.seed = 8;
  EXPECT_FALSE(same(all, collect(SyntheticGenerator(c))));

  // The explicit data's users and timestamps (other items, other values).
  const auto ratings = collect(explicit_gen);
  ASSERT_EQ(ratings.size(), all.size());
  for (std::size_t j = 0; j < all.size(); ++j) {
    ASSERT_EQ(all[j].user, ratings[j].user);
    ASSERT_EQ(all[j].timestamp, ratings[j].timestamp);
  }

  // Typical counts are small, the largest far out in the tail.
  std::vector<std::int32_t> values;
  for (const auto& r : all) values.push_back(r.value);
  std::sort(values.begin(), values.end());
  const auto at = [&](double q) {
    return values[static_cast<std::size_t>(q * static_cast<double>(values.size() - 1))];
  };
  EXPECT_LE(at(0.5), 3);
  EXPECT_LE(at(0.9), 60);
  EXPECT_GT(values.back(), 1000);
  EXPECT_GT(values.back(), 1000 * at(0.5));
  // Heavy tail: the top 1% of the counts hold a large share of the total.
  double total = 0, top = 0;
  for (std::size_t j = 0; j < values.size(); ++j) {
    total += values[j];
    if (j >= values.size() - values.size() / 100) top += values[j];
  }
  EXPECT_GT(top / total, 0.3);

  // Which items a user has follows the planted preferences (the explicit
  // data's items follow popularity alone); how much they play them, only
  // loosely.
  auto mean_dot = [](const SyntheticGenerator& g, const std::vector<SyntheticRating>& rs) {
    double sum = 0;
    for (const auto& r : rs)
      sum += g.planted_score(r.user, r.item) - g.config().mean - g.user_bias(r.user) - g.item_bias(r.item);
    return sum / static_cast<double>(rs.size());
  };
  const double dot_counts = mean_dot(gen, all), dot_ratings = mean_dot(explicit_gen, ratings);
  EXPECT_NEAR(dot_ratings, 0.0, 0.1);
  EXPECT_GT(dot_counts, 0.5);
  std::vector<double> log_count, planted;
  for (const auto& r : all) {
    log_count.push_back(std::log(static_cast<double>(r.value)));
    planted.push_back(gen.planted_score(r.user, r.item));
  }
  const double rho = correlation(log_count, planted);
  EXPECT_GT(rho, 0.05);
  EXPECT_LT(rho, 0.5);
  std::printf(
      "counts: median %d, 90%% %d, max %d, top 1%% share %.2f, mean x.y %.2f (ratings %.2f), "
      "corr(log count, planted) %.2f\n",
      at(0.5), at(0.9), values.back(), top / total, dot_counts, dot_ratings, rho);

  c.count_tail = 0;
  EXPECT_THROW(SyntheticGenerator{c}, std::invalid_argument);
  c.count_tail = 1.5;
  c.count_replay_std = -1;
  EXPECT_THROW(SyntheticGenerator{c}, std::invalid_argument);
}
