// BPMF's samplers (src/bpmf.hpp, and the kernel's draw mode in
// src/als_explicit.hpp) against the distributions they must draw from.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <gtest/gtest.h>

#include <Eigen/Cholesky>
#include <Eigen/LU>
#include <cmath>
#include <vector>

#include "src/als_explicit.hpp"
#include "src/bpmf.hpp"

using namespace hpcrec::math;

namespace {

// k = 2 (d = 3), one user with 4 ratings of items with these factors and
// biases; a full (non-diagonal) prior. The system, by hand with Eigen:
// P' = Z^T Z + prior, h' = Z^T t + prior_rhs, Z rows [y_i, 1], t = r - mu - b_i.
struct SmallCase {
  Matrix y{{0.5, -0.2}, {0.1, 0.9}, {-0.7, 0.3}, {0.4, 0.4}};
  Vector yb{{0.2, -0.1, 0.0, 0.3}};
  std::vector<float> r{4.0f, 3.0f, 5.0f, 2.0f};
  double mu = 3.5;
  ColMatrix prior{{2.0, 0.3, 0.1}, {0.3, 1.5, -0.2}, {0.1, -0.2, 0.8}};
  Vector prior_rhs{{0.4, -0.3, 0.2}};

  ColMatrix system() const {
    ColMatrix z(4, 3);
    z << y, Vector::Ones(4);
    return z.transpose() * z + prior;
  }
  Vector rhs() const {
    ColMatrix z(4, 3);
    z << y, Vector::Ones(4);
    Vector t(4);
    for (int i = 0; i < 4; ++i) t[i] = r[i] - mu - yb[i];
    return z.transpose() * t + prior_rhs;
  }
  // `rows` copies of the user.
  CsrBlock block(int rows) const {
    CsrBlock b;
    for (int u = 0; u < rows; ++u) {
      for (int i = 0; i < 4; ++i) {
        b.cols.push_back(i);
        b.values.push_back(r[i]);
      }
      b.indptr.push_back(static_cast<Offset>(b.cols.size()));
    }
    return b;
  }
  ExplicitAlsConfig config() const {
    ExplicitAlsConfig c;
    c.global_mean = mu;
    c.prior = &prior;
    c.prior_rhs = &prior_rhs;
    return c;
  }
};

CsrView view_of(const CsrBlock& b) { return {b.indptr, b.cols, b.values}; }

TEST(BpmfKernel, WithoutNoiseTheRowIsThePosteriorMean) {
  SmallCase c;
  const CsrBlock b = c.block(1);
  Matrix f(1, 2);
  Vector bias(1);
  const ExplicitAlsConfig cfg = c.config();
  solve_explicit_rows(view_of(b), c.y, c.yb, cfg, f, bias);
  const Vector mean = c.system().ldlt().solve(c.rhs());
  EXPECT_NEAR(f(0, 0), mean[0], 1e-12);
  EXPECT_NEAR(f(0, 1), mean[1], 1e-12);
  EXPECT_NEAR(bias[0], mean[2], 1e-12);
}

TEST(BpmfKernel, ARowWithoutRatingsIsSolvedAgainstThePriorAlone) {
  SmallCase c;
  CsrBlock b;  // one empty row
  b.indptr.push_back(0);
  Matrix f(1, 2);
  Vector bias(1);
  const ExplicitAlsConfig cfg = c.config();
  solve_explicit_rows(view_of(b), c.y, c.yb, cfg, f, bias);
  const Vector mean = c.prior.ldlt().solve(c.prior_rhs);
  EXPECT_NEAR(f(0, 0), mean[0], 1e-12);
  EXPECT_NEAR(f(0, 1), mean[1], 1e-12);
  EXPECT_NEAR(bias[0], mean[2], 1e-12);
}

// 200000 draws with noise e * s, e ~ N(0, I): their mean must be P'^-1 h'
// and their covariance s^2 P'^-1. Tolerances: the mean's standard error is
// sqrt(var / M) (M = 200000), so 5 of them; a covariance entry's relative
// standard error is about sqrt(2 / M) = 0.3%, so 2% of the diagonal scale.
TEST(BpmfKernel, DrawsHaveThePosteriorMeanAndCovariance) {
  SmallCase c;
  const int m = 200000;
  const double s = 0.7;
  const CsrBlock b = c.block(m);
  Matrix noise(m, 3);
  fill_row_noise(7, 1, 0, 0, s, noise);
  ExplicitAlsConfig cfg = c.config();
  cfg.noise = &noise;
  cfg.threads = 2;
  Matrix f(m, 2);
  Vector bias(m);
  solve_explicit_rows(view_of(b), c.y, c.yb, cfg, f, bias);
  Matrix w(m, 3);
  w << f, bias;
  const Vector mean = c.system().ldlt().solve(c.rhs());
  const ColMatrix cov = s * s * c.system().inverse();
  const Vector got_mean = w.colwise().mean().transpose();
  const Matrix centred = w.rowwise() - got_mean.transpose();
  const ColMatrix got_cov = centred.transpose() * centred / (m - 1.0);
  for (int j = 0; j < 3; ++j) EXPECT_NEAR(got_mean[j], mean[j], 5 * std::sqrt(cov(j, j) / m)) << j;
  const double scale = cov.diagonal().maxCoeff();
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) EXPECT_NEAR(got_cov(i, j), cov(i, j), 0.02 * scale) << i << "," << j;
}

