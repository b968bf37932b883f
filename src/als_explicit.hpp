// Explicit-feedback ALS with biases (ALS-WR), one half-step over a block of rows.
//
// Model: r_hat(u, i) = mu + b_u + b_i + x_u . y_i.
// Loss:  sum_{(u,i) observed} (r_ui - r_hat)^2
//        + lambda * (sum_u s_u |x_u|^2 + sum_i s_i |y_i|^2)
//        + bias_lambda * (sum_u s_u b_u^2 + sum_i s_i b_i^2)
// with s_u = n_u (ratings of u) under ALS-WR (Zhou et al. 2008) or s_u = 1
// with plain lambda.
//
// With the items fixed, user u's factors and bias are solved jointly: the
// unknown is w = [x_u; b_u] (dim k+1), each rating contributes an observation
// z = [y_i; 1] with target t = r_ui - mu - b_i, and
//
//     (Z^T Z + diag(lambda s_u, ..., lambda s_u, bias_lambda s_u)) w = Z^T t
//
// where Z stacks the z's of u's ratings in ascending item order. With
// Z = [Y 1]: Z^T Z = [Y^T Y, Y^T 1; 1^T Y, n] and Z^T t = [Y^T t; 1^T t].
// The y's are gathered a fixed-size chunk at a time (per-thread memory
// O(chunk * k), whatever the longest row) and Y^T Y (lower triangle) is
// accumulated by a register-tiled rank update; every element is summed over
// the ratings in column order, so the chunking does not affect the result.
// Items are solved with the same code, roles swapped.
//
// Conjugate gradient (solver kConjugateGradient): the same system, never
// formed. With D = diag(lambda s_u, ..., lambda s_u, bias_lambda s_u),
//
//     A v = Z^T (Z v) + D v = sum_i (z_i . v) z_i + D v,
//     r   = Z^T t - A w     = sum_i (t_i - z_i . w) z_i - D w,
//
// each one pass over the row's gathered y_i (z_i = [y_i; 1]: the dot product
// is y_i . v_x + v_b, and the bias element of the sum is the plain sum of
// the coefficients). CG starts from the row's current [x_u; b_u] (the
// previous sweep's: dst on entry) and runs cg_steps steps, so a row costs
// O(steps n k) instead of O(n k^2 + k^3): an approximate solve, refined
// every sweep, as in implicit ALS (src/als_implicit.hpp; Takacs, Pilaszy &
// Tikk 2011). The passes run in float32 over a float32 copy of the
// counterpart rows (src/float_mirror.hpp): the y_i and v rounded to float,
// the dot products and the sum in float, each coefficient t_i - s_i or s_i
// and the bias element in double; the recurrences (step length, w, r, p)
// in double. A row's result is a fixed sequence of operations on its own
// data: bitwise the same at any thread count or partition.
#pragma once

#include <vector>

#include "src/csr_block.hpp"
#include "src/exact_sum.hpp"
#include "src/normal_equation.hpp"

namespace hpcrec::math {

// Error sums whose totals do not depend on the order of the terms (one
// ExactSum term per row): the same bits at any thread count or partition.
struct ExactErrorSums {
  ExactSum squared, absolute;
  std::int64_t count = 0;
  void merge(const ExactErrorSums& o) {
    squared.merge(o.squared);
    absolute.merge(o.absolute);
    count += o.count;
  }
};

struct ExplicitAlsConfig {
  double lambda = 0.1;
  double bias_lambda = 0.0;
  bool weighted_lambda = true;  // ALS-WR: scale regularisation by the row's count
  double global_mean = 0.0;
  int threads = 1;
  // Bayesian MF's Gibbs step (src/bpmf.hpp) instead of the ridge above: the
  // system is (Z^T Z + prior) w = Z^T t + prior_rhs, with `prior` a full
  // d x d matrix (lower triangle read), and a row without ratings is solved
  // too (against the prior alone). With `noise` (rows x d) row r's result is
  // not the solution but L^-T (L^-1 b + noise.row(r)), L L^T the Cholesky
  // factor of the system: for standard normal noise scaled by s, a draw from
  // N(solution, s^2 (Z^T Z + prior)^-1) at no cost beyond the solve.
  const ColMatrix* prior = nullptr;
  const Vector* prior_rhs = nullptr;
  const Matrix* noise = nullptr;
  // The ridge's solver (a prior always uses Cholesky). With CG, dst on
  // entry holds the warm start (zero rows start from zero).
  SolverKind solver = SolverKind::kCholesky;
  int cg_steps = 3;  // >= 0
  // CG: keeps the float32 counterpart rows' storage across calls (optional).
  std::vector<float>* mirror_storage = nullptr;
  // CG only: also adds the training error of every solved row's new factors
  // (prediction mu + b_src + z . w, z . w in float as in the passes, clipped
  // to [clip_min, clip_max]) to *train_errors while its ratings are
  // gathered: no second pass over the counterpart rows to evaluate.
  ExactErrorSums* train_errors = nullptr;
  double clip_min = -1e300, clip_max = 1e300;
};

// Solves every row of `ratings`, whose column ids are indices into the rows
// of `src_factors` / `src_bias` (the counterpart side, gathered). Both are
// views, so a caller holding a row-major (rows x (k+1)) gathered block passes
// block.leftCols(k) and block.col(k) without copying; plain Matrix / Vector
// objects bind too. Writes row r of `dst_factors` and element r of
// `dst_bias`. A row without ratings gets zero factors and bias. The result of
// a row depends only on that row's ratings and the counterpart rows it
// references, in column order: not on the thread count, on which other rows
// are in the block, nor on whether the inputs are views or copies.
void solve_explicit_rows(const CsrView& ratings, const Eigen::Ref<const Matrix>& src_factors,
                         const Eigen::Ref<const Vector, 0, Eigen::InnerStride<>>& src_bias,
                         const ExplicitAlsConfig& config, Matrix& dst_factors, Vector& dst_bias);

// Flop count of one call, for the benchmark's GFLOP/s: per row with n ratings
// and dim d = k + 1, Cholesky: n*d*(d+1) for Z^T Z (lower half, multiply-add
// = 2) + 2*n*d for Z^T t + d^3/3 for the factorisation + 2*d^2 for the
// solve; CG with s = cg_steps: (s + 1) * n * (4k + 4) for the passes (dot
// product and update of each row, + the bias element) + (s + 1) * 12 d for
// the recurrences. Rows without ratings cost nothing.
double explicit_rows_flops(const CsrView& ratings, int k, const ExplicitAlsConfig& config = {});
// The same for one row with n ratings (hpcrec plan's model uses it too).
double explicit_row_flops(double n, int k, const ExplicitAlsConfig& config = {});

}  // namespace hpcrec::math
