#include <gtest/gtest.h>

#include "src/csr_block.hpp"

using namespace hpcrec::math;

// The worked example of src/csr_block.hpp.
TEST(CsrBlock, BuildsTheDocumentedExample) {
  std::vector<Rating> r = {{7, 2, 3}, {5, 3, 1}, {7, 1, 5}, {5, 0, 4}};
  CsrBlock b = build_csr(r, 5, 3, /*by_item=*/false);
  EXPECT_EQ(b.indptr, (std::vector<Offset>{0, 2, 2, 4}));
  EXPECT_EQ(b.cols, (std::vector<Index>{0, 3, 1, 2}));
  EXPECT_EQ(b.values, (std::vector<float>{4, 1, 5, 3}));
  CsrBlock t = build_csr(r, 0, 4, /*by_item=*/true);
  EXPECT_EQ(t.indptr, (std::vector<Offset>{0, 1, 2, 3, 4}));
  EXPECT_EQ(t.cols, (std::vector<Index>{5, 7, 7, 5}));
}
