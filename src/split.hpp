// Train/test splits that do not depend on the number of ranks: whether a
// rating is held out is a pure function of (seed, user, item).
#pragma once

#include "src/rng.hpp"
#include "src/types.hpp"

namespace hpcrec::math {

// True for about `fraction` of all (user, item) pairs, chosen by hash.
inline bool held_out(std::uint64_t seed, Index user, Index item, double fraction) {
  const std::uint64_t key = (static_cast<std::uint64_t>(static_cast<std::uint32_t>(user)) << 32) |
                            static_cast<std::uint32_t>(item);
  return uniform01(seed, static_cast<std::uint64_t>(RngStream::kSplit), key) < fraction;
}

}  // namespace hpcrec::math
