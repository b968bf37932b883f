// Implicit-feedback ALS (Hu, Koren & Volinsky 2008), one half-step over a
// block of rows.
//
// Every (user, item) pair has a preference p and a confidence c:
//
//     p_ui = 1 if r_ui > 0, else 0
//     c_ui = 1 + w_ui,  w_ui = alpha r_ui                  (kLinear)
//                       w_ui = alpha log(1 + r_ui / eps)   (kLog)
//
// for the observed interactions with r_ui > 0, and p = 0, c = 1 (w = 0) for
// every other pair. An interaction stored with r <= 0 is therefore exactly
// an unobserved pair: the kernels skip it.
//
// Loss, over ALL m x n pairs (plain lambda, no biases):
//
//     L = sum_{u,i} c_ui (p_ui - x_u . y_i)^2 + lambda (sum_u |x_u|^2 + sum_i |y_i|^2)
//
// With Y fixed, x_u minimises a weighted least-squares problem whose normal
// equations are, with R(u) = { i : r_ui > 0 } and YtY = sum_{all i} y_i y_i^T,
//
//     A_u x_u = b_u,   A_u = YtY + sum_{i in R(u)} w_ui y_i y_i^T + lambda I,
//                      b_u = sum_{i in R(u)} c_ui y_i.
//
// YtY is shared by all rows (the caller computes it once per half-step, see
// src/gram.hpp), so a row costs O(|R(u)| k^2 + k^3) with Cholesky, or
// O(steps (|R(u)| k + k^2)) with conjugate gradient applied matrix-free:
//
//     A_u v = YtY v + lambda v + sum_{i in R(u)} w_ui (y_i . v) y_i
//
// never forming A_u (Takacs, Pilaszy & Tikk 2011; implicit's CG solver).
// CG starts from the row's current factors (warm start from the previous
// sweep) and runs a fixed number of steps: an approximate solve.
//
// CG's cost is the interaction terms: per row one pass for the initial
// residual r = b - A x = sum_i (c_ui - w_ui (y_i . x)) y_i - YtY x - lambda x
// and one per step for A p, each reading every gathered y_i, and the
// gather itself, a random read of y_i from a block far larger than the
// caches. With cg_float_gather (the default) those passes run in float32:
// the counterpart rows are read from a float32 copy (half the bytes per
// gathered row), the vector (x, then p) is rounded to float, the products
// y_i . v and the sum over i accumulate in float, and only the coefficient
// c_ui - w_ui s or w_ui s is formed in double. YtY v, lambda v, the residual
// and the CG recurrences (step length, x, r, p) stay in double. It is the
// exact CG iteration for y_i rounded to float, up to the float rounding of
// the interaction sums (relative ~1e-7, far below what 3 steps leave of
// the residual). Cholesky, and CG with cg_float_gather off, use the double
// rows throughout. Either way a row's result is a fixed sequence of
// operations on its own data: bitwise the same at any thread count or
// partition.
//
// Full loss from the pieces (what the driver sums over ranks): writing
// s_ui = x_u . y_i and splitting the all-pairs sum into "every pair as if
// p = 0, c = 1" plus a correction on the observed pairs,
//
//     L = sum_u x_u^T YtY x_u                                   (all pairs, p = 0, c = 1)
//       + sum_u sum_{i in R(u)} [c_ui (1 - s_ui)^2 - s_ui^2]    (implicit_loss_terms)
//       + lambda (sum_u |x_u|^2 + sum_i |y_i|^2).
//
// The first term equals <X^T X, Y^T Y>_F = sum_{a,b} (X^T X)_ab (Y^T Y)_ab,
// so with both Grams from src/gram.hpp it is rank-count independent too.
// The observed corrections are summed per row (user or item) in stored
// order, one ExactSum term per row; the solver adds them for the rows it
// just solved (solve_implicit_rows' loss_terms) while those rows'
// counterparts are still gathered. Cholesky and double CG take s_ui from
// the double factors; float CG from the float32 rows its passes read (the
// same float dot products), so its loss carries their rounding (relative
// ~1e-7, far below a sweep's change of the loss) and costs no second
// gather of the counterpart rows.
#pragma once

#include <vector>

#include "src/csr_block.hpp"
#include "src/exact_sum.hpp"
#include "src/normal_equation.hpp"

