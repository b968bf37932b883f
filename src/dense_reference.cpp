#include "src/dense_reference.hpp"

#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include "src/types.hpp"

namespace hpcrec::math {

namespace {

template <class F>
double best_seconds(int repeats, F&& body) {
  double best = 1e30;
  for (int r = 0; r < std::max(repeats, 1); ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    body();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

}  // namespace

double dense_product_gflops(int n, int depth, int repeats) {
  ColMatrix a = ColMatrix::Random(depth, n), b = ColMatrix::Random(depth, n);
  ColMatrix c(n, n);
  const double best = best_seconds(repeats, [&] { c.noalias() = a.transpose() * b; });
  volatile double sink = c(0, 0);
  (void)sink;
  return 2.0 * n * n * depth / best / 1e9;
}

double gemm_gflops(bool single, int n, int depth, int repeats) {
  // One thread, as a rank runs (the ranks would share the cores otherwise).
  openblas_set_num_threads(1);
  double best = 0;
  if (single) {
    const Eigen::MatrixXf a = Eigen::MatrixXf::Random(depth, n), b = Eigen::MatrixXf::Random(depth, n);
    Eigen::MatrixXf c(n, n);
    best = best_seconds(repeats, [&] {
      cblas_sgemm(CblasColMajor, CblasTrans, CblasNoTrans, n, n, depth, 1.0f, a.data(), depth, b.data(),
                  depth, 0.0f, c.data(), n);
    });
    volatile float sink = c(0, 0);
    (void)sink;
  } else {
    const ColMatrix a = ColMatrix::Random(depth, n), b = ColMatrix::Random(depth, n);
    ColMatrix c(n, n);
    best = best_seconds(repeats, [&] {
      cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, n, n, depth, 1.0, a.data(), depth, b.data(), depth,
                  0.0, c.data(), n);
    });
    volatile double sink = c(0, 0);
    (void)sink;
  }
  return 2.0 * n * n * depth / best / 1e9;
}

double triad_gbs(std::size_t n, int repeats) {
  std::vector<double> a(n, 0.0), b(n, 1.0), c(n, 2.0);
  const double s = 3.0;
  double* pa = a.data();
  const double* pb = b.data();
  const double* pc = c.data();
  const double best = best_seconds(repeats, [&] {
    for (std::size_t i = 0; i < n; ++i) pa[i] = pb[i] + s * pc[i];
  });
  volatile double sink = a[n / 2];
  (void)sink;
  return 24.0 * static_cast<double>(n) / best / 1e9;
}

std::string blas_core() {
  const char* name = openblas_get_corename();
  return name ? std::string(name) : std::string("unknown");
}

}  // namespace hpcrec::math
