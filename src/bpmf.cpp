#include "src/bpmf.hpp"

#include <Eigen/Cholesky>
#include <cmath>
#include <stdexcept>

namespace hpcrec::math {

namespace {

// Stream ids of the BPMF draws: far from RngStream's small values.
constexpr std::uint64_t kBpmfStream = 0xb9'3f'00'00ULL;

std::uint64_t stream_of(std::int64_t sample, int side, int purpose) {
  return kBpmfStream + (static_cast<std::uint64_t>(sample) << 4) + static_cast<std::uint64_t>(side) * 4 +
         static_cast<std::uint64_t>(purpose);
}

}  // namespace

CounterRng bpmf_rng(std::uint64_t seed, std::int64_t sample, int side, int purpose) {
  return CounterRng(seed, stream_of(sample, side, purpose));
}

void fill_row_noise(std::uint64_t seed, std::int64_t sample, int side, Index first, double scale,
                    Matrix& out) {
  const CounterStream draws(seed, stream_of(sample, side, 2));
  for (Eigen::Index r = 0; r < out.rows(); ++r) {
    const std::uint64_t base = static_cast<std::uint64_t>(first + r) << 20;
    for (Eigen::Index j = 0; j < out.cols(); ++j)
      out(r, j) = scale * draws.normal(base + static_cast<std::uint64_t>(j));
  }
}

double sample_gamma(double shape, CounterRng& rng) {
  if (!(shape > 0)) throw std::invalid_argument("sample_gamma: shape must be > 0");
  if (shape < 1) {
    // Gamma(a) = Gamma(a + 1) U^(1/a).
    const double g = sample_gamma(shape + 1, rng);
    return g * std::pow(1.0 - rng.next_uniform(), 1.0 / shape);
  }
  const double d = shape - 1.0 / 3.0, c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    const double x = rng.next_normal();
    const double v0 = 1.0 + c * x;
    if (v0 <= 0) continue;
    const double v = v0 * v0 * v0;
    const double u = 1.0 - rng.next_uniform();  // (0, 1]
    if (std::log(u) < 0.5 * x * x + d - d * v + d * std::log(v)) return d * v;
  }
}

SideHyper sample_side_hyper(const RowMoments& m, const NormalWishartPrior& prior, CounterRng& rng) {
  const Eigen::Index d = m.sum.size();
  const double n = m.n;
  const double beta0 = prior.beta0, nu0 = prior.nu0 > 0 ? prior.nu0 : static_cast<double>(d);
  const Vector mean = n > 0 ? Vector(m.sum / n) : Vector(Vector::Zero(d));
  // Scatter about the mean: sum w w^T - n x̄ x̄^T.
  const ColMatrix scatter = m.sum_sq - n * mean * mean.transpose();
  const double beta = beta0 + n, nu = nu0 + n;
  const Vector mstar = (n / beta) * mean;  // m0 = 0
  ColMatrix winv = ColMatrix::Identity(d, d) + scatter + (beta0 * n / beta) * mean * mean.transpose();
  winv = 0.5 * (winv + winv.transpose());  // symmetric to the last bit
  // W* = winv^-1 = C C^T.
  const ColMatrix w = winv.llt().solve(ColMatrix::Identity(d, d));
  const ColMatrix c = Eigen::LLT<ColMatrix>(0.5 * (w + w.transpose())).matrixL();
  // Bartlett: A lower triangular, A_jj = sqrt(chi2(nu - j)), A_ij ~ N(0, 1).
  ColMatrix a = ColMatrix::Zero(d, d);
  for (Eigen::Index j = 0; j < d; ++j) {
    a(j, j) = std::sqrt(2.0 * sample_gamma(0.5 * (nu - static_cast<double>(j)), rng));
    for (Eigen::Index i = j + 1; i < d; ++i) a(i, j) = rng.next_normal();
  }
  const ColMatrix ca = c * a;
  SideHyper h;
  h.precision = ca * ca.transpose();
  h.precision = 0.5 * (h.precision + h.precision.transpose());
  // m ~ N(m*, (beta L)^-1): m* + U^-T e with beta L = U U^T.
  const Eigen::LLT<ColMatrix> bl(beta * h.precision);
  Vector e(d);
  for (Eigen::Index j = 0; j < d; ++j) e[j] = rng.next_normal();
  h.mean = mstar + bl.matrixU().solve(e);
  return h;
}

}  // namespace hpcrec::math
