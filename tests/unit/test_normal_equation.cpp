// See src/normal_equation.cpp: GCC 12 false positives inside inlined Eigen kernels.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <gtest/gtest.h>

#include <Eigen/Cholesky>
#include <cmath>
#include <random>

#include "src/normal_equation.hpp"
#include "tests/unit/random_matrix.hpp"

using namespace hpcrec::math;

namespace {

ColMatrix random_matrix(int rows, int cols, unsigned seed) {
  return hpcrec::testing::random_normal<ColMatrix>(rows, cols, seed);
}

Vector random_vector(int n, unsigned seed) { return random_matrix(n, 1, seed).col(0); }

// Full symmetric A + diag(reg) from the lower triangle, as a reference.
ColMatrix full_system(const NormalEquation& ne, const Vector& reg) {
  ColMatrix m = ne.lhs().selfadjointView<Eigen::Lower>();
  m.diagonal() += reg;
  return m;
}

// f(x) = x^T M x / 2 - b^T x: the quantity CG minimises over a growing subspace.
double energy(const ColMatrix& m, const Vector& b, const Vector& x) { return 0.5 * x.dot(m * x) - b.dot(x); }

NormalEquation random_problem(int dim, int observations, unsigned seed) {
  NormalEquation ne(dim);
  ne.add_block(random_matrix(observations, dim, seed), random_vector(observations, seed + 1));
  return ne;
}

// The hand-worked example: three unit-weight observations in dim 3,
//   z1 = (1, 0, 1), t1 = 2;   z2 = (0, 1, 1), t2 = 3;   z3 = (1, 1, 1), t3 = 4.
// A = z1 z1^T + z2 z2^T + z3 z3^T, entry by entry (A_ij = sum_k z_ki z_kj):
//   A_11 = 1+0+1 = 2, A_21 = 0+0+1 = 1, A_31 = 1+0+1 = 2,
//   A_22 = 0+1+1 = 2, A_32 = 0+1+1 = 2, A_33 = 1+1+1 = 3.
// b = 2 z1 + 3 z2 + 4 z3 = (2+0+4, 0+3+4, 2+3+4) = (6, 7, 9).
// With reg = (1, 1, 0), M = A + diag(reg) = [3 1 2; 1 3 2; 2 2 3]. Solving
// M x = b by hand: row1 - row2 gives 2 x1 - 2 x2 = -1, so x1 = x2 - 1/2;
// substituting into rows 1 and 3 gives 4 x2 + 2 x3 = 7.5 and 4 x2 + 3 x3 = 10,
// hence x3 = 2.5, x2 = 0.625, x1 = 0.125 (check row 2: 0.125 + 1.875 + 5 = 7).
struct HandCase {
  ColMatrix z{{1, 0, 1}, {0, 1, 1}, {1, 1, 1}};
  Vector t{{2, 3, 4}};
  Vector reg{{1, 1, 0}};
  ColMatrix a{{2, 1, 2}, {1, 2, 2}, {2, 2, 3}};
  Vector b{{6, 7, 9}};
  Vector x{{0.125, 0.625, 2.5}};
};

void expect_lower_equal(const ColMatrix& got, const ColMatrix& want) {
  for (int j = 0; j < want.cols(); ++j) {
    for (int i = j; i < want.rows(); ++i) EXPECT_EQ(got(i, j), want(i, j)) << "(" << i << "," << j << ")";
  }
}

}  // namespace

TEST(NormalEquation, AccumulatesTheHandComputedCase) {
  const HandCase hc;
  NormalEquation one_by_one(3);
  for (int r = 0; r < 3; ++r) one_by_one.add(hc.z.row(r).transpose(), hc.t[r]);
  expect_lower_equal(one_by_one.lhs(), hc.a);  // small integers: exact
  EXPECT_EQ(one_by_one.rhs(), hc.b);

  NormalEquation block(3);
  block.add_block(hc.z, hc.t);
  expect_lower_equal(block.lhs(), hc.a);
  EXPECT_EQ(block.rhs(), hc.b);

  NormalEquation first(3), rest(3);
  first.add(hc.z.row(0).transpose(), hc.t[0]);
  rest.add_block(hc.z.bottomRows(2), hc.t.tail(2));
  first.merge(rest);
  expect_lower_equal(first.lhs(), hc.a);
  EXPECT_EQ(first.rhs(), hc.b);

  first.reset();
  expect_lower_equal(first.lhs(), ColMatrix::Zero(3, 3));
  EXPECT_EQ(first.rhs(), Vector::Zero(3));
}

TEST(NormalEquation, WeightScalesAnObservation) {
  NormalEquation twice(2), weighted(2);
  const Vector z{{1.5, -2.0}};
  twice.add(z, 3.0);
  twice.add(z, 3.0);
  weighted.add(z, 3.0, 2.0);
  expect_lower_equal(weighted.lhs(), twice.lhs());
  EXPECT_EQ(weighted.rhs(), twice.rhs());
}

TEST(CholeskySolver, SolvesTheHandComputedCase) {
  const HandCase hc;
  NormalEquation ne(3);
  ne.add_block(hc.z, hc.t);
  Vector x = Vector::Constant(3, 99.0);  // a direct solver ignores the start
  CholeskySolver().solve(ne, hc.reg, x);
  EXPECT_TRUE(x.isApprox(hc.x, 1e-14)) << x.transpose();
}

