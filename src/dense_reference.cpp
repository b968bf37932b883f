#include "src/dense_reference.hpp"

#include <algorithm>
#include <chrono>

#include "src/types.hpp"

namespace hpcrec::math {

double dense_product_gflops(int n, int depth, int repeats) {
  ColMatrix a = ColMatrix::Random(depth, n), b = ColMatrix::Random(depth, n);
  ColMatrix c(n, n);
  double best = 1e30;
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    c.noalias() = a.transpose() * b;
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::min(best, s);
  }
  volatile double sink = c(0, 0);
  (void)sink;
  return 2.0 * n * n * depth / best / 1e9;
}

}  // namespace hpcrec::math
