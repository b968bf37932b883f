#include "app/serving_options.hpp"

#include <fstream>

#include "src/errors.hpp"

namespace hpcrec::app {

std::vector<std::string> read_id_list(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError(path + ": no such file");
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    const auto b = line.find_first_not_of(" \t\r");
    if (b == std::string::npos || line[b] == '#') continue;
    const auto e = line.find_last_not_of(" \t\r");
    out.push_back(line.substr(b, e - b + 1));
  }
  if (out.empty()) throw InputError(path + ": no ids (one id a line)");
  return out;
}

void add_filter_options(po::options_description& desc, FilterOptions& o) {
  desc.add_options()("exclude-items", po::value(&o.exclude_items),
                     "never recommend the items listed in FILE (one id a line)")(
      "only-items", po::value(&o.only_items),
      "recommend only among the items listed in FILE (one id a line)")(
      "include-rated", po::bool_switch(&o.include_rated),
      "keep the items a user rated in training as candidates (default: excluded)");
}

BuiltFilter build_filter(const FilterOptions& o, const math::IdMap& items) {
  BuiltFilter f;
  f.include_seen = o.include_rated;
  if (o.exclude_items.empty() && o.only_items.empty()) return f;
  f.blocked.assign(static_cast<size_t>(items.size()), o.only_items.empty() ? 0 : 1);
  if (!o.only_items.empty()) {
    for (const auto& id : read_id_list(o.only_items)) {
      if (auto i = items.find_text(id))
        f.blocked[static_cast<size_t>(*i)] = 0;
      else
        ++f.unknown;
    }
  }
  if (!o.exclude_items.empty()) {
    for (const auto& id : read_id_list(o.exclude_items)) {
      if (auto i = items.find_text(id))
        f.blocked[static_cast<size_t>(*i)] = 1;
      else
        ++f.unknown;
    }
  }
  return f;
}

}  // namespace hpcrec::app
