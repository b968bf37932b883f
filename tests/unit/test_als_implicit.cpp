// See src/normal_equation.cpp: GCC 12 false positives inside inlined Eigen kernels.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <gtest/gtest.h>

#include <Eigen/QR>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <random>
#include <vector>

#include "src/als_explicit.hpp"
#include "src/als_implicit.hpp"
#include "tests/unit/random_matrix.hpp"

using namespace hpcrec::math;

namespace {

using Confidence = ImplicitAlsConfig::Confidence;

CsrView view_of(const CsrBlock& b) { return {b.indptr, b.cols, b.values}; }

Matrix random_factors(int rows, int k, unsigned seed, double sd = 0.3) {
  return hpcrec::testing::random_normal(rows, k, seed, sd);
}

// `rows` rows over `cols` columns, each present with probability `density`
// and a count 1..5; every 7th present entry is stored as 0 or -1 instead (an
// interaction the kernels must treat as unobserved), and rows 3 mod 11 are
// empty.
CsrBlock random_block(int rows, int cols, double density, unsigned seed) {
  std::mt19937_64 gen(seed);
  std::bernoulli_distribution present(density);
  std::uniform_int_distribution<int> count(1, 5);
  std::vector<Rating> ratings;
  int seen = 0;
  for (int r = 0; r < rows; ++r) {
    if (r % 11 == 3) continue;
    for (int c = 0; c < cols; ++c) {
      if (!present(gen)) continue;
      float v = static_cast<float>(count(gen));
      if (++seen % 7 == 0) v = (seen % 2 == 0) ? 0.0f : -1.0f;
      ratings.push_back({r, c, v});
    }
  }
  return build_csr(ratings, 0, rows, /*by_item=*/false);
}

ColMatrix gram_of(const Matrix& y) { return y.transpose() * y; }

// Confidence and preference of every pair, written out from the paper's
// definitions (not from the kernel's w = c - 1 bookkeeping).
struct Pair {
  double c;
  double p;
};
Pair pair_of(double r, const ImplicitAlsConfig& cfg) {
  if (r <= 0.0) return {1.0, 0.0};
  const double c = cfg.confidence == Confidence::kLinear ? 1.0 + cfg.alpha * r
                                                         : 1.0 + cfg.alpha * std::log(1.0 + r / cfg.eps);
  return {c, 1.0};
}

std::vector<double> dense_row(const CsrBlock& block, Index row, int cols) {
  std::vector<double> r(cols, 0.0);
  for (Offset e = block.indptr[row]; e < block.indptr[row + 1]; ++e) r[block.cols[e]] = block.values[e];
  return r;
}

// The exact minimiser of row u's part of the full loss,
//   sum_{ALL i} c_ui (p_ui - y_i . x)^2 + lambda |x|^2
//   = | [diag(sqrt c) Y; sqrt(lambda) I] x - [sqrt(c) p; 0] |^2,
// solved by Householder QR over every item: no YtY, no normal equations.
Vector dense_minimiser(const CsrBlock& block, Index row, const Matrix& y, const ImplicitAlsConfig& cfg) {
  const auto n = static_cast<int>(y.rows());
  const auto k = static_cast<int>(y.cols());
  const std::vector<double> r = dense_row(block, row, n);
  ColMatrix aug = ColMatrix::Zero(n + k, k);
  Vector rhs = Vector::Zero(n + k);
  for (int i = 0; i < n; ++i) {
    const Pair q = pair_of(r[i], cfg);
    aug.row(i) = std::sqrt(q.c) * y.row(i);
    rhs[i] = std::sqrt(q.c) * q.p;
  }
  for (int f = 0; f < k; ++f) aug(n + f, f) = std::sqrt(cfg.lambda);
  return aug.householderQr().solve(rhs);
}

// Dense normal equations of row u over all items: A = sum_i c y y^T + lambda I, b = sum_i c p y.
struct DenseNe {
  ColMatrix a;
  Vector b;
};
DenseNe dense_ne(const CsrBlock& block, Index row, const Matrix& y, const ImplicitAlsConfig& cfg) {
  const auto n = static_cast<int>(y.rows());
  const auto k = static_cast<int>(y.cols());
  const std::vector<double> r = dense_row(block, row, n);
  DenseNe ne{ColMatrix::Identity(k, k) * cfg.lambda, Vector::Zero(k)};
  for (int i = 0; i < n; ++i) {
    const Pair q = pair_of(r[i], cfg);
    ne.a += q.c * y.row(i).transpose() * y.row(i);
    ne.b += q.c * q.p * y.row(i).transpose();
  }
  return ne;
}

double row_objective(const DenseNe& ne, const Vector& x) { return 0.5 * x.dot(ne.a * x) - ne.b.dot(x); }

Matrix solve(const CsrBlock& block, const Matrix& y, const ImplicitAlsConfig& cfg, const Matrix& warm) {
  Matrix x = warm;
  solve_implicit_rows(view_of(block), y, gram_of(y), cfg, x);
  return x;
}

// CG in double (cg_float_gather off) unless float_cg: the exact-convergence
// tests below need double passes; the float passes have their own tests.
ImplicitAlsConfig config(SolverKind solver, int steps = 3, bool float_cg = false) {
  ImplicitAlsConfig c;
  c.lambda = 0.3;
  c.alpha = 2.0;
  c.solver = solver;
  c.cg_steps = steps;
  c.cg_float_gather = float_cg;
  return c;
}

// The three kernels: Cholesky, CG with double passes, CG with float passes.
std::vector<ImplicitAlsConfig> all_kernels() {
  return {config(SolverKind::kCholesky), config(SolverKind::kConjugateGradient),
          config(SolverKind::kConjugateGradient, 3, true)};
}

bool same_sum(const ExactSum& a, const ExactSum& b) {
  return a.low_word() == b.low_word() && a.high_word() == b.high_word();
}

}  // namespace

