// The float32 copy of a block of counterpart factor rows that the CG
// solvers' passes read (src/als_implicit.cpp, src/als_explicit.cpp): a
// gather then fetches half the cache lines of the double rows, and each
// SIMD vector holds twice the lanes.
//
// Layout: row r at mirror + r * kpf, kpf = k rounded up to whole 16-float
// (64-byte) vectors, the widest the kernels dispatch to; the first row on a
// 64-byte line, so every row is whole lines; padding zero. With k = 3:
//
//     src (double)        mirror (float, kpf = 16)
//     [0.1 0.2 0.3]  ->   [0.1f 0.2f 0.3f 0 0 0 0 0 0 0 0 0 0 0 0 0]
//     [1.0 2.0 3.0]  ->   [1.0f 2.0f 3.0f 0 ...                    0]
#pragma once

#include <algorithm>
#include <vector>

#include "src/types.hpp"

namespace hpcrec::math {

using FloatRows = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using FloatVector = Eigen::VectorXf;
constexpr Eigen::Index kFloatLanes = 16;

inline Eigen::Index round_up_float(Eigen::Index x) {
  return (x + kFloatLanes - 1) / kFloatLanes * kFloatLanes;
}

// Rows one float gather of a CG solver holds: 2 MiB (8192 rows at k = 64),
// at least 32. A row with at most this many ratings is gathered once for all
// its passes and stays in L2; a longer one is re-gathered per pass, so the
// workspace is bounded whatever the longest row.
inline Eigen::Index float_capacity(Eigen::Index kpf) { return std::max<Eigen::Index>(32, 524288 / kpf); }

// Counterpart rows the float gathers prefetch ahead (random reads from a
// block far larger than the caches).
constexpr Eigen::Index kPrefetchFloat = 16;

// Fills `storage` (reused across calls: fresh pages would fault on every
// half-step) with y_i rounded to nearest float and returns the first row.
const float* float_mirror(const Eigen::Ref<const Matrix>& src, int threads, std::vector<float>& storage);

}  // namespace hpcrec::math
