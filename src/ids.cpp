#include "src/ids.hpp"

#include <algorithm>
#include <charconv>
#include <iterator>
#include <stdexcept>
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

std::size_t IdMap::local(Index dense) const {
  if (!holds(dense)) {
    throw std::logic_error("IdMap: dense index " + std::to_string(dense) + " is not in this slice [" +
                           std::to_string(first) + ", " + std::to_string(first + held()) + ")");
  }
  return static_cast<std::size_t>(dense - first);
}

void IdMap::require_whole(const char* what) const {
  // A slice that holds every id (one rank) is the whole map.
  if (partitioned() && held() != total)
    throw std::logic_error(std::string("IdMap::") + what + " on a partitioned map (use dist::to_dense)");
}

std::span<const std::int64_t> IdMap::int_rows(Index dense, Index count) const {
  if (count == 0) return {};
  local(dense + count - 1);
  return {ints.data() + local(dense), static_cast<std::size_t>(count)};
}

std::span<const std::string> IdMap::string_rows(Index dense, Index count) const {
  if (count == 0) return {};
  local(dense + count - 1);
  return {strings.data() + local(dense), static_cast<std::size_t>(count)};
}

std::string IdMap::name(Index dense) const {
  return is_string ? string_at(dense) : std::to_string(int_at(dense));
}

std::optional<Index> IdMap::find(std::int64_t id) const {
  require_whole("find");
  if (is_string) return find(std::string_view(std::to_string(id)));
  auto it = std::lower_bound(ints.begin(), ints.end(), id);
  if (it == ints.end() || *it != id) return std::nullopt;
  return static_cast<Index>(it - ints.begin());
}

std::optional<Index> IdMap::find(std::string_view id) const {
  require_whole("find");
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
  require_whole("merged");
  other.require_whole("merged");
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
