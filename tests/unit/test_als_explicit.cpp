// See src/normal_equation.cpp: GCC 12 false positives inside inlined Eigen kernels.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <gtest/gtest.h>

#include <Eigen/QR>
#include <random>
#include <vector>

#include "src/als_explicit.hpp"
#include "tests/unit/random_matrix.hpp"

using namespace hpcrec::math;

namespace {

CsrView view_of(const CsrBlock& b) { return {b.indptr, b.cols, b.values}; }

Matrix random_factors(int rows, int k, unsigned seed) {
  return hpcrec::testing::random_normal(rows, k, seed, 0.5);
}

// `rows` rows over `cols` columns, each rated with probability `density`,
// some rows deliberately empty.
CsrBlock random_block(int rows, int cols, double density, unsigned seed) {
  std::mt19937_64 gen(seed);
  std::bernoulli_distribution rated(density);
  std::uniform_int_distribution<int> stars(1, 5);
  std::vector<Rating> ratings;
  for (int r = 0; r < rows; ++r) {
    if (r % 17 == 5) continue;
    for (int c = 0; c < cols; ++c) {
      if (rated(gen)) ratings.push_back({r, c, static_cast<float>(stars(gen))});
    }
  }
  return build_csr(ratings, 0, rows, /*by_item=*/false);
}

// The row's minimiser written directly as a regularised least-squares
// problem, min |Z w - t|^2 + w^T R w = min |[Z; sqrt(R)] w - [t; 0]|^2, and
// solved by Householder QR: no normal equations, no Cholesky.
Vector direct_solution(const CsrBlock& block, Index row, const Matrix& src, const Vector& src_bias,
                       const ExplicitAlsConfig& c) {
  const auto k = static_cast<int>(src.cols());
  const auto n = static_cast<int>(block.row_nnz(row));
  const double s = c.weighted_lambda ? n : 1.0;
  ColMatrix aug = ColMatrix::Zero(n + k + 1, k + 1);
  Vector rhs = Vector::Zero(n + k + 1);
  for (int j = 0; j < n; ++j) {
    const Index col = block.row_cols(row)[j];
    aug.row(j).head(k) = src.row(col);
    aug(j, k) = 1.0;
    rhs[j] = block.row_values(row)[j] - c.global_mean - src_bias[col];
  }
  for (int f = 0; f < k; ++f) aug(n + f, f) = std::sqrt(c.lambda * s);
  aug(n + k, k) = std::sqrt(c.bias_lambda * s);
  return aug.householderQr().solve(rhs);
}

struct Solved {
  Matrix factors;
  Vector bias;
};

Solved solve(const CsrBlock& block, const Matrix& src, const Vector& src_bias, const ExplicitAlsConfig& c) {
  Solved out{Matrix::Constant(block.rows(), src.cols(), 7.0), Vector::Constant(block.rows(), 7.0)};
  solve_explicit_rows(view_of(block), src, src_bias, c, out.factors, out.bias);
  return out;
}

}  // namespace

TEST(ExplicitAls, TinyCaseMatchesTheDirectLeastSquaresSolution) {
  // Three user rows over four items, k = 2; user 1 has no ratings.
  const std::vector<Rating> ratings = {{0, 0, 4}, {0, 2, 1}, {0, 3, 5}, {2, 1, 3}, {2, 2, 2}};
  const CsrBlock block = build_csr(ratings, 0, 3, false);
  const Matrix items = random_factors(4, 2, 1);
  const Vector item_bias{{0.2, -0.1, 0.4, 0.0}};
  for (bool weighted : {true, false}) {
    ExplicitAlsConfig c;
    c.lambda = 0.3;
    c.bias_lambda = 0.05;
    c.weighted_lambda = weighted;
    c.global_mean = 3.0;
    const Solved got = solve(block, items, item_bias, c);
    for (Index row : {0, 2}) {
      const Vector want = direct_solution(block, row, items, item_bias, c);
      EXPECT_TRUE(got.factors.row(row).transpose().isApprox(want.head(2), 1e-12)) << "row " << row;
      EXPECT_NEAR(got.bias[row], want[2], 1e-12) << "row " << row;
    }
  }
}