TEST(ImplicitAls, CholeskyMatchesTheDenseMinimiserOverAllPairs) {
  const int users = 23, items = 31, k = 6;
  const CsrBlock block = random_block(users, items, 0.25, 1);
  const Matrix y = random_factors(items, k, 2);
  const ImplicitAlsConfig cfg = config(SolverKind::kCholesky);
  const Matrix x = solve(block, y, cfg, Matrix::Constant(users, k, 5.0));
  for (Index u = 0; u < users; ++u) {
    const Vector want = dense_minimiser(block, u, y, cfg);
    for (int f = 0; f < k; ++f) EXPECT_NEAR(x(u, f), want[f], 1e-11 * (1.0 + std::abs(want[f]))) << u;
  }
}

TEST(ImplicitAls, LogConfidenceMatchesTheDenseMinimiser) {
  const int users = 19, items = 27, k = 5;
  const CsrBlock block = random_block(users, items, 0.3, 3);
  const Matrix y = random_factors(items, k, 4);
  ImplicitAlsConfig cfg = config(SolverKind::kCholesky);
  cfg.confidence = Confidence::kLog;
  cfg.alpha = 7.0;
  cfg.eps = 0.5;
  const Matrix x = solve(block, y, cfg, Matrix::Zero(users, k));
  for (Index u = 0; u < users; ++u) {
    const Vector want = dense_minimiser(block, u, y, cfg);
    for (int f = 0; f < k; ++f) EXPECT_NEAR(x(u, f), want[f], 1e-11 * (1.0 + std::abs(want[f]))) << u;
  }
  // c - 1 = 7 log(1 + 4 / 0.5) = 7 log 9; nonpositive values weigh nothing.
  EXPECT_DOUBLE_EQ(implicit_confidence_weight(cfg, 4.0), 7.0 * std::log(9.0));
  EXPECT_EQ(implicit_confidence_weight(cfg, 0.0), 0.0);
  EXPECT_EQ(implicit_confidence_weight(cfg, -2.0), 0.0);
}

TEST(ImplicitAls, ConjugateGradientWithManyStepsConvergesToCholesky) {
  const int users = 21, items = 40, k = 8;
  const CsrBlock block = random_block(users, items, 0.3, 5);
  const Matrix y = random_factors(items, k, 6);
  const Matrix warm = random_factors(users, k, 7);
  const Matrix chol = solve(block, y, config(SolverKind::kCholesky), warm);
  const Matrix cg = solve(block, y, config(SolverKind::kConjugateGradient, 60), warm);
  for (Index u = 0; u < users; ++u) {
    const Vector want = dense_minimiser(block, u, y, config(SolverKind::kCholesky));
    for (int f = 0; f < k; ++f) {
      EXPECT_NEAR(cg(u, f), chol(u, f), 1e-9) << u;
      EXPECT_NEAR(cg(u, f), want[f], 1e-9) << u;
    }
  }
}

