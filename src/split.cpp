#include "src/split.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace hpcrec::math {

void mark_test(const SplitSpec& spec, Index user, std::span<const SplitEntry> entries,
               std::vector<char>& is_test) {
  if (std::any_of(entries.begin(), entries.end(), [](const SplitEntry& e) { return e.held; })) {
    std::vector<SplitEntry> rest;
    std::vector<size_t> at;
    for (size_t j = 0; j < entries.size(); ++j) {
      if (entries[j].held) continue;
      rest.push_back(entries[j]);
      at.push_back(j);
    }
    std::vector<char> rest_test;
    mark_test(spec, user, rest, rest_test);
    is_test.assign(entries.size(), 1);
    for (size_t w = 0; w < at.size(); ++w) is_test[at[w]] = rest_test[w];
    return;
  }
  const size_t n = entries.size();
  is_test.assign(n, 0);
  switch (spec.kind) {
    case SplitKind::kNone:
      return;
    case SplitKind::kRandom:
      for (size_t j = 0; j < n; ++j) is_test[j] = held_out(spec.seed, user, entries[j].item, spec.fraction);
      return;
    case SplitKind::kFold:
      for (size_t j = 0; j < n; ++j) {
        const int f = std::min(spec.folds - 1,
                               static_cast<int>(split_hash(spec.seed, user, entries[j].item) * spec.folds));
        is_test[j] = f == spec.fold;
      }
      return;
    case SplitKind::kStrong:
      if (!strong_user(spec, user)) return;
      break;
    default:
      break;
  }
  if (n < 2) return;
  const double share = spec.kind == SplitKind::kStrong ? 1.0 - spec.given : spec.fraction;
  size_t hold = spec.kind == SplitKind::kLeaveKOut
                    ? static_cast<size_t>(spec.leave_k)
                    : static_cast<size_t>(std::llround(share * static_cast<double>(n)));
  hold = std::min(hold, n - 1);
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  if (spec.kind == SplitKind::kTemporal) {
    // Latest first: by timestamp, then file order.
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      if (entries[a].timestamp != entries[b].timestamp) return entries[a].timestamp > entries[b].timestamp;
      return entries[a].seq > entries[b].seq;
    });
  } else {
    std::vector<double> h(n);
    for (size_t j = 0; j < n; ++j) h[j] = split_hash(spec.seed, user, entries[j].item);
    std::sort(order.begin(), order.end(),
              [&](size_t a, size_t b) { return h[a] < h[b] || (h[a] == h[b] && a < b); });
  }
  for (size_t j = 0; j < hold; ++j) is_test[order[j]] = 1;
}

}  // namespace hpcrec::math
