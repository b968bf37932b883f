#include "src/csr_block.hpp"

#include <algorithm>
#include <numeric>

namespace hpcrec::math {

CsrBlock build_csr(std::span<const Rating> ratings, Index first_row, Index rows, bool by_item) {
  CsrBlock b;
  b.first_row = first_row;
  b.indptr.assign(static_cast<size_t>(rows) + 1, 0);
  auto row_of = [&](const Rating& r) { return (by_item ? r.item : r.user) - first_row; };
  auto col_of = [&](const Rating& r) { return by_item ? r.user : r.item; };
  for (const Rating& r : ratings) ++b.indptr[row_of(r) + 1];
  std::partial_sum(b.indptr.begin(), b.indptr.end(), b.indptr.begin());
  b.cols.resize(ratings.size());
  b.values.resize(ratings.size());
  std::vector<Offset> next(b.indptr.begin(), b.indptr.end() - 1);
  for (const Rating& r : ratings) {
    Offset at = next[row_of(r)]++;
    b.cols[at] = col_of(r);
    b.values[at] = r.value;
  }
  // Sort each row by column: the order in which a row's normal equation
  // accumulates must not depend on where the ratings came from.
  std::vector<std::pair<Index, float>> tmp;
  for (Index row = 0; row < rows; ++row) {
    Offset lo = b.indptr[row], hi = b.indptr[row + 1];
    if (std::is_sorted(b.cols.begin() + lo, b.cols.begin() + hi)) continue;
    tmp.clear();
    for (Offset k = lo; k < hi; ++k) tmp.emplace_back(b.cols[k], b.values[k]);
    std::sort(tmp.begin(), tmp.end(), [](auto& a, auto& c) { return a.first < c.first; });
    for (Offset k = lo; k < hi; ++k) {
      b.cols[k] = tmp[k - lo].first;
      b.values[k] = tmp[k - lo].second;
    }
  }
  return b;
}

}  // namespace hpcrec::math