TEST(ImplicitAls, ThreeStepsFromAWarmStartReduceResidualAndLoss) {
  const int users = 30, items = 50, k = 10;
  const CsrBlock block = random_block(users, items, 0.2, 8);
  const Matrix y = random_factors(items, k, 9);
  const ImplicitAlsConfig chol_cfg = config(SolverKind::kCholesky);
  // A warm start near, but not at, the solution: the exact one perturbed.
  const Matrix exact = solve(block, y, chol_cfg, Matrix::Zero(users, k));
  const Matrix warm = exact + random_factors(users, k, 10, 0.05);
  Matrix prev = warm;
  for (int steps = 1; steps <= 3; ++steps) {
    const Matrix x = solve(block, y, config(SolverKind::kConjugateGradient, steps), warm);
    for (Index u = 0; u < users; ++u) {
      const DenseNe ne = dense_ne(block, u, y, chol_cfg);
      const Vector x0 = warm.row(u).transpose(), xp = prev.row(u).transpose(), xs = x.row(u).transpose();
      // CG minimises the row's quadratic over growing Krylov spaces: each
      // step lowers it (an empty row is set to its exact minimiser, 0).
      if (xs.isZero(0.0)) continue;  // a row without positive interactions
      EXPECT_LT(row_objective(ne, xs), row_objective(ne, xp)) << u << " step " << steps;
      if (steps == 3) {
        EXPECT_LT((ne.b - ne.a * xs).norm(), 0.5 * (ne.b - ne.a * x0).norm()) << u;
      }
    }
    prev = x;
  }
  // Zero steps leave a nonempty row's warm start untouched.
  const Matrix same = solve(block, y, config(SolverKind::kConjugateGradient, 0), warm);
  EXPECT_EQ(same.row(0), warm.row(0));
}

TEST(ImplicitAls, EmptyAndNonpositiveRowsGetZeroAndNonpositiveEntriesAreIgnored) {
  const int items = 12, k = 4;
  const Matrix y = random_factors(items, k, 11);
  // Row 0: {1: 3, 4: 1}; row 1: the same plus 2: 0 and 7: -2; row 2: only
  // nonpositive; row 3: empty.
  const std::vector<Rating> ratings = {{0, 1, 3.0f}, {0, 4, 1.0f},  {1, 1, 3.0f},  {1, 2, 0.0f},
                                       {1, 4, 1.0f}, {1, 7, -2.0f}, {2, 5, -1.0f}, {2, 6, 0.0f}};
  const CsrBlock block = build_csr(ratings, 0, 4, false);
  for (const SolverKind s : {SolverKind::kCholesky, SolverKind::kConjugateGradient}) {
    const Matrix x = solve(block, y, config(s), Matrix::Constant(4, k, 0.25));
    EXPECT_EQ(x.row(0), x.row(1));
    EXPECT_TRUE(x.row(2).isZero(0.0));
    EXPECT_TRUE(x.row(3).isZero(0.0));
    EXPECT_FALSE(x.row(0).isZero(0.0));
  }
}

TEST(ImplicitAls, BitwiseIndependentOfThreadsBlockAndAddress) {
  const int users = 97, items = 150, k = 13;
  const CsrBlock block = random_block(users, items, 0.2, 12);
  const Matrix y = random_factors(items, k, 13);
  const Matrix warm = random_factors(users, k, 14);
  const ColMatrix yty = gram_of(y);
  // The same counterpart rows at an unaligned address.
  std::vector<double> buffer(items * k + 1);
  Eigen::Map<Matrix> y_moved(buffer.data() + 1, items, k);
  y_moved = y;
  for (ImplicitAlsConfig cfg : all_kernels()) {
    Matrix base = warm;
    solve_implicit_rows(view_of(block), y, yty, cfg, base);
    for (int threads : {2, 3, 4}) {
      cfg.threads = threads;
      Matrix x = warm;
      solve_implicit_rows(view_of(block), y_moved, yty, cfg, x);
      EXPECT_EQ(x, base) << threads;
    }
    // Rows 40..69 alone, as their own block.
    const CsrBlock sub = build_csr(
        [&] {
          std::vector<Rating> r;
          for (Index u = 40; u < 70; ++u) {
            for (Offset e = block.indptr[u]; e < block.indptr[u + 1]; ++e) {
              r.push_back({u - 40, block.cols[e], block.values[e]});
            }
          }
          return r;
        }(),
        0, 30, false);
    Matrix x = warm.middleRows(40, 30);
    solve_implicit_rows(view_of(sub), y, yty, cfg, x);
    EXPECT_EQ(x, base.middleRows(40, 30));
  }
}

