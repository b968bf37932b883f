#include "src/support_ranking.hpp"

#include <cmath>

namespace hpcrec::math {

double log_normal_cdf(double x) {
  // Φ(x) = erfc(-x / √2) / 2. Right of 0, log1p of the small upper tail keeps
  // the digits a log of a number near 1 would lose; far left, where erfc
  // underflows (x < -37), the asymptotic series
  //   log Φ(x) = -x²/2 - log(-x) - log(2π)/2 + log(1 - 1/x² + 3/x⁴ - 15/x⁶)
  // is exact to double precision.
  constexpr double kSqrtHalf = 0.70710678118654752440;
  if (x > 0) return std::log1p(-0.5 * std::erfc(x * kSqrtHalf));
  if (x > -37) return std::log(0.5 * std::erfc(-x * kSqrtHalf));
  const double inv2 = 1.0 / (x * x);
  return -0.5 * x * x - std::log(-x) - 0.91893853320467274178 +
         std::log1p(inv2 * (-1.0 + inv2 * (3.0 - 15.0 * inv2)));
}

Vector log_support_prior(const CsrBlock& by_item) {
  Vector prior(by_item.rows());
  for (Index r = 0; r < by_item.rows(); ++r) prior[r] = std::log1p(static_cast<double>(by_item.row_nnz(r)));
  return prior;
}

}  // namespace hpcrec::math
