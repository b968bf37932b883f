#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <vector>

#include "src/rng.hpp"

using namespace hpcrec::math;

TEST(Rng, HashIsAPureFunctionOfItsThreeWords) {
  EXPECT_EQ(hash64(1, 2, 3), hash64(1, 2, 3));
  EXPECT_NE(hash64(1, 2, 3), hash64(2, 2, 3));
  EXPECT_NE(hash64(1, 2, 3), hash64(1, 3, 3));
  EXPECT_NE(hash64(1, 2, 3), hash64(1, 2, 4));
  // Swapping words must not collide: the words play different roles.
  EXPECT_NE(hash64(1, 2, 3), hash64(3, 2, 1));
  EXPECT_NE(hash64(0, 0, 0), 0u);
}

// Full avalanche: flipping any one input bit flips each output bit with
// probability ~1/2, so on average ~32 of 64 output bits change.
TEST(Rng, FlippingOneInputBitFlipsHalfTheOutputBits) {
  for (int word = 0; word < 3; ++word) {
    double total = 0;
    int samples = 0;
    for (std::uint64_t c = 0; c < 200; ++c) {
      for (int bit = 0; bit < 64; ++bit) {
        std::uint64_t in[3] = {c * 7 + 11, c + 3, c * 13};
        const std::uint64_t a = hash64(in[0], in[1], in[2]);
        in[word] ^= std::uint64_t{1} << bit;
        const std::uint64_t b = hash64(in[0], in[1], in[2]);
        total += std::popcount(a ^ b);
        ++samples;
      }
    }
    EXPECT_NEAR(total / samples, 32.0, 0.3) << "input word " << word;
  }
}

TEST(Rng, UniformIsInUnitIntervalWithTheRightMoments) {
  const int n = 200000;
  double sum = 0, sum2 = 0;
  for (int i = 0; i < n; ++i) {
    const double u = uniform01(42, 1, static_cast<std::uint64_t>(i));
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
    sum2 += u * u;
  }
  const double mean = sum / n;
  EXPECT_NEAR(mean, 0.5, 0.005);
  EXPECT_NEAR(sum2 / n - mean * mean, 1.0 / 12.0, 0.002);
}

TEST(Rng, StandardNormalHasZeroMeanAndUnitVariance) {
  const int n = 200000;
  double sum = 0, sum2 = 0;
  int beyond_two_sigma = 0;
  for (int i = 0; i < n; ++i) {
    const double z = standard_normal(7, 2, static_cast<std::uint64_t>(i));
    ASSERT_TRUE(std::isfinite(z));
    sum += z;
    sum2 += z * z;
    beyond_two_sigma += std::fabs(z) > 2.0;
  }
  EXPECT_NEAR(sum / n, 0.0, 0.01);
  EXPECT_NEAR(sum2 / n, 1.0, 0.02);
  EXPECT_NEAR(static_cast<double>(beyond_two_sigma) / n, 0.0455, 0.003);
}

TEST(Rng, FactorRowsDependOnlyOnSeedStreamAndRowId) {
  std::vector<double> a(8), b(8), prefix(3);
  init_factor_row(5, RngStream::kUserFactors, 1234, a, 0.1);
  init_factor_row(5, RngStream::kUserFactors, 1234, b, 0.1);
  init_factor_row(5, RngStream::kUserFactors, 1234, prefix, 0.1);
  EXPECT_EQ(a, b);
  // Element j uses counter row_id * 2^20 + j, whatever the row's length.
  for (std::size_t j = 0; j < prefix.size(); ++j) EXPECT_EQ(prefix[j], a[j]);
  for (std::size_t j = 0; j < a.size(); ++j) {
    const std::uint64_t counter = (std::uint64_t{1234} << 20) + j;
    EXPECT_EQ(a[j], 0.1 * standard_normal(5, static_cast<std::uint64_t>(RngStream::kUserFactors), counter));
  }
  init_factor_row(5, RngStream::kItemFactors, 1234, b, 0.1);
  EXPECT_NE(a, b);
  init_factor_row(5, RngStream::kUserFactors, 1235, b, 0.1);
  EXPECT_NE(a, b);
}

TEST(Rng, CounterRngWalksTheCounterInOrder) {
  CounterRng rng(9, 4);
  for (std::uint64_t c = 0; c < 5; ++c) EXPECT_EQ(rng.next_u64(), hash64(9, 4, c));
  CounterRng normal(9, 4);
  const int n = 100000;
  double sum = 0, sum2 = 0;
  for (int i = 0; i < n; ++i) {
    const double z = normal.next_normal();
    sum += z;
    sum2 += z * z;
  }
  EXPECT_NEAR(sum / n, 0.0, 0.015);
  EXPECT_NEAR(sum2 / n, 1.0, 0.03);
}

TEST(Rng, ACounterStreamGivesTheSameBitsAsTheFreeFunctions) {
  const hpcrec::math::CounterStream s(7, 123);
  for (std::uint64_t c : {0ULL, 1ULL, 2ULL, 1000003ULL, (1ULL << 40) + 5}) {
    EXPECT_EQ(s.at(c), hpcrec::math::hash64(7, 123, c));
    EXPECT_EQ(s.normal(c), hpcrec::math::standard_normal(7, 123, c));
  }
}
