#include "src/exact_sum.hpp"

#include <cmath>
#include <stdexcept>

namespace hpcrec::math {

namespace {

__extension__ using Int128 = __int128;
__extension__ using UInt128 = unsigned __int128;

// Terms are limited to |x| * 2^40 < 2^126 so that even a few of the largest
// terms cannot wrap the 127-bit magnitude of the accumulator.
constexpr int kMaxScaledExponent = 126;

}  // namespace

void ExactSum::add(double x) {
  if (!std::isfinite(x)) throw std::domain_error("ExactSum::add: term is not finite");
  const double scaled = std::nearbyint(std::ldexp(x, kFractionBits));  // ties to even, the default mode
  if (std::fabs(scaled) < 0x1.0p62) {
    acc_ += static_cast<std::int64_t>(scaled);
    return;
  }
  // Beyond 2^62 the double is already an integer (its ulp is >= 2^10), and
  // converting it through int64 would overflow: rebuild it exactly from its
  // 53-bit mantissa and exponent instead.
  int exponent = 0;
  const double mantissa =
      std::frexp(scaled, &exponent);  // scaled = mantissa * 2^exponent, |mantissa| in [0.5, 1)
  if (exponent > kMaxScaledExponent) throw std::overflow_error("ExactSum::add: term too large");
  const auto m53 = static_cast<std::int64_t>(std::ldexp(mantissa, 53));
  acc_ += static_cast<Int128>(m53) * (static_cast<Int128>(1) << (exponent - 53));
}

double ExactSum::value() const {
  // int128 -> double rounds once to nearest; scaling by 2^-40 is then exact.
  return std::ldexp(static_cast<double>(acc_), -kFractionBits);
}

std::uint64_t ExactSum::low_word() const { return static_cast<std::uint64_t>(static_cast<UInt128>(acc_)); }

std::int64_t ExactSum::high_word() const { return static_cast<std::int64_t>(acc_ >> 64); }

ExactSum ExactSum::from_words(std::uint64_t low, std::int64_t high) {
  ExactSum s;
  const UInt128 bits = (static_cast<UInt128>(static_cast<std::uint64_t>(high)) << 64) | low;
  s.acc_ = static_cast<Int128>(bits);
  return s;
}

}  // namespace hpcrec::math
