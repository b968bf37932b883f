#include "app/serving_options.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <map>

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

std::vector<UserRating> read_user_ratings(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError(path + ": no such file");
  std::vector<UserRating> out;
  std::string line;
  long long number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    std::vector<std::string> f;
    const std::string sep = line.find("::") != std::string::npos   ? "::"
                            : line.find('\t') != std::string::npos ? "\t"
                            : line.find(',') != std::string::npos  ? ","
                                                                   : " ";
    for (size_t at = 0;;) {
      const size_t next = line.find(sep, at);
      f.push_back(line.substr(at, next == std::string::npos ? std::string::npos : next - at));
      if (next == std::string::npos) break;
      at = next + sep.size();
    }
    if (sep == " ") f.erase(std::remove(f.begin(), f.end(), std::string()), f.end());
    if (f.size() < 2 || f.size() > 4 || f[0].empty() || f[1].empty())
      throw InputError(path + ":" + std::to_string(number) +
                       ": expected user,item[,rating[,timestamp]], got '" + line + "'");
    UserRating p{f[0], f[1], NAN};
    if (f.size() >= 3) {
      double r = 0;
      const auto res = std::from_chars(f[2].data(), f[2].data() + f[2].size(), r);
      if (res.ec != std::errc() || res.ptr != f[2].data() + f[2].size()) {
        if (out.empty()) continue;  // a header line
        throw InputError(path + ":" + std::to_string(number) + ": expected a number as the rating, got '" +
                         f[2] + "'");
      }
      p.rating = r;
    } else if (out.empty() && (f[0] == "user" || f[0] == "userId" || f[0] == "user_id")) {
      continue;  // a header line
    }
    out.push_back(std::move(p));
  }
  if (out.empty()) throw InputError(path + ": no (user, item) pairs");
  return out;
}

void group_histories(const std::vector<UserRating>& given, const math::IdMap& items, int rank, int ranks,
                     std::vector<std::string>& users, math::CsrBlock& histories,
                     std::vector<std::int64_t>& mine, size_t& dropped) {
  std::map<std::string, std::int64_t> index;
  std::vector<std::map<math::Index, float>> rated;  // per request of this rank
  std::map<std::int64_t, size_t> slot;
  users.clear();
  mine.clear();
  dropped = 0;
  for (const UserRating& r : given) {
    auto [it, fresh] = index.emplace(r.user, static_cast<std::int64_t>(users.size()));
    if (fresh) {
      users.push_back(r.user);
      if (it->second % ranks == rank) {
        slot[it->second] = rated.size();
        mine.push_back(it->second);
        rated.emplace_back();
      }
    }
    const auto item = items.find_text(r.item);
    if (!item) {
      ++dropped;
      continue;
    }
    if (it->second % ranks != rank) continue;
    rated[slot[it->second]][*item] = std::isnan(r.rating) ? 1.0f : static_cast<float>(r.rating);
  }
  histories = {};
  for (const auto& row : rated) {
    for (const auto& [item, value] : row) {
      histories.cols.push_back(item);
      histories.values.push_back(value);
    }
    histories.indptr.push_back(static_cast<math::Offset>(histories.cols.size()));
  }
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
