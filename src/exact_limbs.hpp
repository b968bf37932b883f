// ExactSum in a form that MPI_SUM adds exactly, in any order.
//
// ExactSum's 128-bit accumulator cannot be summed word-wise (the low word's
// carry would be lost). Split instead into four 32-bit limbs,
//
//     acc = l0 + l1 2^32 + l2 2^64 + l3 2^96,   l0..l2 in [0, 2^32), l3 in [-2^31, 2^31),
//
// each held in an int64 or a double. Adding such limb vectors limb by limb
// (MPI_Allreduce with MPI_SUM on MPI_INT64_T or MPI_DOUBLE) is exact for up to
// 2^21 contributions even in doubles (every partial sum stays an integer below
// 2^53), and integer addition is associative: the reduced limbs, and so the
// recombined sum, are the same whatever the reduction tree. Recombining
// propagates the carries (mod 2^128, like ExactSum::merge).
#pragma once

#include <cmath>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <type_traits>

#include "src/exact_sum.hpp"

namespace hpcrec::math {

inline constexpr int kExactLimbs = 4;

namespace detail {
__extension__ using LimbInt128 = __int128;
__extension__ using LimbUInt128 = unsigned __int128;
}  // namespace detail

// Writes the four limbs of s (low first) to out[0..3].
template <typename T>
void exact_sum_to_limbs(const ExactSum& s, std::span<T> out) {
  if (out.size() < kExactLimbs) throw std::invalid_argument("exact_sum_to_limbs: need 4 limbs");
  const std::uint64_t lo = s.low_word();
  const std::int64_t hi = s.high_word();
  out[0] = static_cast<T>(lo & 0xffffffffu);
  out[1] = static_cast<T>(lo >> 32);
  out[2] = static_cast<T>(static_cast<std::uint64_t>(hi) & 0xffffffffu);
  out[3] = static_cast<T>(hi >> 32);  // arithmetic shift: the signed top limb
}

// Rebuilds the sum from (possibly reduced, hence un-normalised) limbs.
template <typename T>
ExactSum exact_sum_from_limbs(std::span<const T> limbs) {
  if (limbs.size() < kExactLimbs) throw std::invalid_argument("exact_sum_from_limbs: need 4 limbs");
  detail::LimbUInt128 acc = 0;
  for (int i = 0; i < kExactLimbs; ++i) {
    std::int64_t limb = 0;
    if constexpr (std::is_floating_point_v<T>) {
      // Reduced limbs are integers below 2^53; anything else is not ours.
      if (!(std::fabs(limbs[i]) < 0x1.0p62) || limbs[i] != std::trunc(limbs[i])) {
        throw std::invalid_argument("exact_sum_from_limbs: limb is not an integer");
      }
      limb = static_cast<std::int64_t>(limbs[i]);
    } else {
      limb = static_cast<std::int64_t>(limbs[i]);
    }
    // Two's complement arithmetic mod 2^128 absorbs the carries of each limb.
    acc += static_cast<detail::LimbUInt128>(static_cast<detail::LimbInt128>(limb)) << (32 * i);
  }
  return ExactSum::from_words(static_cast<std::uint64_t>(acc), static_cast<std::int64_t>(acc >> 64));
}

}  // namespace hpcrec::math
