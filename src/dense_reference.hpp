// The yardsticks for the kernels' GFLOP/s and bandwidth, measured in the same
// process (one thread, as one rank runs): dense matrix products and a
// STREAM-like triad.
//
// dense_product_gflops is Eigen's product compiled with this build's flags:
// in the portable build (HPCREC_NATIVE=OFF) that is the x86-64 baseline
// (SSE2), far below what the CPU can do. gemm_gflops uses OpenBLAS, which
// picks its kernels for the CPU at run time (Debian builds it with
// DYNAMIC_ARCH; blas_core() names the one chosen): the best GEMM the machine
// has, the fair yardstick for the dispatched kernels.
#pragma once

#include <cstddef>
#include <string>

namespace hpcrec::math {

// GFLOP/s of C = A^T B with A, B of size depth x n (2 n^2 depth flops), the
// best of `repeats` runs, by Eigen (this build's ISA). The default is a large
// square product, where Eigen runs closest to the machine's peak.
double dense_product_gflops(int n = 1024, int depth = 1024, int repeats = 5);

// The same product by OpenBLAS on one thread, in float32 or float64; NaN
// (null in the metrics) where libopenblas.so.0 cannot be opened.
double gemm_gflops(bool single, int n = 1024, int depth = 1024, int repeats = 5);

// Bandwidth in GB/s of a[i] = b[i] + s c[i] over n doubles per array (24 n
// bytes moved per pass, STREAM's count), the best of `repeats` passes. The
// default (3 x 32 MiB) is far beyond the caches.
double triad_gbs(std::size_t n = std::size_t{1} << 22, int repeats = 5);

// The OpenBLAS kernel set in use ("Haswell", "SkylakeX", "Zen", ...).
std::string blas_core();

}  // namespace hpcrec::math
