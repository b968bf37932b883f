// Basic types shared by every layer.
#pragma once

#include <Eigen/Core>
#include <cstdint>

namespace hpcrec::math {

// Dense row/column index after id remapping (users 0..m-1, items 0..n-1).
using Index = std::int32_t;
// Counts and offsets that may exceed 2^31 (ratings, byte offsets).
using Offset = std::int64_t;

// Factor matrices are row-major so that one user's (item's) factors are
// contiguous: rows are what the routing plan sends and what a solve gathers.
using Matrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ColMatrix = Eigen::MatrixXd;
using Vector = Eigen::VectorXd;

// One rating after id remapping.
struct Rating {
  Index user;
  Index item;
  float value;
};

}  // namespace hpcrec::math
