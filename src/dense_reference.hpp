// The yardstick for the kernels' GFLOP/s: a dense matrix product with Eigen
// in the same process, same compiler flags and thread count.
#pragma once

namespace hpcrec::math {

// GFLOP/s of C = A^T B with A, B of size depth x n (2 n^2 depth flops), the
// best of `repeats` runs. The default is a large square product, where Eigen
// runs closest to the machine's peak: the hardest yardstick.
double dense_product_gflops(int n = 1024, int depth = 1024, int repeats = 5);

}  // namespace hpcrec::math
