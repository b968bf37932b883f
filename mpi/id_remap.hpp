// Global, deterministic id remapping: original ids -> dense 0..m-1 in sorted
// order of the original ids, the same for any number of ranks.
#pragma once

#include <vector>

#include "mpi/communicator.hpp"
#include "src/ids.hpp"

namespace hpcrec::dist {

// Collective. If any rank's column holds strings, every rank's column is
// switched to strings (integer ids become their decimal text), so all ranks
// agree on the kind of ids.
void agree_on_id_kind(const Communicator& comm, math::IdColumn& column);

// Collective. The sorted distinct ids of `column` over all ranks. Every rank
// gets the whole map (8 bytes per integer id).
math::IdMap build_id_map(const Communicator& comm, const math::IdColumn& column);

// Dense index of every entry of `column`; -1 where the id is not in `map`.
std::vector<math::Index> to_dense(const math::IdColumn& column, const math::IdMap& map);

}  // namespace hpcrec::dist
