// What the serving commands (recommend, predict, explain) read besides the
// model: id lists (one id a line; blank lines and lines starting with '#'
// skipped) and the item filters built from them.
#pragma once

#include <string>
#include <vector>

#include "app/model.hpp"
#include "app/options.hpp"

namespace hpcrec::app {

// The ids of FILE, in order. Throws InputError ("FILE: no such file",
// "FILE: no ids").
std::vector<std::string> read_id_list(const std::string& path);

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
