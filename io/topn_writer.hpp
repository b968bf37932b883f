// Every user's top-N recommendations, written collectively.
//
// CSV: header "user,rank,item,score", original ids, rank from 1, users in
// dense (sorted original id) order; users with fewer than N candidates have
// fewer rows. HDF5: /topn/users [m] (original ids), /topn/items [m, N]
// (original item ids; -1 or "" where a user has fewer than N), /topn/scores
// [m, N] float64 (NaN padding), attribute n (int64, on /topn). Both via FILE.tmp and rename.
#pragma once

#include <string>
#include <vector>

#include "mpi/communicator.hpp"
#include "src/ids.hpp"
#include "src/types.hpp"

namespace hpcrec::io {

// The rows [first_user, first_user + users) a rank holds: N slots per user,
// item -1 for an empty slot.
struct TopNSlice {
  math::Index first_user = 0;
  math::Index users = 0;
  int n = 0;
  std::vector<math::Index> items;  // users * n, dense item indices
  std::vector<double> scores;      // users * n
};

// By the path's extension: ".h5"/".hdf5" writes HDF5, anything else CSV. Collective.
void write_topn(const dist::Communicator& comm, const std::string& path, const TopNSlice& slice,
                const math::IdMap& users, const math::IdMap& items);
void write_topn_csv(const dist::Communicator& comm, const std::string& path, const TopNSlice& slice,
                    const math::IdMap& users, const math::IdMap& items);
void write_topn_h5(const dist::Communicator& comm, const std::string& path, const TopNSlice& slice,
                   const math::IdMap& users, const math::IdMap& items);

}  // namespace hpcrec::io
