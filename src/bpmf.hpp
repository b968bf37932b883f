// Bayesian probabilistic matrix factorisation (Salakhutdinov & Mnih 2008,
// "BPMF") by Gibbs sampling: the math, no MPI.
//
// Model, with biases folded in as one more dimension (d = k + 1):
//
//   r_ui = mu + w_u . z_i + noise,   w_u = [x_u; b_u], z_i = [y_i; 1] when
//   solving users (and w_i = [y_i; b_i], z_u = [x_u; 1] for items), noise
//   ~ N(0, 1 / alpha). Each side's rows w ~ N(m, L^-1), with the Normal-
//   Wishart hyper-prior (m, L) ~ N(m | m0, (beta0 L)^-1) W(L | W0, nu0),
//   m0 = 0, W0 = I, nu0 = d, beta0 = 2 (the paper's choices).
//
// One Gibbs sample is, for users and then items:
//
//   1. (m, L) | rows: with N rows, mean x̄ and scatter S = sum (w - x̄)(w - x̄)^T,
//        beta* = beta0 + N,  nu* = nu0 + N,  m* = (beta0 m0 + N x̄) / beta*,
//        W*^-1 = W0^-1 + S + beta0 N / beta* (m0 - x̄)(m0 - x̄)^T,
//        L ~ W(W*, nu*)  (Bartlett: L = C A A^T C^T, W* = C C^T, A lower
//        with A_jj^2 ~ chi2(nu* - j), A_ij ~ N(0, 1) below the diagonal),
//        m ~ N(m*, (beta* L)^-1).
//   2. each row w_u | everything else ~ N(P^-1 h, P^-1) with
//        P = L + alpha sum_i z_i z_i^T,  h = L m + alpha sum_i z_i (r_ui - mu - b_i)
//      which is ALS's normal equation with the ridge replaced by the prior.
//      Dividing by alpha: P' = Z^T Z + L / alpha, h' = Z^T t + L m / alpha,
//      the mean is P'^-1 h' and the draw is L'^-T (L'^-1 h' + e / sqrt(alpha))
//      with P' = L' L'^T and e ~ N(0, I): src/als_explicit's kernel with
//      config.prior = L / alpha, prior_rhs = L m / alpha, noise = e / sqrt(alpha).
//
// Every random number comes from the counter-based generator (src/rng.hpp)
// keyed by (seed, sample, side) and the global row: the same draws at any
// rank or thread count.
#pragma once

#include <cstdint>

#include "src/rng.hpp"
#include "src/types.hpp"

namespace hpcrec::math {

// Sums over all rows of a side: n, sum w, sum w w^T (exact sums reduced
// over ranks by the caller, so every rank holds the same values).
struct RowMoments {
  double n = 0;
  Vector sum;        // d
  ColMatrix sum_sq;  // d x d, symmetric
};

struct NormalWishartPrior {
  double beta0 = 2.0;
  double nu0 = 0;  // 0: d
};

struct SideHyper {
  Vector mean;          // m, d
  ColMatrix precision;  // L, d x d
};

// A draw of (m, L) from their posterior given the rows' moments; the draws
// come from `rng` in a fixed order.
SideHyper sample_side_hyper(const RowMoments& moments, const NormalWishartPrior& prior, CounterRng& rng);

// Gamma(shape, 1) by Marsaglia & Tsang (2000); shape > 0.
double sample_gamma(double shape, CounterRng& rng);

// The generator of a sample's draws for one side: `purpose` 0 the hyper-
// parameters, 1 the noise precision.
CounterRng bpmf_rng(std::uint64_t seed, std::int64_t sample, int side, int purpose);

// Standard normal noise for rows [first, first + out.rows()) of a side, d =
// out.cols() values a row, scaled by `scale`: element j of global row r is
// the (r 2^20 + j)-th normal of the stream of (seed, sample, side).
void fill_row_noise(std::uint64_t seed, std::int64_t sample, int side, Index first, double scale,
                    Matrix& out);

}  // namespace hpcrec::math
