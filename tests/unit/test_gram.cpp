#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <stdexcept>
#include <vector>

#include "src/gram.hpp"
#include "tests/unit/random_matrix.hpp"

using namespace hpcrec::math;

namespace {

Matrix random_factors(int rows, int k, unsigned seed) {
  return hpcrec::testing::random_normal(rows, k, seed, 0.7);
}

// The Gram of x computed as P blocks cut at `cuts` (multiples of 16), each
// block into its own ExactGram, then merged in the given order.
ExactGram split_gram(const Matrix& x, const std::vector<Index>& cuts, bool reverse_merge) {
  std::vector<ExactGram> parts;
  Index begin = 0;
  std::vector<Index> ends = cuts;
  ends.push_back(static_cast<Index>(x.rows()));
  for (const Index end : ends) {
    ExactGram g(static_cast<int>(x.cols()));
    add_gram_chunks(x.middleRows(begin, end - begin), begin, g);
    parts.push_back(g);
    begin = end;
  }
  if (reverse_merge) std::reverse(parts.begin(), parts.end());
  ExactGram total(static_cast<int>(x.cols()));
  for (const ExactGram& p : parts) total.merge(p);
  return total;
}

}  // namespace

TEST(ExactGram, MatchesXtXAndIsSymmetric) {
  const Matrix x = random_factors(203, 7, 1);
  ExactGram g(7);
  add_gram_chunks(x, 0, g);
  const ColMatrix want = x.transpose() * x;
  const ColMatrix got = g.value();
  EXPECT_EQ(got, got.transpose());
  for (int a = 0; a < 7; ++a) {
    for (int b = 0; b < 7; ++b) EXPECT_NEAR(got(a, b), want(a, b), 1e-10) << a << "," << b;
  }
}

TEST(ExactGram, BitwiseIdenticalForAnyAlignedSplit) {
  for (const int k : {1, 7, 64}) {
    const Matrix x = random_factors(203, k, 2 + k);  // 12 full chunks and one of 11 rows
    const ColMatrix whole = split_gram(x, {}, false).value();
    const std::vector<std::vector<Index>> splits = {
        {16}, {192}, {96, 112}, {16, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192}, {0, 64, 64, 203}};
    for (const auto& cuts : splits) {
      for (const bool reverse : {false, true}) {
        const ColMatrix got = split_gram(x, cuts, reverse).value();
        // Bitwise: compare the bits, not within a tolerance.
        EXPECT_EQ(0, std::memcmp(got.data(), whole.data(), sizeof(double) * k * k))
            << k << " " << cuts.size();
      }
    }
  }
}

TEST(ExactGram, WordsAndLimbsRoundTripAndReduce) {
  const int k = 5;
  const Matrix x = random_factors(80, k, 3);
  ExactGram a(k), b(k), c(k);
  add_gram_chunks(x.topRows(32), 0, a);
  add_gram_chunks(x.middleRows(32, 16), 32, b);
  add_gram_chunks(x.bottomRows(32), 48, c);
  ExactGram merged(k);
  merged.merge(a);
  merged.merge(b);
  merged.merge(c);
  ASSERT_EQ(merged.entries(), 15u);

  const ExactGram back = ExactGram::from_words(k, a.to_words());
  EXPECT_EQ(back.to_words(), a.to_words());

  // MPI_SUM of the limb vectors, in two different orders.
  const auto la = a.to_limbs(), lb = b.to_limbs(), lc = c.to_limbs();
  std::vector<std::int64_t> s1(la.size()), s2(la.size());
  for (std::size_t i = 0; i < la.size(); ++i) {
    s1[i] = (la[i] + lb[i]) + lc[i];
    s2[i] = la[i] + (lc[i] + lb[i]);
  }
  EXPECT_EQ(ExactGram::from_limbs(k, s1).to_words(), merged.to_words());
  EXPECT_EQ(ExactGram::from_limbs(k, s2).to_words(), merged.to_words());
  EXPECT_EQ(ExactGram::from_limbs(k, merged.to_limbs()).to_words(), merged.to_words());

  // Negative entries survive the limbs too.
  ExactGram neg(1);
  neg.add(0, 0, -3.25);
  EXPECT_EQ(ExactGram::from_limbs(1, neg.to_limbs()).value()(0, 0), -3.25);
}

TEST(ExactGram, RejectsUnalignedBlocksAndWrongDimensions) {
  const Matrix x = random_factors(40, 3, 4);
  ExactGram g(3);
  EXPECT_THROW(add_gram_chunks(x.bottomRows(24), 16 + 1, g), std::invalid_argument);
  ExactGram wrong(4);
  EXPECT_THROW(add_gram_chunks(x, 0, wrong), std::invalid_argument);
  EXPECT_THROW(g.merge(wrong), std::invalid_argument);
  EXPECT_THROW(ExactGram::from_words(3, std::vector<std::uint64_t>(5)), std::invalid_argument);
  EXPECT_THROW(g.add(0, 1, 1.0), std::out_of_range);  // upper triangle
}

TEST(ExactGram, EmptyBlockAddsNothing) {
  const Matrix x(0, 4);
  ExactGram g(4);
  add_gram_chunks(x, 32, g);
  EXPECT_TRUE(g.value().isZero(0.0));
}
