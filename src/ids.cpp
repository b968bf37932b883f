#include "src/ids.hpp"

#include <algorithm>
#include <charconv>
#include <iterator>
#include <unordered_map>

namespace hpcrec::math {

void IdColumn::to_string_mode() {
  if (is_string) return;
  std::unordered_map<std::int64_t, std::int64_t> code;
  dictionary.clear();
  for (auto& v : values) {
    auto [it, inserted] = code.try_emplace(v, static_cast<std::int64_t>(dictionary.size()));
    if (inserted) dictionary.push_back(std::to_string(v));
    v = it->second;
  }
  is_string = true;
}

std::optional<Index> IdMap::find(std::int64_t id) const {
  if (is_string) return find(std::string_view(std::to_string(id)));
  auto it = std::lower_bound(ints.begin(), ints.end(), id);
  if (it == ints.end() || *it != id) return std::nullopt;
  return static_cast<Index>(it - ints.begin());
}

std::optional<Index> IdMap::find(std::string_view id) const {
  if (!is_string) return find_text(id);
  auto it =
      std::lower_bound(strings.begin(), strings.end(), id,
                       [](const std::string& a, std::string_view b) { return std::string_view(a) < b; });
  if (it == strings.end() || *it != id) return std::nullopt;
  return static_cast<Index>(it - strings.begin());
}

std::optional<Index> IdMap::find_text(std::string_view id) const {
  if (is_string) return find(id);
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(id.data(), id.data() + id.size(), v);
  if (ec != std::errc() || p != id.data() + id.size()) return std::nullopt;
  return find(v);
}

IdMap IdMap::from_ints(std::vector<std::int64_t> ids) {
  IdMap m;
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  m.ints = std::move(ids);
  return m;
}

IdMap IdMap::from_strings(std::vector<std::string> ids) {
  IdMap m;
  m.is_string = true;
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  m.strings = std::move(ids);
  return m;
}

IdMap IdMap::merged(const IdMap& other) const {
  IdMap out;
  out.is_string = is_string || other.is_string;
  if (!out.is_string) {
    std::merge(ints.begin(), ints.end(), other.ints.begin(), other.ints.end(), std::back_inserter(out.ints));
    out.ints.erase(std::unique(out.ints.begin(), out.ints.end()), out.ints.end());
    return out;
  }
  for (const IdMap* m : {this, &other}) {
    if (m->is_string) {
      out.strings.insert(out.strings.end(), m->strings.begin(), m->strings.end());
    } else {
      for (std::int64_t v : m->ints) out.strings.push_back(std::to_string(v));
    }
  }
  std::sort(out.strings.begin(), out.strings.end());
  out.strings.erase(std::unique(out.strings.begin(), out.strings.end()), out.strings.end());
  return out;
}

}  // namespace hpcrec::math