// Gamma(a, 1) has mean a and variance a; 100000 draws, 5 standard errors
// (the variance's: sqrt((m4 - var^2) / M) with m4 = 3a^2 + 6a).
TEST(BpmfSampler, GammaHasItsMeanAndVariance) {
  for (const double a : {0.5, 3.0, 50.0}) {
    CounterRng rng(11, 1);
    const int m = 100000;
    double s1 = 0, s2 = 0;
    std::vector<double> x(m);
    for (int i = 0; i < m; ++i) {
      x[i] = sample_gamma(a, rng);
      s1 += x[i];
    }
    const double mean = s1 / m;
    for (double v : x) s2 += (v - mean) * (v - mean);
    const double var = s2 / (m - 1);
    EXPECT_NEAR(mean, a, 5 * std::sqrt(a / m)) << a;
    EXPECT_NEAR(var, a, 5 * std::sqrt((3 * a * a + 6 * a - a * a) / m)) << a;
  }
}

// The hyper-parameter draw: E[L] = nu* W* and E[m] = m* (the Normal-Wishart
// posterior), for moments of 30 made-up rows of d = 3; 20000 draws, 3%.
TEST(BpmfSampler, HyperDrawsHaveThePosteriorMeans) {
  const int d = 3, n = 30;
  RowMoments mo;
  mo.n = n;
  mo.sum = Vector::Zero(d);
  mo.sum_sq = ColMatrix::Zero(d, d);
  CounterRng rows(3, 3);
  for (int r = 0; r < n; ++r) {
    Vector w(d);
    for (int j = 0; j < d; ++j) w[j] = 0.5 * j + rows.next_normal() * (0.3 + 0.2 * j);
    mo.sum += w;
    mo.sum_sq += w * w.transpose();
  }
  const NormalWishartPrior prior;
  const double beta = 2.0 + n, nu = d + n;
  const Vector xbar = mo.sum / n;
  const ColMatrix winv = ColMatrix::Identity(d, d) + (mo.sum_sq - n * xbar * xbar.transpose()) +
                         (2.0 * n / beta) * xbar * xbar.transpose();
  const ColMatrix expected_l = nu * winv.inverse();
  const Vector expected_m = (n / beta) * xbar;
  ColMatrix sum_l = ColMatrix::Zero(d, d);
  Vector sum_m = Vector::Zero(d);
  const int draws = 20000;
  for (int s = 0; s < draws; ++s) {
    CounterRng rng = bpmf_rng(5, s, 0, 0);
    const SideHyper h = sample_side_hyper(mo, prior, rng);
    sum_l += h.precision;
    sum_m += h.mean;
  }
  const double scale = expected_l.diagonal().maxCoeff();
  for (int i = 0; i < d; ++i) {
    for (int j = 0; j < d; ++j) EXPECT_NEAR(sum_l(i, j) / draws, expected_l(i, j), 0.03 * scale);
    EXPECT_NEAR(sum_m[i] / draws, expected_m[i], 0.03 * std::max(1.0, std::abs(expected_m[i])));
  }
}

TEST(BpmfSampler, RowNoiseDependsOnlyOnTheGlobalRow) {
  Matrix all(10, 4), tail(4, 4);
  fill_row_noise(9, 3, 1, 0, 1.0, all);
  fill_row_noise(9, 3, 1, 6, 1.0, tail);
  EXPECT_EQ(Matrix(all.bottomRows(4)), tail);
  Matrix other(10, 4);
  fill_row_noise(9, 4, 1, 0, 1.0, other);  // the next sample: other draws
  EXPECT_NE(all, other);
}

}  // namespace