TEST(ImplicitAls, RowsLongerThanOneGatherAreSolvedExactly) {
  // k = 5 pads to 8 doubles: one gather holds 2 MiB / 64 B = 32768 rows, so
  // row 0's ~39400 interactions take two chunks per pass.
  const int items = 46000, k = 5;
  std::vector<Rating> ratings;
  for (Index i = 0; i < items; ++i) {
    if (i % 7 != 0) ratings.push_back({0, i, static_cast<float>(1 + i % 3)});
    if (i % 5 == 0) ratings.push_back({1, i, 1.0f});
  }
  const CsrBlock block = build_csr(ratings, 0, 2, false);
  ASSERT_GT(block.row_nnz(0), 32768);
  const Matrix y = random_factors(items, k, 15, 0.1);
  const Matrix warm = random_factors(2, k, 16);
  ImplicitAlsConfig cfg = config(SolverKind::kCholesky);
  cfg.alpha = 0.5;
  const Matrix chol = solve(block, y, cfg, warm);
  cfg.solver = SolverKind::kConjugateGradient;
  cfg.cg_steps = 40;
  const Matrix cg = solve(block, y, cfg, warm);
  for (Index u = 0; u < 2; ++u) {
    const Vector want = dense_minimiser(block, u, y, cfg);
    for (int f = 0; f < k; ++f) {
      EXPECT_NEAR(chol(u, f), want[f], 1e-9 * (1.0 + std::abs(want[f])));
      EXPECT_NEAR(cg(u, f), want[f], 1e-9 * (1.0 + std::abs(want[f])));
    }
  }
}

TEST(ImplicitAls, FloatPassesSolveToFloatPrecision) {
  const int users = 21, items = 40, k = 8;
  const CsrBlock block = random_block(users, items, 0.3, 5);
  const Matrix y = random_factors(items, k, 6);
  const Matrix warm = random_factors(users, k, 7);
  const Matrix chol = solve(block, y, config(SolverKind::kCholesky), warm);
  // Many steps: the exact minimiser up to the float rounding of y_i and of
  // the products.
  const Matrix cg = solve(block, y, config(SolverKind::kConjugateGradient, 60, true), warm);
  EXPECT_LT((cg - chol).cwiseAbs().maxCoeff(), 1e-5 * (1.0 + chol.cwiseAbs().maxCoeff()));
  // Three steps: close to the same three steps in double.
  const Matrix cg3 = solve(block, y, config(SolverKind::kConjugateGradient, 3, true), warm);
  const Matrix cg3d = solve(block, y, config(SolverKind::kConjugateGradient, 3), warm);
  EXPECT_LT((cg3 - cg3d).cwiseAbs().maxCoeff(), 1e-5 * (1.0 + cg3d.cwiseAbs().maxCoeff()));
  EXPECT_NE(cg3, cg3d);  // the float path did run
}

