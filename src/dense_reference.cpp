#include "src/dense_reference.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <limits>
#include <vector>

#include "src/types.hpp"

namespace hpcrec::math {

namespace {

// OpenBLAS is opened at run time, only when a yardstick is asked for: linked
// in, its pthread build would start a thread pool in every hpcrec process
// (one per core, in each of the ranks on a node) for a benchmark most runs
// never take. CBLAS's enum values and 32-bit integer interface (Debian's
// libopenblas0; libopenblas64 is a separate library).
constexpr int kColMajor = 102, kNoTrans = 111, kTrans = 112;
using Sgemm = void (*)(int, int, int, int, int, int, float, const float*, int, const float*, int, float,
                       float*, int);
using Dgemm = void (*)(int, int, int, int, int, int, double, const double*, int, const double*, int, double,
                       double*, int);

struct OpenBlas {
  Sgemm sgemm = nullptr;
  Dgemm dgemm = nullptr;
  const char* (*corename)() = nullptr;
  void (*set_threads)(int) = nullptr;
  bool ok() const { return sgemm && dgemm; }
};

const OpenBlas& openblas() {
  static const OpenBlas lib = [] {
    OpenBlas b;
    // One thread, as a rank runs; read by OpenBLAS when it loads.
    setenv("OPENBLAS_NUM_THREADS", "1", 0);
    void* h = nullptr;
    for (const char* name : {"libopenblas.so.0", "libopenblas.so"})
      if ((h = dlopen(name, RTLD_NOW | RTLD_LOCAL)) != nullptr) break;
    if (h == nullptr) return b;
    b.sgemm = reinterpret_cast<Sgemm>(dlsym(h, "cblas_sgemm"));
    b.dgemm = reinterpret_cast<Dgemm>(dlsym(h, "cblas_dgemm"));
    b.corename = reinterpret_cast<const char* (*)()>(dlsym(h, "openblas_get_corename"));
    b.set_threads = reinterpret_cast<void (*)(int)>(dlsym(h, "openblas_set_num_threads"));
    if (b.set_threads) b.set_threads(1);
    return b;
  }();
  return lib;
}

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
  const OpenBlas& blas = openblas();
  if (!blas.ok()) return std::numeric_limits<double>::quiet_NaN();
  double best = 0;
  if (single) {
    const Eigen::MatrixXf a = Eigen::MatrixXf::Random(depth, n), b = Eigen::MatrixXf::Random(depth, n);
    Eigen::MatrixXf c(n, n);
    best = best_seconds(repeats, [&] {
      blas.sgemm(kColMajor, kTrans, kNoTrans, n, n, depth, 1.0f, a.data(), depth, b.data(), depth, 0.0f,
                 c.data(), n);
    });
    volatile float sink = c(0, 0);
    (void)sink;
  } else {
    const ColMatrix a = ColMatrix::Random(depth, n), b = ColMatrix::Random(depth, n);
    ColMatrix c(n, n);
    best = best_seconds(repeats, [&] {
      blas.dgemm(kColMajor, kTrans, kNoTrans, n, n, depth, 1.0, a.data(), depth, b.data(), depth, 0.0,
                 c.data(), n);
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
  const OpenBlas& blas = openblas();
  if (!blas.ok()) return "none (libopenblas.so.0 not found)";
  const char* name = blas.corename ? blas.corename() : nullptr;
  return name ? std::string(name) : std::string("unknown");
}

}  // namespace hpcrec::math
