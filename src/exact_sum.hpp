// Sums whose result does not depend on the order of the terms.
//
// Floating-point addition is not associative, so a global mean reduced over P
// ranks would change with P. Each term is instead rounded once to a fixed-point
// integer (2^-40 resolution, 128-bit accumulator, exact up to ~1e26 in sum),
// and integer addition is associative: any partition, any reduction order,
// bitwise the same result.
#pragma once

#include <cstdint>

namespace hpcrec::math {

class ExactSum {
 public:
  static constexpr int kFractionBits = 40;

  void add(double x);
  void merge(const ExactSum& other) { acc_ += other.acc_; }
  double value() const;

  // Raw access for reductions over MPI (two 64-bit words, low first).
  std::uint64_t low_word() const;
  std::int64_t high_word() const;
  static ExactSum from_words(std::uint64_t low, std::int64_t high);

 private:
  // __extension__: __int128 is a GCC/Clang extension; keeps -Wpedantic quiet
  // for every file that includes this header.
  __extension__ __int128 acc_ = 0;
};

}  // namespace hpcrec::math
