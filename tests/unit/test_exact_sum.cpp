#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>
#include <vector>

#include "src/exact_sum.hpp"

using namespace hpcrec::math;

namespace {

std::vector<double> mixed_terms(int n, unsigned seed) {
  std::mt19937_64 gen(seed);
  std::uniform_real_distribution<double> mantissa(-1.0, 1.0);
  std::uniform_int_distribution<int> exponent(-12, 30);
  std::vector<double> terms(n);
  for (double& t : terms) t = std::ldexp(mantissa(gen), exponent(gen));
  return terms;
}

double sum_of(const std::vector<double>& terms) {
  ExactSum s;
  for (double t : terms) s.add(t);
  return s.value();
}

}  // namespace

TEST(ExactSum, ShuffledTermsGiveABitwiseEqualSum) {
  std::vector<double> terms = mixed_terms(20000, 1);
  const double reference = sum_of(terms);
  std::mt19937 gen(2);
  for (int round = 0; round < 5; ++round) {
    std::shuffle(terms.begin(), terms.end(), gen);
    EXPECT_EQ(sum_of(terms), reference);  // bitwise, not approximately
  }
  // And it is the right sum, up to one 2^-40 rounding per term.
  long double naive = 0;
  for (double t : terms) naive += t;
  EXPECT_NEAR(reference, static_cast<double>(naive), 20000 * 0x1.0p-40);
}

TEST(ExactSum, AnyPartitionMergedInAnyOrderGivesTheSameSum) {
  const std::vector<double> terms = mixed_terms(10000, 3);
  const double reference = sum_of(terms);
  for (int parts : {2, 3, 4, 7}) {
    std::vector<ExactSum> partial(parts);
    for (std::size_t i = 0; i < terms.size(); ++i) partial[i * parts / terms.size()].add(terms[i]);
    ExactSum forward, backward;
    for (int p = 0; p < parts; ++p) forward.merge(partial[p]);
    for (int p = parts - 1; p >= 0; --p) backward.merge(partial[p]);
    EXPECT_EQ(forward.value(), reference) << parts << " parts";
    EXPECT_EQ(backward.value(), reference) << parts << " parts";
  }
}

TEST(ExactSum, RepresentableValuesAreExact) {
  ExactSum s;
  EXPECT_EQ(s.value(), 0.0);
  s.add(1.0);
  s.add(-2.5);
  s.add(0x1.0p-40);
  EXPECT_EQ(s.value(), -1.5 + 0x1.0p-40);
  // Below the resolution a term rounds to the nearest multiple of 2^-40.
  ExactSum tiny;
  tiny.add(0x1.0p-42);
  EXPECT_EQ(tiny.value(), 0.0);
  tiny.add(0x1.8p-40);  // 1.5 units: a tie, rounds to even (2 units)
  EXPECT_EQ(tiny.value(), 0x1.0p-39);
}

// Terms beyond 2^63 / 2^40 cannot go through a 64-bit integer; they must still
// be exact, and cancel exactly.
TEST(ExactSum, LargeTermsAreHandledExactly) {
  ExactSum s;
  s.add(1e20);
  s.add(1.0);
  s.add(-1e20);
  EXPECT_EQ(s.value(), 1.0);
  ExactSum big;
  big.add(0x1.0p80);
  big.add(0x1.0p80);
  big.add(-0x1.8p75);
  EXPECT_EQ(big.value(), 0x1.0p81 - 0x1.8p75);
  ExactSum neg;
  neg.add(-0x1.23456789abcdep70);
  EXPECT_EQ(neg.value(), -0x1.23456789abcdep70);
}

TEST(ExactSum, RejectsNonFiniteAndOverflowingTerms) {
  ExactSum s;
  EXPECT_THROW(s.add(std::nan("")), std::domain_error);
  EXPECT_THROW(s.add(INFINITY), std::domain_error);
  EXPECT_THROW(s.add(0x1.0p90), std::overflow_error);
  EXPECT_EQ(s.value(), 0.0);
}

TEST(ExactSum, WordsRoundTrip) {
  for (double x : {0.0, 1.0, -1.0, 123456.789, -0x1.0p-40, 0x1.0p70, -0x1.fp80}) {
    ExactSum s;
    s.add(x);
    const ExactSum back = ExactSum::from_words(s.low_word(), s.high_word());
    EXPECT_EQ(back.value(), s.value()) << x;
    EXPECT_EQ(back.low_word(), s.low_word());
    EXPECT_EQ(back.high_word(), s.high_word());
  }
  ExactSum minus_one_unit;
  minus_one_unit.add(-0x1.0p-40);
  // Two's complement across the words: -1 is all ones.
  EXPECT_EQ(minus_one_unit.low_word(), ~std::uint64_t{0});
  EXPECT_EQ(minus_one_unit.high_word(), -1);
  ExactSum two_pow_64_units;
  two_pow_64_units.add(0x1.0p24);  // 2^24 * 2^40 = 2^64 units
  EXPECT_EQ(two_pow_64_units.low_word(), 0u);
  EXPECT_EQ(two_pow_64_units.high_word(), 1);
}