namespace hpcrec::math {

struct ImplicitAlsConfig {
  enum class Confidence { kLinear, kLog };

  double lambda = 0.1;  // >= 0; plain, not scaled by the row's count
  double alpha = 1.0;   // >= 0
  Confidence confidence = Confidence::kLinear;
  double eps = 1.0;  // > 0; kLog only
  SolverKind solver = SolverKind::kConjugateGradient;
  int cg_steps = 3;  // >= 0
  // CG only: interaction passes in float32 over a float32 copy of the
  // counterpart rows (see the top of the file); off: double throughout.
  bool cg_float_gather = true;
  int threads = 1;
};

// w = c - 1 of one interaction with value r: 0 for r <= 0.
double implicit_confidence_weight(const ImplicitAlsConfig& config, double r);

// Solves every row of `interactions`, whose column ids index the rows of
// `src_factors` (the counterpart side, gathered). `yty` is the k x k Gram of
// ALL counterpart factors (only its lower triangle is read). On entry
// `dst_factors` (rows x k) holds the warm start, which CG refines and
// Cholesky ignores; on exit it holds the solution. A row with no interaction
// r > 0 gets x = 0, its exact minimiser (b = 0), with either solver.
//
// A row's result depends only on its own interactions (in stored order), the
// counterpart rows they reference, yty and its warm start: it is bitwise the
// same at any thread count, whichever other rows share the block, and
// wherever src_factors lives in memory (rows are gathered into aligned
// buffers before any reduction).
//
// With `loss_terms`, also adds for each row its implicit_loss_terms (below)
// with its new factors, one ExactSum term per row, from the rows gathered
// for the solve: bitwise as a separate implicit_loss_terms call would for
// Cholesky and double CG; to float precision (s_ui in float32) for float CG.
// `scratch`, if given, keeps buffers across calls.
struct ImplicitScratch {
  std::vector<float> mirror;  // cg_float_gather: the float32 counterpart rows
};
void solve_implicit_rows(const CsrView& interactions, const Eigen::Ref<const Matrix>& src_factors,
                         const Eigen::Ref<const ColMatrix>& yty, const ImplicitAlsConfig& config,
                         Matrix& dst_factors, ExactSum* loss_terms = nullptr,
                         ImplicitScratch* scratch = nullptr);

// Flop count of one solve_implicit_rows call with config.solver, counting
// per row with n interactions r > 0 (rows with none cost nothing) the
// arithmetic on the k real components (the kernels pad k to whole SIMD
// vectors; the padding lanes are not counted):
//
//   Cholesky: n k (k + 1)          w y y^T, lower triangle (multiply-add = 2)
//           + 3 n k                b += c y, and scaling y by sqrt(w)
//           + k^3 / 3 + 2 k^2 + k  factorisation, two triangular solves, + lambda I
//   CG, s = cg_steps:
//             (s + 1) (2 k^2 + 2 k + n (4 k + 2))   one residual + s products A v
//           + 2 k + s (10 k)                        r.r, then per step p.Ap, x, r, r.r, p
//
// CG counts its nominal steps (a row whose residual vanishes stops early).
double implicit_rows_flops(const CsrView& interactions, int k, const ImplicitAlsConfig& config);
// The same for one row with n interactions r > 0 (hpcrec plan's model uses it too).
double implicit_row_flops(double n, int k, const ImplicitAlsConfig& config);

// For the given rows (factors `row_factors`, same rows as `interactions`):
// sum over rows u, then over u's interactions with r > 0 in stored order, of
// c_ui (1 - s_ui)^2 - s_ui^2 with s_ui = x_u . y_i (see the loss above for
// how the full loss is assembled). Rows are summed in order: the result is
// independent of the thread count. The ExactSum overload adds one term per
// row instead, so the caller's total is independent of the partition.
double implicit_loss_terms(const CsrView& interactions, const Eigen::Ref<const Matrix>& src_factors,
                           const Eigen::Ref<const Matrix>& row_factors, const ImplicitAlsConfig& config);
void implicit_loss_terms(const CsrView& interactions, const Eigen::Ref<const Matrix>& src_factors,
                         const Eigen::Ref<const Matrix>& row_factors, const ImplicitAlsConfig& config,
                         ExactSum& out);

}  // namespace hpcrec::math