// k = 64 with rows that fit both gathers, only the float one (4096 < n <=
// 8192), and neither: the float passes agree with the double ones, do not
// depend on the thread count, and the loss terms summed inside the solve are
// those of a separate implicit_loss_terms call: bitwise for the double
// kernels, to float precision for float CG.
TEST(ImplicitAls, LongRowsAtK64AndLossTermsSummedInsideTheSolve) {
  const int items = 12000, k = 64;
  std::vector<Rating> ratings;
  for (Index i = 0; i < items; ++i) {
    if (i % 7 != 0) ratings.push_back({0, i, static_cast<float>(1 + i % 3)});  // ~10300: neither
    if (i % 2 == 0) ratings.push_back({1, i, 1.0f});                           // 6000: float only
    if (i % 50 == 0) ratings.push_back({2, i, 2.0f});                          // 240: both
  }
  const CsrBlock block = build_csr(ratings, 0, 4, false);  // row 3 empty
  const Matrix y = random_factors(items, k, 25, 0.05);
  const ColMatrix yty = gram_of(y);
  const Matrix warm = random_factors(4, k, 26, 0.05);
  Matrix x_double;
  for (ImplicitAlsConfig cfg : all_kernels()) {
    cfg.alpha = 0.5;
    Matrix x = warm;
    ExactSum fused;
    solve_implicit_rows(view_of(block), y, yty, cfg, x, &fused);
    ExactSum separate;
    implicit_loss_terms(view_of(block), y, x, cfg, separate);
    if (cfg.cg_float_gather && cfg.solver == SolverKind::kConjugateGradient) {
      // s = y . x in float32 from the rows of the passes: float precision.
      EXPECT_NEAR(fused.value(), separate.value(), 1e-6 * std::fabs(separate.value()));
    } else {
      EXPECT_TRUE(same_sum(fused, separate)) << fused.value() << " " << separate.value();
    }
    cfg.threads = 3;
    Matrix x3 = warm;
    ImplicitScratch scratch;
    solve_implicit_rows(view_of(block), y, yty, cfg, x3, nullptr, &scratch);
    EXPECT_EQ(x3, x);
    if (cfg.solver == SolverKind::kConjugateGradient && !cfg.cg_float_gather) x_double = x;
    if (cfg.cg_float_gather) {
      EXPECT_LT((x - x_double).cwiseAbs().maxCoeff(), 1e-4 * x_double.cwiseAbs().maxCoeff());
    }
  }
}

TEST(ImplicitAls, LossAssembledFromItsPiecesEqualsTheDenseLoss) {
  const int users = 17, items = 22, k = 4;
  const CsrBlock block = random_block(users, items, 0.3, 17);
  const Matrix y = random_factors(items, k, 18);
  const Matrix x = random_factors(users, k, 19);
  ImplicitAlsConfig cfg = config(SolverKind::kCholesky);
  cfg.confidence = Confidence::kLog;
  cfg.eps = 2.0;
  double dense = cfg.lambda * (x.squaredNorm() + y.squaredNorm());
  for (Index u = 0; u < users; ++u) {
    const std::vector<double> r = dense_row(block, u, items);
    for (int i = 0; i < items; ++i) {
      const Pair q = pair_of(r[i], cfg);
      const double e = q.p - x.row(u).dot(y.row(i));
      dense += q.c * e * e;
    }
  }
  // sum_u x_u^T YtY x_u + corrections + lambda (|X|^2 + |Y|^2)
  const ColMatrix yty = gram_of(y);
  double pieces = cfg.lambda * (x.squaredNorm() + y.squaredNorm());
  for (Index u = 0; u < users; ++u) pieces += x.row(u).dot(yty * x.row(u).transpose());
  const double terms = implicit_loss_terms(view_of(block), y, x, cfg);
  EXPECT_NEAR(pieces + terms, dense, 1e-10 * dense);
  ExactSum exact;
  cfg.threads = 3;
  implicit_loss_terms(view_of(block), y, x, cfg, exact);
  EXPECT_NEAR(exact.value(), terms, 1e-9);
  EXPECT_EQ(implicit_loss_terms(view_of(block), y, x, cfg), terms);  // thread-count independent
}

TEST(ImplicitAls, FlopCounts) {
  // One row of 100 positive interactions at k = 64 (and one r <= 0, not counted).
  std::vector<Rating> ratings;
  for (Index i = 0; i < 100; ++i) ratings.push_back({0, i, 1.0f});
  ratings.push_back({0, 100, 0.0f});
  const CsrBlock block = build_csr(ratings, 0, 2, false);  // row 1 empty: no flops
  ImplicitAlsConfig cfg = config(SolverKind::kCholesky);
  const double k = 64, n = 100;
  EXPECT_DOUBLE_EQ(implicit_rows_flops(view_of(block), 64, cfg),
                   n * k * (k + 1) + 3 * n * k + k * k * k / 3 + 2 * k * k + k);
  cfg.solver = SolverKind::kConjugateGradient;
  EXPECT_DOUBLE_EQ(implicit_rows_flops(view_of(block), 64, cfg),
                   4 * (2 * k * k + 2 * k + n * (4 * k + 2)) + 2 * k + 3 * 10 * k);
}

