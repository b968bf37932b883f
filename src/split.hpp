// Train/test splits that do not depend on the number of ranks: whether a
// rating is held out is a pure function of (seed, user, item) and, for the
// per-user splits, of the user's own interactions, which all live at the
// user's owner.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "src/rng.hpp"
#include "src/types.hpp"

namespace hpcrec::math {

// True for about `fraction` of all (user, item) pairs, chosen by hash.
inline double split_hash(std::uint64_t seed, Index user, Index item) {
  const std::uint64_t key =
      (static_cast<std::uint64_t>(static_cast<std::uint32_t>(user)) << 32) | static_cast<std::uint32_t>(item);
  return uniform01(seed, static_cast<std::uint64_t>(RngStream::kSplit), key);
}
inline bool held_out(std::uint64_t seed, Index user, Index item, double fraction) {
  return split_hash(seed, user, item) < fraction;
}

enum class SplitKind {
  kNone,
  kRandom,     // each interaction with probability `fraction`
  kUser,       // round(fraction * n_u) of each user's interactions, chosen by hash
  kTemporal,   // each user's latest round(fraction * n_u) by timestamp
  kLeaveKOut,  // leave_k of each user's interactions, chosen by hash
  kFold,       // fold `fold` of `folds`: interactions whose hash falls in [fold/folds, (fold+1)/folds)
  kStrong,     // strong generalisation: `fraction` of the users (by hash) are held out; of each,
               // round((1 - given) n_u) interactions (by hash) are test, the rest are given to
               // the model at evaluation (fold-in), never trained on (see strong_user)
};

struct SplitSpec {
  SplitKind kind = SplitKind::kNone;
  double fraction = 0.0;
  int leave_k = 1;
  int folds = 5;
  int fold = 0;
  std::uint64_t seed = 1;
  double given = 0.8;  // kStrong: the share of a held-out user's interactions given to the model
};

// kStrong: whether `user` (dense id) is held out. Item -2: a hash stream no
// (user, item) pair of the ordinary split or the cold items (-1) uses.
inline bool strong_user(const SplitSpec& spec, Index user) {
  return spec.kind == SplitKind::kStrong && held_out(spec.seed, user, -2, spec.fraction);
}

// One of a user's interactions as the split sees it.
struct SplitEntry {
  Index item;
  std::int64_t timestamp;
  std::uint32_t seq;  // file order: the later of equal timestamps is the later in the file
  bool held = false;  // its item is held out whole (cold-start evaluation): always test
};

// Sets is_test[j] for each of one user's interactions. Held entries are
// test; the split sees only the others. The per-user splits (user,
// temporal, leave-k-out) keep at least one of those in training, so that
// every test user has history.
//
// Example, temporal with fraction 0.5 over a user's entries with timestamps
// {30, 10, 20, 40}: round(0.5 * 4) = 2 latest, so is_test = {1, 0, 0, 1}.
// With the entry at 40 held: it is test, and of {30, 10, 20} round(1.5) = 2
// latest go too: is_test = {1, 0, 1, 1}.
void mark_test(const SplitSpec& spec, Index user, std::span<const SplitEntry> entries,
               std::vector<char>& is_test);

}  // namespace hpcrec::math
