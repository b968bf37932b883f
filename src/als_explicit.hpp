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
#pragma once

#include "src/csr_block.hpp"
#include "src/normal_equation.hpp"

namespace hpcrec::math {

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
// and dim d = k + 1: n*d*(d+1) for Z^T Z (lower half, multiply-add = 2) +
// 2*n*d for Z^T t + d^3/3 for the Cholesky factorisation + 2*d^2 for the solve.
double explicit_rows_flops(const CsrView& ratings, int k);

}  // namespace hpcrec::math
