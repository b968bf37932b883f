// Normal equations of one row's regularised least-squares problem, and the
// solvers that act on them. Kernels see only these types and Eigen maps; the
// distributed driver (mpi/als_driver) brings blocks and solvers together.
//
// One row (a user, or an item with roles swapped) solves
//
//     minimise_x   sum_j w_j (t_j - z_j . x)^2  +  x^T diag(reg) x
//
// whose minimiser satisfies (A + diag(reg)) x = b with
//
//     A = sum_j w_j z_j z_j^T,     b = sum_j w_j t_j z_j.
//
// A is symmetric; only its lower triangle is kept up to date.
#pragma once

#include <memory>

#include "src/types.hpp"

namespace hpcrec::math {

class NormalEquation {
 public:
  explicit NormalEquation(int dim);

  int dim() const { return static_cast<int>(rhs_.size()); }
  void reset();

  // One observation z with target t and weight w.
  void add(const Eigen::Ref<const Vector>& z, double t, double w = 1.0);
  // Many unit-weight observations at once, one per row of Z: A += Z^T Z,
  // b += Z^T t. A dense rank-k update: this is where ALS spends its flops.
  void add_block(const Eigen::Ref<const ColMatrix>& Z, const Eigen::Ref<const Vector>& t);
  void merge(const NormalEquation& other);

  // Lower triangle of A is valid; the upper triangle is unspecified.
  const ColMatrix& lhs() const { return lhs_; }
  ColMatrix& lhs() { return lhs_; }
  const Vector& rhs() const { return rhs_; }
  Vector& rhs() { return rhs_; }

 private:
  ColMatrix lhs_;
  Vector rhs_;
};

// Solves (A + diag(reg)) x = b. On entry x holds a starting point, which
// iterative solvers use as a warm start and direct solvers ignore.
class LeastSquaresSolver {
 public:
  virtual ~LeastSquaresSolver() = default;
  virtual void solve(const NormalEquation& ne, const Eigen::Ref<const Vector>& reg, Eigen::Ref<Vector> x) = 0;
};

// Cholesky (LL^T) factorisation of A + diag(reg): exact, O(dim^3 / 3).
// Falls back to LDL^T (then to zero) if the matrix is not positive definite.
class CholeskySolver final : public LeastSquaresSolver {
 public:
  void solve(const NormalEquation& ne, const Eigen::Ref<const Vector>& reg, Eigen::Ref<Vector> x) override;
};

// `steps` iterations of conjugate gradient from the warm start x, O(steps *
// dim^2). With a warm start from the previous ALS sweep a few steps suffice
// (Takacs, Pilaszy & Tikk 2011; implicit's default is 3).
class ConjugateGradientSolver final : public LeastSquaresSolver {
 public:
  explicit ConjugateGradientSolver(int steps) : steps_(steps) {}
  void solve(const NormalEquation& ne, const Eigen::Ref<const Vector>& reg, Eigen::Ref<Vector> x) override;

 private:
  int steps_;
};

enum class SolverKind { kCholesky, kConjugateGradient };
std::unique_ptr<LeastSquaresSolver> make_solver(SolverKind kind, int cg_steps = 3);

}  // namespace hpcrec::math
