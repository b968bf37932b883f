#include "src/ranking_metrics.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "src/exact_limbs.hpp"

namespace hpcrec::math {

namespace {

// Per-user values lie in [0, 1]; scaled by 2^24 before ExactSum's 2^-40
// rounding they keep 64 bits below 1, more than a double holds, so the sums
// are the exact sums rounded once (while 2^62 users would still fit).
constexpr int kScaleBits = 24;

}  // namespace

RankingMetrics ranking_metrics_at_k(std::span<const Index> recommended, std::span<const Index> relevant,
                                    int k) {
  if (k < 1) throw std::invalid_argument("ranking_metrics_at_k: k must be at least 1");
  RankingMetrics m;
  if (relevant.empty()) return m;
  const std::size_t len = std::min<std::size_t>(recommended.size(), static_cast<std::size_t>(k));
  const auto ideal = static_cast<int>(std::min<std::size_t>(relevant.size(), static_cast<std::size_t>(k)));
  int hits = 0;
  double dcg = 0.0;
  double ap = 0.0;
  for (std::size_t i = 0; i < len; ++i) {
    if (!std::binary_search(relevant.begin(), relevant.end(), recommended[i])) continue;
    ++hits;
    const double rank = static_cast<double>(i + 1);
    dcg += 1.0 / std::log2(rank + 1.0);
    ap += hits / rank;  // precision at this hit's rank
  }
  double idcg = 0.0;
  for (int r = 1; r <= ideal; ++r) idcg += 1.0 / std::log2(r + 1.0);
  m.precision = static_cast<double>(hits) / k;
  m.recall = static_cast<double>(hits) / static_cast<double>(relevant.size());
  m.ndcg = dcg / idcg;
  m.map = ap / ideal;
  m.hit_rate = hits > 0 ? 1.0 : 0.0;
  return m;
}

bool RankingAccumulator::add_user(std::span<const Index> recommended, std::span<const Index> relevant,
                                  int k) {
  if (relevant.empty()) return false;
  add(ranking_metrics_at_k(recommended, relevant, k));
  return true;
}

void RankingAccumulator::add(const RankingMetrics& m) {
  sums_[0].add(std::ldexp(m.precision, kScaleBits));
  sums_[1].add(std::ldexp(m.recall, kScaleBits));
  sums_[2].add(std::ldexp(m.ndcg, kScaleBits));
  sums_[3].add(std::ldexp(m.map, kScaleBits));
  sums_[4].add(std::ldexp(m.hit_rate, kScaleBits));
  ++users_;
}

void RankingAccumulator::merge(const RankingAccumulator& other) {
  for (int i = 0; i < kMetrics; ++i) sums_[i].merge(other.sums_[i]);
  users_ += other.users_;
}

RankingMetrics RankingAccumulator::sum() const {
  return {std::ldexp(sums_[0].value(), -kScaleBits), std::ldexp(sums_[1].value(), -kScaleBits),
          std::ldexp(sums_[2].value(), -kScaleBits), std::ldexp(sums_[3].value(), -kScaleBits),
          std::ldexp(sums_[4].value(), -kScaleBits)};
}

RankingMetrics RankingAccumulator::mean() const {
  if (users_ == 0) return {};
  RankingMetrics m = sum();
  const auto n = static_cast<double>(users_);
  m.precision /= n;
  m.recall /= n;
  m.ndcg /= n;
  m.map /= n;
  m.hit_rate /= n;
  return m;
}

std::array<double, RankingAccumulator::kArraySize> RankingAccumulator::to_array() const {
  std::array<double, kArraySize> out{};
  for (int i = 0; i < kMetrics; ++i) {
    exact_sum_to_limbs<double>(
        sums_[i], std::span(out).subspan(static_cast<std::size_t>(kExactLimbs) * i, kExactLimbs));
  }
  out[kArraySize - 1] = static_cast<double>(users_);
  return out;
}

RankingAccumulator RankingAccumulator::from_array(std::span<const double> values) {
  if (values.size() != kArraySize) throw std::invalid_argument("RankingAccumulator::from_array: wrong size");
  RankingAccumulator acc;
  for (int i = 0; i < kMetrics; ++i) {
    acc.sums_[i] =
        exact_sum_from_limbs<double>(values.subspan(static_cast<std::size_t>(kExactLimbs) * i, kExactLimbs));
  }
  const double users = values[kArraySize - 1];
  if (!(users >= 0.0) || users != std::trunc(users) || users > 0x1.0p53) {
    throw std::invalid_argument("RankingAccumulator::from_array: user count is not a count");
  }
  acc.users_ = static_cast<std::int64_t>(users);
  return acc;
}

void mark_items(std::span<const Index> items, std::vector<std::uint8_t>& seen) {
  for (const Index i : items) {
    if (i < 0 || static_cast<std::size_t>(i) >= seen.size())
      throw std::out_of_range("mark_items: item id out of range");
    seen[static_cast<std::size_t>(i)] = 1;
  }
}

std::int64_t count_marked(std::span<const std::uint8_t> seen) {
  return std::count_if(seen.begin(), seen.end(), [](std::uint8_t s) { return s != 0; });
}

}  // namespace hpcrec::math
