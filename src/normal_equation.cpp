// GCC 12 reports -Wmaybe-uninitialized false positives inside its own AVX-512
// intrinsics once Eigen's GEMM kernels are inlined here; nothing is read
// uninitialised. Must precede the includes to cover those header locations.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "src/normal_equation.hpp"

#include <Eigen/Cholesky>
#include <algorithm>
#include <cassert>
#include <limits>

namespace hpcrec::math {

NormalEquation::NormalEquation(int dim) : lhs_(ColMatrix::Zero(dim, dim)), rhs_(Vector::Zero(dim)) {}

void NormalEquation::reset() {
  lhs_.setZero();
  rhs_.setZero();
}

void NormalEquation::add(const Eigen::Ref<const Vector>& z, double t, double w) {
  assert(z.size() == dim());
  lhs_.selfadjointView<Eigen::Lower>().rankUpdate(z, w);
  rhs_.noalias() += (w * t) * z;
}

void NormalEquation::add_block(const Eigen::Ref<const ColMatrix>& Z, const Eigen::Ref<const Vector>& t) {
  assert(Z.cols() == dim() && Z.rows() == t.size());
  if (Z.rows() == 0) return;
  // rankUpdate(u) adds u u^T; with u = Z^T that is Z^T Z, a blocked SYRK on
  // the lower triangle only (half the flops of a GEMM). In chunks of rows:
  // Eigen's packing workspace moves from the stack to the heap above 128 KiB,
  // and a heap block that size is mmap'ed and unmapped on every call, which
  // made large updates ~20x slower. <= 96 KiB per chunk stays on the stack.
  const Eigen::Index chunk = std::max<Eigen::Index>(16, 12288 / std::max(dim(), 1));
  for (Eigen::Index r0 = 0; r0 < Z.rows(); r0 += chunk) {
    lhs_.selfadjointView<Eigen::Lower>().rankUpdate(
        Z.middleRows(r0, std::min(chunk, Z.rows() - r0)).transpose());
  }
  rhs_.noalias() += Z.transpose() * t;
}

void NormalEquation::merge(const NormalEquation& other) {
  assert(other.dim() == dim());
  lhs_.triangularView<Eigen::Lower>() += other.lhs_;
  rhs_ += other.rhs_;
}

void CholeskySolver::solve(const NormalEquation& ne, const Eigen::Ref<const Vector>& reg,
                           Eigen::Ref<Vector> x) {
  // Reused per thread: solve() runs once per row inside OpenMP loops.
  thread_local ColMatrix m;
  m = ne.lhs();
  m.diagonal() += reg;
  // Both factorisations read only the lower triangle, the only valid one.
  Eigen::LLT<Eigen::Ref<ColMatrix>, Eigen::Lower> llt(m);
  if (llt.info() == Eigen::Success) {
    x = ne.rhs();
    llt.solveInPlace(x);
    return;
  }
  // LLT overwrote m in place; start again from A for the pivoted LDL^T,
  // which copes with semi-definite (e.g. unregularised, rank-deficient) rows.
  m = ne.lhs();
  m.diagonal() += reg;
  Eigen::LDLT<ColMatrix, Eigen::Lower> ldlt(m);
  if (ldlt.info() == Eigen::Success) {
    x = ldlt.solve(ne.rhs());
    if (x.allFinite()) return;
  }
  // Nothing usable: a zero row predicts the baseline, which is harmless,
  // whereas NaNs would spread through every later half-step.
  x.setZero();
}

void ConjugateGradientSolver::solve(const NormalEquation& ne, const Eigen::Ref<const Vector>& reg,
                                    Eigen::Ref<Vector> x) {
  const auto a = ne.lhs().selfadjointView<Eigen::Lower>();
  const auto apply = [&](const Vector& v) -> Vector {
    Vector out = reg.cwiseProduct(v);
    out.noalias() += a * v;
    return out;
  };
  // Residual "zero" relative to b: below this further steps only add noise
  // (and a zero p^T A p would divide by zero).
  const double tiny = std::max(std::numeric_limits<double>::min(), 1e-30 * ne.rhs().squaredNorm());
  Vector r = ne.rhs() - apply(x);
  Vector p = r;
  double rs = r.squaredNorm();
  for (int step = 0; step < steps_ && rs > tiny; ++step) {
    const Vector ap = apply(p);
    const double pap = p.dot(ap);
    if (!(pap > 0.0)) break;  // not positive definite along p: stop at the best point so far
    const double alpha = rs / pap;
    x.noalias() += alpha * p;
    r.noalias() -= alpha * ap;
    const double rs_next = r.squaredNorm();
    p = r + (rs_next / rs) * p;
    rs = rs_next;
  }
}

std::unique_ptr<LeastSquaresSolver> make_solver(SolverKind kind, int cg_steps) {
  switch (kind) {
    case SolverKind::kConjugateGradient:
      return std::make_unique<ConjugateGradientSolver>(cg_steps);
    case SolverKind::kCholesky:
      break;
  }
  return std::make_unique<CholeskySolver>();
}

}  // namespace hpcrec::math
