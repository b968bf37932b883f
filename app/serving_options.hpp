// What the serving commands (recommend, predict, explain) read besides the
// model: id lists (one id a line; blank lines and lines starting with '#'
// skipped) and the item filters built from them.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "app/model.hpp"
#include "app/options.hpp"

namespace hpcrec::app {

// The ids of FILE, in order. Throws InputError ("FILE: no such file",
// "FILE: no ids").
std::vector<std::string> read_id_list(const std::string& path);

// user,item[,rating[,timestamp]] lines, tab-, comma-, "::"- or
// space-separated; a header line (third field not a number, or a first
// field named user/userId/user_id) is skipped. Throws InputError
// "FILE:LINE: expected ..." for a malformed line.
struct UserRating {
  std::string user, item;
  double rating = NAN;  // NaN: no rating column
};
std::vector<UserRating> read_user_ratings(const std::string& path);

// Fold-in histories. `users`: the distinct users of `given` in order of
// first appearance; this rank serves request j when j mod ranks == rank
// (their indices in `mine`), one CSR row each in `histories`: items mapped
// through `items` (unknown ones dropped and counted in `dropped`),
// ascending, the last rating of a repeated item kept, a missing rating
// counting as 1 (an interaction).
void group_histories(const std::vector<UserRating>& given, const math::IdMap& items, int rank, int ranks,
                     std::vector<std::string>& users, math::CsrBlock& histories,
                     std::vector<std::int64_t>& mine, size_t& dropped);

struct FilterOptions {
  std::string exclude_items, only_items;
  bool include_rated = false;
};
void add_filter_options(po::options_description& desc, FilterOptions& o);

// The item mask of the filters (empty: none) and how many listed ids the
// model does not know (they are ignored).
struct BuiltFilter {
  std::vector<char> blocked;
  bool include_seen = false;
  size_t unknown = 0;
  ItemFilter get() const { return {blocked.empty() ? nullptr : &blocked, include_seen}; }
};
BuiltFilter build_filter(const FilterOptions& o, const math::IdMap& items);

}  // namespace hpcrec::app
