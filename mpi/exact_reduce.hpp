// An exact sum over ranks: each rank's ExactSum (src/exact_sum.hpp) merged
// in integer arithmetic, so the total is bitwise the same for any partition
// of the terms and any number of ranks.
#pragma once

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

}  // namespace hpcrec::dist
