// The yardstick for the KNN similarity benchmark: a plain sparse product
// X^T X of the item-major ratings (Eigen), the co-rating counts every
// similarity needs, with nothing else (no centring, no top-K).
#pragma once

#include "src/csr_block.hpp"

namespace hpcrec::math {

struct SparseProductTiming {
  double seconds = 0;
  double output_nonzeros = 0;
};

// Times C = B B^T for B = `by_item` (items x users, all items: one rank).
SparseProductTiming time_sparse_gram(const CsrBlock& by_item, Index users);

}  // namespace hpcrec::math
