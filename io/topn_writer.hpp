// Every user's top-N recommendations, written collectively.
//
// CSV: header "user,rank,item,score[,title][,source]", original ids, rank
// from 1, users in dense (sorted original id) order; users with fewer than N
// candidates have fewer rows. `title` (RFC 4180 quoted where needed) when
// titles are given; `source` (model / popular) when any user on any rank
// got the popularity list. HDF5: /topn/users [m] (original ids), /topn/items
// [m, N] (original item ids; -1 or "" where a user has fewer than N),
// /topn/scores [m, N] float64 (NaN padding), attribute n (int64, on /topn),
// and /topn/popular [m] int8 (1: the popularity list) with `source`. Both
// via FILE.tmp and rename.
#pragma once

#include <string>
#include <utility>
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
  std::vector<char> popular;       // per user (optional): 1 = the popularity list, not the model's
  const std::vector<std::string>* titles = nullptr;  // per dense item (optional): a title column
  // HDF5 only: attributes of /topn (the run that made the lists:
  // command, algorithm, version, ...), every value as text (JSON for
  // numbers and objects).
  std::vector<std::pair<std::string, std::string>> attributes;
};

// Collective. Whether any rank's slice has a user with the popularity list
// (then the files get their source column).
bool any_popular(const dist::Communicator& comm, const TopNSlice& slice);

// The CSV rows of `slice` (with the header line when `header`); `source`:
// add the source column.
std::string format_topn_csv(const TopNSlice& slice, const math::IdMap& users, const math::IdMap& items,
                            bool header, bool source);

// By the path's extension: ".h5"/".hdf5" writes HDF5, anything else CSV. Collective.
void write_topn(const dist::Communicator& comm, const std::string& path, const TopNSlice& slice,
                const math::IdMap& users, const math::IdMap& items);
void write_topn_csv(const dist::Communicator& comm, const std::string& path, const TopNSlice& slice,
                    const math::IdMap& users, const math::IdMap& items);
void write_topn_h5(const dist::Communicator& comm, const std::string& path, const TopNSlice& slice,
                   const math::IdMap& users, const math::IdMap& items);

}  // namespace hpcrec::io