// A long row (many chunks of the rank update) against the same direct formula.
TEST(ExplicitAls, LongRowMatchesTheDirectLeastSquaresSolution) {
  const CsrBlock block = random_block(2, 1500, 0.8, 8);
  const Matrix items = random_factors(1500, 40, 9);
  const Vector item_bias = random_factors(1500, 1, 10).col(0);
  ExplicitAlsConfig c;
  c.lambda = 0.05;
  c.bias_lambda = 0.02;
  c.global_mean = 3.0;
  const Solved got = solve(block, items, item_bias, c);
  for (Index row : {0, 1}) {
    ASSERT_GT(block.row_nnz(row), 1000);
    const Vector want = direct_solution(block, row, items, item_bias, c);
    EXPECT_TRUE(got.factors.row(row).transpose().isApprox(want.head(40), 1e-11)) << "row " << row;
    EXPECT_NEAR(got.bias[row], want[40], 1e-11) << "row " << row;
  }
}

// The caller's layout: factors and bias interleaved in one row-major
// (rows x (k+1)) gathered block, passed as views. k = 64 pads d = 65 to 72, k
// = 7 needs no padding, k = 13 pads both; a 700-rating row spans many chunks.
// Views and copies must give bitwise the same result, and both must match
// the direct least-squares solution.
TEST(ExplicitAls, StridedViewsOfAGatheredBlockMatchCopiesAndTheDirectSolution) {
  for (int k : {64, 7, 13}) {
    const CsrBlock block = random_block(40, 900, 0.05, 11);
    std::vector<Rating> ratings;
    for (Index r = 0; r < block.rows(); ++r) {
      for (Offset p = block.indptr[r]; p < block.indptr[r + 1]; ++p)
        ratings.push_back({r, block.cols[p], block.values[p]});
    }
    for (Index c = 0; c < 700; ++c) ratings.push_back({40, c, static_cast<float>(1 + c % 5)});
    const CsrBlock with_long = build_csr(ratings, 0, 41, false);
    const Matrix gathered = random_factors(900, k + 1, 12);
    const Matrix items = gathered.leftCols(k);
    const Vector item_bias = gathered.col(k);
    ExplicitAlsConfig c;
    c.lambda = 0.05;
    c.bias_lambda = 0.02;
    c.global_mean = 3.0;
    c.threads = 2;
    const Solved copies = solve(with_long, items, item_bias, c);
    Solved views{Matrix(with_long.rows(), k), Vector(with_long.rows())};
    solve_explicit_rows(view_of(with_long), gathered.leftCols(k), gathered.col(k), c, views.factors,
                        views.bias);
    EXPECT_EQ(views.factors, copies.factors) << "k " << k;
    EXPECT_EQ(views.bias, copies.bias) << "k " << k;
    for (Index row : {0, 3, 40}) {
      if (with_long.row_nnz(row) == 0) continue;
      const Vector want = direct_solution(with_long, row, items, item_bias, c);
      EXPECT_TRUE(views.factors.row(row).transpose().isApprox(want.head(k), 1e-10))
          << "k " << k << " row " << row;
      EXPECT_NEAR(views.bias[row], want[k], 1e-10) << "k " << k << " row " << row;
    }
  }
}

TEST(ExplicitAls, RowWithoutRatingsGetsZeros) {
  const std::vector<Rating> ratings = {{0, 1, 4}, {2, 0, 2}};
  const CsrBlock block = build_csr(ratings, 0, 3, false);
  const Solved got = solve(block, random_factors(2, 3, 2), Vector::Ones(2), ExplicitAlsConfig{});
  EXPECT_EQ(got.factors.row(1), Eigen::RowVectorXd::Zero(3));  // the 7.0 fill was overwritten
  EXPECT_EQ(got.bias[1], 0.0);
  EXPECT_NE(got.factors.row(0), Eigen::RowVectorXd::Zero(3));
}