TEST(ImplicitAls, RejectsBadShapesAndConfig) {
  const CsrBlock block = random_block(5, 6, 0.5, 20);
  const Matrix y = random_factors(6, 3, 21);
  Matrix x = Matrix::Zero(5, 3);
  ImplicitAlsConfig cfg = config(SolverKind::kCholesky);
  EXPECT_THROW(solve_implicit_rows(view_of(block), y, ColMatrix::Zero(2, 2), cfg, x), std::invalid_argument);
  Matrix wrong = Matrix::Zero(4, 3);
  EXPECT_THROW(solve_implicit_rows(view_of(block), y, gram_of(y), cfg, wrong), std::invalid_argument);
  cfg.alpha = -1.0;
  EXPECT_THROW(solve_implicit_rows(view_of(block), y, gram_of(y), cfg, x), std::invalid_argument);
}

// Timing, not a test (tests never assert on time): run with
//   unit_als_implicit --gtest_also_run_disabled_tests --gtest_filter='*Timing*'
TEST(ImplicitAls, DISABLED_TimingCgVersusCholeskyAtK64) {
  const int users = 4000, items = 20000, k = 64, per_user = 100;
  std::mt19937_64 gen(22);
  std::uniform_int_distribution<Index> item(0, items - 1);
  std::vector<Rating> ratings;
  for (Index u = 0; u < users; ++u) {
    std::vector<Index> picked;
    while (static_cast<int>(picked.size()) < per_user) {
      const Index i = item(gen);
      if (std::find(picked.begin(), picked.end(), i) == picked.end()) picked.push_back(i);
    }
    for (Index i : picked) ratings.push_back({u, i, static_cast<float>(1 + i % 5)});
  }
  const CsrBlock block = build_csr(ratings, 0, users, false);
  const Matrix y = random_factors(items, k, 23, 0.1);
  const ColMatrix yty = gram_of(y);
  const Matrix warm = random_factors(users, k, 24, 0.1);
  const auto time_it = [&](auto&& fn) {
    double best = 1e30;
    for (int rep = 0; rep < 5; ++rep) {
      // Thread CPU time: on a shared, oversubscribed machine wall time mostly
      // measures the other processes.
      timespec t0{}, t1{};
      clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
      fn();
      clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
      best = std::min(best, static_cast<double>(t1.tv_sec - t0.tv_sec) +
                                1e-9 * static_cast<double>(t1.tv_nsec - t0.tv_nsec));
    }
    return best;
  };
  ImplicitAlsConfig cfg = config(SolverKind::kCholesky);
  Matrix x = warm;
  const double chol = time_it([&] {
    x = warm;
    solve_implicit_rows(view_of(block), y, yty, cfg, x);
  });
  const double chol_flops = implicit_rows_flops(view_of(block), k, cfg);
  cfg.solver = SolverKind::kConjugateGradient;
  const double cg = time_it([&] {
    x = warm;
    solve_implicit_rows(view_of(block), y, yty, cfg, x);
  });
  const double cg_flops = implicit_rows_flops(view_of(block), k, cfg);
  // The explicit kernel on the same rows, for scale.
  ExplicitAlsConfig ecfg;
  Matrix ex(users, k);
  Vector eb(users);
  const Vector ybias = Vector::Zero(items);
  const double expl = time_it([&] { solve_explicit_rows(view_of(block), y, ybias, ecfg, ex, eb); });
  std::printf("k=64, %d rows x %d interactions, 1 thread, CPU time (best of 5):\n", users, per_user);
  std::printf("  implicit Cholesky : %8.2f us/row  %6.2f GFLOP/s\n", 1e6 * chol / users,
              chol_flops / chol / 1e9);
  std::printf("  implicit CG(3)    : %8.2f us/row  %6.2f GFLOP/s\n", 1e6 * cg / users, cg_flops / cg / 1e9);
  std::printf("  speed-up          : %8.2fx\n", chol / cg);
  std::printf("  explicit Cholesky : %8.2f us/row (reference, k+1 = 65)\n", 1e6 * expl / users);
}
