// An exact sum over ranks: each rank's ExactSum (src/exact_sum.hpp) merged
// in integer arithmetic, so the total is bitwise the same for any partition
// of the terms and any number of ranks.
#pragma once

#include <vector>

#include "mpi/communicator.hpp"
#include "src/exact_sum.hpp"

namespace hpcrec::dist {

// Collective. Every rank gets the total.
inline math::ExactSum exact_allreduce(const Communicator& comm, const math::ExactSum& mine) {
  const auto low = comm.allgather<std::uint64_t>(mine.low_word());
  const auto high = comm.allgather<std::int64_t>(mine.high_word());
  math::ExactSum total;
  for (int r = 0; r < comm.size(); ++r) total.merge(math::ExactSum::from_words(low[r], high[r]));
  return total;
}

// Collective. The same for a vector of sums (the same length on every rank),
// element by element, in two collectives.
inline std::vector<math::ExactSum> exact_allreduce(const Communicator& comm,
                                                   const std::vector<math::ExactSum>& mine) {
  std::vector<std::uint64_t> low;
  std::vector<std::int64_t> high;
  for (const auto& s : mine) {
    low.push_back(s.low_word());
    high.push_back(s.high_word());
  }
  const auto all_low = comm.allgatherv<std::uint64_t>(low);
  const auto all_high = comm.allgatherv<std::int64_t>(high);
  std::vector<math::ExactSum> total(mine.size());
  for (size_t r = 0; r < static_cast<size_t>(comm.size()); ++r)
    for (size_t j = 0; j < mine.size(); ++j)
      total[j].merge(math::ExactSum::from_words(all_low[r * mine.size() + j], all_high[r * mine.size() + j]));
  return total;
}

}  // namespace hpcrec::dist