TEST(ExplicitAls, ResultIsBitwiseIndependentOfThreadsAndOfTheOtherRows) {
  const CsrBlock block = random_block(300, 120, 0.15, 3);
  const Matrix items = random_factors(120, 17, 4);  // odd k: unaligned columns in the gathered block
  const Vector item_bias = random_factors(120, 1, 5).col(0);
  ExplicitAlsConfig c;
  c.global_mean = 3.5;
  c.bias_lambda = 0.01;
  c.threads = 1;
  const Solved one = solve(block, items, item_bias, c);
  c.threads = 2;
  const Solved two = solve(block, items, item_bias, c);
  EXPECT_EQ(one.factors, two.factors);
  EXPECT_EQ(one.bias, two.bias);

  // Rows 100..149 as a block of their own (different longest row, buffers,
  // schedule) must come out bitwise the same.
  std::vector<Rating> part;
  for (Index r = 100; r < 150; ++r) {
    for (Offset p = block.indptr[r]; p < block.indptr[r + 1]; ++p) {
      part.push_back({r - 100, block.cols[p], block.values[p]});
    }
  }
  const Solved sub = solve(build_csr(part, 0, 50, false), items, item_bias, c);
  EXPECT_EQ(sub.factors, one.factors.middleRows(100, 50));
  EXPECT_EQ(sub.bias, one.bias.segment(100, 50));
}

TEST(ExplicitAls, WeightedLambdaScalesRegularisationByTheRowCount) {
  // Row 0 has 3 ratings, row 1 has 1: ALS-WR regularises them with 3 lambda
  // and 1 lambda, plain lambda with lambda for both.
  const std::vector<Rating> ratings = {{0, 0, 5}, {0, 1, 3}, {0, 2, 4}, {1, 1, 2}};
  const CsrBlock block = build_csr(ratings, 0, 2, false);
  const Matrix items = random_factors(3, 4, 6);
  const Vector item_bias = Vector::Zero(3);
  ExplicitAlsConfig wr;
  wr.lambda = 0.2;
  wr.bias_lambda = 0.1;
  wr.weighted_lambda = true;
  ExplicitAlsConfig plain = wr;
  plain.weighted_lambda = false;
  const Solved got_wr = solve(block, items, item_bias, wr);
  const Solved got_plain = solve(block, items, item_bias, plain);
  // A row with one rating is regularised identically under both.
  EXPECT_EQ(got_wr.factors.row(1), got_plain.factors.row(1));
  EXPECT_EQ(got_wr.bias[1], got_plain.bias[1]);
  // With 3 ratings ALS-WR is plain lambda with lambda * 3 ...
  ExplicitAlsConfig plain3 = plain;
  plain3.lambda = wr.lambda * 3.0;
  plain3.bias_lambda = wr.bias_lambda * 3.0;
  const Solved got_plain3 = solve(block, items, item_bias, plain3);
  EXPECT_EQ(got_wr.factors.row(0), got_plain3.factors.row(0));
  EXPECT_EQ(got_wr.bias[0], got_plain3.bias[0]);
  // ... so it shrinks harder than plain lambda.
  EXPECT_LT(got_wr.factors.row(0).norm(), got_plain.factors.row(0).norm());
}

TEST(ExplicitAls, FlopCountFollowsTheDocumentedFormula) {
  const std::vector<Rating> ratings = {{0, 0, 5}, {0, 1, 3}, {2, 1, 2}};
  const CsrBlock block = build_csr(ratings, 0, 3, false);
  const int k = 4;
  const double d = k + 1;
  const auto row = [&](double n) { return n * d * (d + 1) + 2 * n * d + d * d * d / 3 + 2 * d * d; };
  EXPECT_DOUBLE_EQ(explicit_rows_flops(view_of(block), k), row(2) + row(1));  // the empty row costs nothing
}

TEST(ExplicitAls, RejectsMisSizedOutputs) {
  const std::vector<Rating> ratings = {{0, 0, 5}};
  const CsrBlock block = build_csr(ratings, 0, 1, false);
  Matrix factors(2, 3);
  Vector bias(1);
  EXPECT_THROW(solve_explicit_rows(view_of(block), random_factors(1, 3, 7), Vector::Zero(1),
                                   ExplicitAlsConfig{}, factors, bias),
               std::invalid_argument);
}

