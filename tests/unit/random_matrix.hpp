// Test data: matrices of independent normal draws, filled in storage order
// (row by row for the row-major Matrix, column by column for ColMatrix) from
// one seeded stream, so a test's data is fixed by (shape, seed, sd).
#pragma once

#include <random>

#include "src/types.hpp"

namespace hpcrec::testing {

template <class M = math::Matrix>
M random_normal(Eigen::Index rows, Eigen::Index cols, unsigned seed, double sd = 1.0) {
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> normal(0.0, sd);
  M m(rows, cols);
  for (Eigen::Index t = 0; t < m.size(); ++t) m.data()[t] = normal(gen);
  return m;
}

}  // namespace hpcrec::testing
