// Global, deterministic id remapping: original ids -> dense 0..m-1 in sorted
// order of the original ids, the same for any number of ranks.
//
// A map is whole (every rank holds every id: what serving loads from a model
// file) or partitioned (each rank holds a contiguous slice of the sorted ids,
// math::IdMap::first / total), which is what training builds, so that no
// rank holds the whole map at a billion users. Lookups on a partitioned map
// are routed: each rank sends the ids it asks about to the rank whose slice
// covers them and gets the answers back. Besides its slice a rank keeps only
// the first id of every rank's slice (P ids) while routing.
//
// Example, users {3, 5, 7, 9, 11} read over 2 ranks (rank 0 read 9, 3, 9;
// rank 1 read 5, 11, 7, 3):
//   partition_id_map: splitter 7 from the ranks' samples {3, 9} and
//                     {3, 5, 7, 11}: rank 0 holds {3, 5} (first 0), rank 1
//                     {7, 9, 11} (first 2), total 5 on both;
//   to_dense:         rank 0's column 9, 3, 9 -> 3, 0, 3: it asks rank 1
//                     about 9 and answers 3 itself;
//   align_id_map:     to a partition with rank 0 owning rows [0, 3) moves 7
//                     to rank 0: rank 0 {3, 5, 7}, rank 1 {9, 11} (first 3);
//   fetch_names:      rank 0 asking for {4, 1, -1} gets the whole map
//                     {5, 11} and {1, 0, -1} (the indices renumbered into it).
#pragma once

#include <cstdint>
#include <vector>

#include "mpi/communicator.hpp"
#include "mpi/partition.hpp"
#include "src/ids.hpp"

namespace hpcrec::dist {

// Collective. If any rank's column holds strings, every rank's column is
// switched to strings (integer ids become their decimal text), so all ranks
// agree on the kind of ids.
void agree_on_id_kind(const Communicator& comm, math::IdColumn& column);

// Collective. The sorted distinct ids of `column` over all ranks. Every rank
// gets the whole map (8 bytes per integer id).
math::IdMap build_id_map(const Communicator& comm, const math::IdColumn& column);

// Collective. The same ids as build_id_map, partitioned: each rank holds a
// slice of about 1/P of them (sample sort); no rank ever gathers them all.
math::IdMap partition_id_map(const Communicator& comm, const math::IdColumn& column);

// Collective. Moves a partitioned map's ids so that rank r holds dense
// indices [part.first(r), part.first(r) + part.count(r)): the slice that
// matches its rows. part must cover map.size() rows.
void align_id_map(const Communicator& comm, math::IdMap& map, const BlockPartition& part);

// Collective. The whole map of a partitioned one (a whole map is copied).
math::IdMap gather_id_map(const Communicator& comm, const math::IdMap& map);

// Dense index of every entry of `column`; -1 where the id is not in `map`.
// Local: `map` must be whole.
std::vector<math::Index> to_dense(const math::IdColumn& column, const math::IdMap& map);
// Collective when `map` is partitioned (each distinct id routed to the rank
// that holds it); the local lookup above for a whole map.
std::vector<math::Index> to_dense(const Communicator& comm, const math::IdColumn& column,
                                  const math::IdMap& map);

// Collective when `map` is partitioned. The ids of the dense indices in
// `dense` (any order, repeats and -1 allowed), as a whole map of just those
// ids, with `dense` renumbered into it (-1 stays -1). Holds only what was
// asked for: the bounded cache that output writers name items from.
math::IdMap fetch_names(const Communicator& comm, const math::IdMap& map, std::vector<math::Index>& dense);

}  // namespace hpcrec::dist