// --- conjugate gradient ----------------------------------------------------

namespace {

ExplicitAlsConfig cg_config(int steps) {
  ExplicitAlsConfig c;
  c.lambda = 0.1;
  c.bias_lambda = 0.05;
  c.global_mean = 3.5;
  c.solver = SolverKind::kConjugateGradient;
  c.cg_steps = steps;
  return c;
}

// Solves from a warm start (zero unless given).
Solved solve_cg(const CsrBlock& block, const Matrix& src, const Vector& src_bias, const ExplicitAlsConfig& c,
                const Solved* warm = nullptr) {
  Solved out = warm ? *warm : Solved{Matrix::Zero(block.rows(), src.cols()), Vector::Zero(block.rows())};
  solve_explicit_rows(view_of(block), src, src_bias, c, out.factors, out.bias);
  return out;
}

}  // namespace

TEST(ExplicitAlsCg, EnoughStepsReachTheDirectSolution) {
  // d = k + 1 = 6 unknowns: in exact arithmetic CG is exact after 6 steps;
  // 12 leave only the float32 rounding of the passes (relative ~1e-6).
  const CsrBlock block = random_block(40, 30, 0.4, 11);
  const Matrix items = random_factors(30, 5, 12);
  const Vector item_bias = random_factors(30, 1, 13).col(0);
  const ExplicitAlsConfig c = cg_config(12);
  const Solved got = solve_cg(block, items, item_bias, c);
  for (Index r = 0; r < block.rows(); ++r) {
    if (block.row_nnz(r) == 0) {
      EXPECT_EQ(got.factors.row(r).norm() + std::abs(got.bias[r]), 0.0);
      continue;
    }
    const Vector want = direct_solution(block, r, items, item_bias, c);
    for (int f = 0; f < 5; ++f) EXPECT_NEAR(got.factors(r, f), want[f], 1e-4 * (1.0 + want.norm())) << r;
    EXPECT_NEAR(got.bias[r], want[5], 1e-4 * (1.0 + want.norm())) << r;
  }
}

TEST(ExplicitAlsCg, WarmStartRefinesSweepBySweep) {
  // Three steps from zero are approximate; repeated sweeps from the previous
  // result converge to the exact solution (the counterpart side fixed).
  const CsrBlock block = random_block(50, 80, 0.3, 14);
  const Matrix items = random_factors(80, 16, 15);
  const Vector item_bias = random_factors(80, 1, 16).col(0);
  const ExplicitAlsConfig c = cg_config(3);
  ExplicitAlsConfig exact = c;
  exact.solver = SolverKind::kCholesky;
  const Solved want = solve(block, items, item_bias, exact);
  Solved got = solve_cg(block, items, item_bias, c);
  double previous = (got.factors - want.factors).norm() + (got.bias - want.bias).norm();
  for (int sweep = 0; sweep < 6; ++sweep) {
    got = solve_cg(block, items, item_bias, c, &got);
    const double err = (got.factors - want.factors).norm() + (got.bias - want.bias).norm();
    EXPECT_LE(err, previous) << "sweep " << sweep;
    previous = err;
  }
  EXPECT_LT(previous, 1e-4 * (1.0 + want.factors.norm()));
}

TEST(ExplicitAlsCg, ResultIsBitwiseIndependentOfThreadsAndOfTheOtherRows) {
  const CsrBlock block = random_block(300, 120, 0.15, 3);
  const Matrix items = random_factors(120, 17, 4);
  const Vector item_bias = random_factors(120, 1, 5).col(0);
  ExplicitAlsConfig c = cg_config(3);
  const Solved warm{random_factors(300, 17, 6), random_factors(300, 1, 7).col(0)};
  c.threads = 1;
  const Solved one = solve_cg(block, items, item_bias, c, &warm);
  c.threads = 2;
  const Solved two = solve_cg(block, items, item_bias, c, &warm);
  EXPECT_EQ(one.factors, two.factors);
  EXPECT_EQ(one.bias, two.bias);
  std::vector<Rating> part;
  for (Index r = 100; r < 150; ++r)
    for (Offset p = block.indptr[r]; p < block.indptr[r + 1]; ++p)
      part.push_back({r - 100, block.cols[p], block.values[p]});
  const Solved warm_part{warm.factors.middleRows(100, 50), warm.bias.segment(100, 50)};
  const Solved sub = solve_cg(build_csr(part, 0, 50, false), items, item_bias, c, &warm_part);
  EXPECT_EQ(sub.factors, one.factors.middleRows(100, 50));
  EXPECT_EQ(sub.bias, one.bias.segment(100, 50));
}