TEST(CholeskySolver, AgreesWithEigenLdltOnARandomSpdSystem) {
  const NormalEquation ne = random_problem(12, 60, 10);
  const Vector reg = Vector::Constant(12, 0.3);
  Vector x = Vector::Zero(12);
  CholeskySolver().solve(ne, reg, x);
  const Vector reference = full_system(ne, reg).ldlt().solve(ne.rhs());
  EXPECT_TRUE(x.isApprox(reference, 1e-12));
}

TEST(CholeskySolver, FallsBackToLdltThenToZero) {
  // Negative definite: LL^T fails, LDL^T still solves it.
  NormalEquation indefinite(2);
  indefinite.lhs() << -1.0, 0.0, 0.0, -2.0;
  indefinite.rhs() << 1.0, 2.0;
  Vector x = Vector::Zero(2);
  CholeskySolver().solve(indefinite, Vector::Zero(2), x);
  EXPECT_TRUE(x.isApprox(Vector::Constant(2, -1.0), 1e-14)) << x.transpose();

  // Nothing to factorise at all: the answer is finite (zero), never NaN.
  NormalEquation empty(3);
  empty.rhs() << 1.0, 0.0, 0.0;
  Vector y = Vector::Constant(3, 5.0);
  CholeskySolver().solve(empty, Vector::Zero(3), y);
  EXPECT_TRUE(y.allFinite());
  EXPECT_EQ(y, Vector::Zero(3));
}

TEST(ConjugateGradientSolver, ReachesTheExactMinimiserWithEnoughSteps) {
  const HandCase hc;
  NormalEquation small(3);
  small.add_block(hc.z, hc.t);
  Vector x = Vector::Zero(3);
  ConjugateGradientSolver(3).solve(small, hc.reg, x);  // dim steps: exact in exact arithmetic
  EXPECT_TRUE(x.isApprox(hc.x, 1e-12)) << x.transpose();

  const NormalEquation ne = random_problem(10, 40, 20);
  const Vector reg = Vector::Constant(10, 0.5);
  const Vector exact = full_system(ne, reg).ldlt().solve(ne.rhs());
  Vector y = Vector::Zero(10);
  ConjugateGradientSolver(30).solve(ne, reg, y);
  EXPECT_TRUE(y.isApprox(exact, 1e-10));
}

TEST(ConjugateGradientSolver, ImprovesMonotonicallyFromAWarmStart) {
  const int dim = 24;
  const NormalEquation ne = random_problem(dim, 30, 30);  // poorly conditioned: 3 steps do not finish
  const Vector reg = Vector::Constant(dim, 0.05);
  const ColMatrix m = full_system(ne, reg);
  const Vector exact = m.ldlt().solve(ne.rhs());
  const Vector warm = exact + 0.5 * random_vector(dim, 31);

  // CG minimises the energy, equivalently the M-norm of the error, over a
  // growing Krylov subspace: both must fall with every extra step.
  const auto error_m = [&](const Vector& x) { return std::sqrt((x - exact).dot(m * (x - exact))); };
  double previous_energy = energy(m, ne.rhs(), warm);
  double previous_error = error_m(warm);
  for (int steps = 1; steps <= 3; ++steps) {
    Vector x = warm;
    ConjugateGradientSolver(steps).solve(ne, reg, x);
    EXPECT_LT(energy(m, ne.rhs(), x), previous_energy) << steps << " steps";
    EXPECT_LT(error_m(x), previous_error) << steps << " steps";
    previous_energy = energy(m, ne.rhs(), x);
    previous_error = error_m(x);
  }
  EXPECT_GT(previous_error, 1e-6);  // really a partial solve, not a converged one
}

TEST(ConjugateGradientSolver, StopsCleanlyAtTheSolution) {
  const HandCase hc;
  NormalEquation ne(3);
  ne.add_block(hc.z, hc.t);
  Vector x = Vector::Zero(3);
  CholeskySolver().solve(ne, hc.reg, x);
  const Vector solved = x;
  ConjugateGradientSolver(3).solve(ne, hc.reg, x);
  EXPECT_TRUE(x.allFinite());
  EXPECT_TRUE(x.isApprox(solved, 1e-14));

  NormalEquation zero(2);  // b = 0 and x = 0: residual exactly zero, no 0/0
  Vector z = Vector::Zero(2);
  ConjugateGradientSolver(3).solve(zero, Vector::Zero(2), z);
  EXPECT_EQ(z, Vector::Zero(2));
}

TEST(MakeSolver, BuildsTheRequestedKind) {
  EXPECT_NE(dynamic_cast<CholeskySolver*>(make_solver(SolverKind::kCholesky).get()), nullptr);
  EXPECT_NE(dynamic_cast<ConjugateGradientSolver*>(make_solver(SolverKind::kConjugateGradient, 5).get()),
            nullptr);
}

// Large blocks are accumulated in row chunks (see add_block); the chunks must
// add up to the whole product.
TEST(NormalEquation, LargeBlockEqualsTheDenseProduct) {
  const ColMatrix z = random_matrix(1000, 40, 40);
  const Vector t = random_vector(1000, 41);
  NormalEquation ne(40);
  ne.add_block(z, t);
  const ColMatrix want = z.transpose() * z;
  const ColMatrix got = ne.lhs().selfadjointView<Eigen::Lower>();
  EXPECT_TRUE(got.isApprox(want, 1e-13));
  EXPECT_TRUE(ne.rhs().isApprox(z.transpose() * t, 1e-13));
}
