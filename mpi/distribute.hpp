// Moving ratings to the ranks that own their users and items.
//
// Every rating lives twice: at its user's owner (user-major CSR, where users
// are solved) and at its item's owner (item-major CSR, where items are
// solved). Ratings arrive at the user owners first, where duplicates are
// resolved and test ratings split off; the cleaned training ratings then go
// on to the item owners.
#pragma once

#include <stdexcept>
#include <vector>

#include "mpi/communicator.hpp"
#include "mpi/partition.hpp"
#include "src/ids.hpp"
#include "src/types.hpp"

namespace hpcrec::dist {

enum class DuplicatePolicy { kLast, kMean, kError };

// The ratings a rank read, ids already dense (-1: not in the id map). Columns
// are freed as they are consumed.
struct LocalRatings {
  std::vector<Index> users;
  std::vector<Index> items;
  std::vector<float> values;
  std::vector<std::int64_t> timestamps;  // empty when the file has none
};

// A rating in flight. `seq` is its position in file order at the owner (the
// all-to-all concatenates rank slices in rank order, and each rank reads the
// file's slices in order), the tie-breaker of "last wins". 24 bytes.
struct Record {
  Index user;
  Index item;
  float value;
  std::uint32_t seq;
  std::int64_t timestamp;
};

// Collective. Sends each rating to the owner of its user under `users`
// (ratings with an unknown id, -1, are dropped and counted in *dropped). The
// result is in file order, seq numbered from 0. Consumes `local`.
std::vector<Record> shuffle_to_user_owners(const Communicator& comm, LocalRatings&& local,
                                           const BlockPartition& users, Offset* dropped);

// Local. Sorts by (user, item) and keeps one rating per pair: kLast the one
// with the latest timestamp, then the latest in file order; kMean the mean
// value (latest timestamp); kError stops at the first repeated pair and
// returns it in `*repeated` (the caller names it: the ids may be held by
// other ranks). Returns the number of ratings removed.
struct DensePair {
  Index user = -1, item = -1;
};
Offset resolve_duplicates(std::vector<Record>& records, DuplicatePolicy policy, DensePair* repeated);

// Collective. Sends each rating to rank dest(rating); the order of arrival is
// rank order, then the sender's order.
template <class Dest>
std::vector<Rating> shuffle_ratings_by(const Communicator& comm, const std::vector<Rating>& ratings,
                                       Dest dest) {
  const int p = comm.size();
  std::vector<std::int64_t> counts(p, 0);
  for (const Rating& r : ratings) ++counts[dest(r)];
  std::vector<std::int64_t> next(p, 0);
  for (int r = 1; r < p; ++r) next[r] = next[r - 1] + counts[r - 1];
  std::vector<Rating> send(ratings.size());
  for (const Rating& r : ratings) send[next[dest(r)]++] = r;
  return comm.alltoallv<Rating>(send, counts);
}

// Collective. Sends each rating to the owner of its item (by_item) or user under `part`.
inline std::vector<Rating> shuffle_ratings(const Communicator& comm, const std::vector<Rating>& ratings,
                                           const BlockPartition& part, bool by_item) {
  return shuffle_ratings_by(comm, ratings,
                            [&](const Rating& r) { return part.owner(by_item ? r.item : r.user); });
}

// Collective. Sends each of this rank's `pairs` to rank dest(pair), where
// `answer` (called exactly once on every rank, so it may be collective)
// gives one value per pair that arrived there, in arrival order (rank
// order, then the sender's order); each value goes back to the rank the pair
// came from. Returns the values in `pairs`' order.
template <class Dest, class Answer>
std::vector<double> answer_at(const Communicator& comm, const std::vector<Rating>& pairs, Dest dest,
                              Answer answer) {
  const int p = comm.size();
  std::vector<std::int64_t> counts(p, 0);
  std::vector<int> to(pairs.size());
  for (size_t j = 0; j < pairs.size(); ++j) ++counts[to[j] = dest(pairs[j])];
  std::vector<std::int64_t> next(p, 0);
  for (int r = 1; r < p; ++r) next[r] = next[r - 1] + counts[r - 1];
  std::vector<Rating> send(pairs.size());
  std::vector<size_t> slot(pairs.size());
  for (size_t j = 0; j < pairs.size(); ++j) {
    slot[j] = static_cast<size_t>(next[to[j]]++);
    send[slot[j]] = pairs[j];
  }
  std::vector<std::int64_t> recv_counts;
  const std::vector<Rating> arrived = comm.alltoallv<Rating>(send, counts, &recv_counts);
  const std::vector<double> values = answer(arrived);
  if (values.size() != arrived.size())
    throw std::logic_error("answer_at: one value per arrived pair expected");
  // Back along the same route: what rank r sent here returns to it in its order.
  const std::vector<double> back = comm.alltoallv<double>(values, recv_counts);
  std::vector<double> out(pairs.size());
  for (size_t j = 0; j < pairs.size(); ++j) out[j] = back[slot[j]];
  return out;
}

// Collective. The number of ratings in each of `rows` rows over all ranks
// (every rank gets the whole array: for tests and small problems).
std::vector<Offset> global_row_counts(const Communicator& comm, const std::vector<Index>& keys, Index rows);

// Collective. BlockPartition::balanced of the global row counts of `keys`
// (rows 0..rows-1, -1 ignored), the same partition, without any rank
// holding all the counts: each rank counts its keys (sorted a chunk at a
// time), sends (row, count) pairs to the rank of an even block of rows,
// which sums them; the cuts come from an exclusive scan of the blocks' work.
//
// Example, 64 rows, k = 1 (a row's work 4 n + 8), 2 ranks: even blocks of
// rows [0, 32) and [32, 64); if rows 0..15 hold 40 ratings in all and the
// others none, the chunk works are 16 x 8 + 4 x 40 = 288, then 128 each:
// total 672, target 336; chunk 0 ends at 288 (midpoint 144 < 336), chunk 1
// at 416 (midpoint 352 > 336): the cut is row 16, bounds {0, 16, 64}.
BlockPartition balanced_partition(const Communicator& comm, const std::vector<Index>& keys, Index rows,
                                  int k);

}  // namespace hpcrec::dist
