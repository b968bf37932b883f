// Rating-prediction error metrics. Sums are kept separately so that ranks can
// reduce them before the square root.
#pragma once

#include <cmath>
#include <cstdint>

namespace hpcrec::math {

struct ErrorSums {
  double squared = 0.0;
  double absolute = 0.0;
  std::int64_t count = 0;

  void add(double predicted, double actual) {
    double e = predicted - actual;
    squared += e * e;
    absolute += std::abs(e);
    ++count;
  }
  void merge(const ErrorSums& o) {
    squared += o.squared;
    absolute += o.absolute;
    count += o.count;
  }
  double rmse() const { return count ? std::sqrt(squared / count) : 0.0; }
  double mae() const { return count ? absolute / count : 0.0; }
};

inline double clip(double x, double lo, double hi) { return x < lo ? lo : (x > hi ? hi : x); }

}  // namespace hpcrec::math