TEST(ExplicitAlsCg, RowLongerThanOneGatherMatchesTheDirectSolution) {
  // 40000 ratings in one row at k = 4: more than one float gather holds
  // (32768 rows), so every pass re-gathers chunk by chunk.
  std::vector<Rating> ratings;
  std::mt19937_64 gen(17);
  std::uniform_int_distribution<int> stars(1, 5);
  for (int c = 0; c < 40000; ++c) ratings.push_back({0, c, static_cast<float>(stars(gen))});
  const CsrBlock block = build_csr(ratings, 0, 1, false);
  const Matrix items = random_factors(40000, 4, 18);
  const Vector item_bias = random_factors(40000, 1, 19).col(0);
  const ExplicitAlsConfig c = cg_config(10);
  const Solved got = solve_cg(block, items, item_bias, c);
  const Vector want = direct_solution(block, 0, items, item_bias, c);
  for (int f = 0; f < 4; ++f) EXPECT_NEAR(got.factors(0, f), want[f], 1e-4 * (1.0 + want.norm()));
  EXPECT_NEAR(got.bias[0], want[4], 1e-4 * (1.0 + want.norm()));
}

TEST(ExplicitAlsCg, TrainingErrorOfTheNewFactorsIsSummedOnTheWay) {
  const CsrBlock block = random_block(60, 50, 0.3, 20);
  const Matrix items = random_factors(50, 8, 21);
  const Vector item_bias = random_factors(50, 1, 22).col(0);
  ExplicitAlsConfig c = cg_config(3);
  c.clip_min = 1.0;
  c.clip_max = 5.0;
  ExactErrorSums sums;
  c.train_errors = &sums;
  const Solved got = solve_cg(block, items, item_bias, c);
  // Reference in double: clip(mu + b_i + b_u + x_u . y_i) - r.
  double squared = 0.0, absolute = 0.0;
  std::int64_t count = 0;
  for (Index r = 0; r < block.rows(); ++r) {
    for (Offset p = block.indptr[r]; p < block.indptr[r + 1]; ++p) {
      const Index col = block.cols[p];
      const double pred =
          c.global_mean + item_bias[col] + got.bias[r] + got.factors.row(r).dot(items.row(col));
      const double e = std::clamp(pred, 1.0, 5.0) - block.values[p];
      squared += e * e;
      absolute += std::abs(e);
      ++count;
    }
  }
  EXPECT_EQ(sums.count, count);
  EXPECT_NEAR(sums.squared.value(), squared, 1e-5 * squared);
  EXPECT_NEAR(sums.absolute.value(), absolute, 1e-5 * absolute);
  // The same sums at 2 threads (exact sums: the same bits).
  ExactErrorSums two;
  c.train_errors = &two;
  c.threads = 2;
  solve_cg(block, items, item_bias, c);
  EXPECT_EQ(two.squared.value(), sums.squared.value());
  EXPECT_EQ(two.absolute.value(), sums.absolute.value());
}

TEST(ExplicitAlsCg, FlopCountFollowsTheDocumentedFormula) {
  const std::vector<Rating> ratings = {{0, 0, 5}, {0, 1, 3}, {2, 1, 2}};
  const CsrBlock block = build_csr(ratings, 0, 3, false);
  const int k = 4;
  const ExplicitAlsConfig c = cg_config(3);
  // (s + 1) * (nnz * (4k + 4) + solved rows * 12 d) with s = 3, nnz = 3, 2 rows solved, d = 5.
  EXPECT_DOUBLE_EQ(explicit_rows_flops(view_of(block), k, c), 4.0 * (3 * 20 + 2 * 60));
}
