// Original user and item ids, as read, and the global map to dense indices.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/types.hpp"

namespace hpcrec::math {

// One id column of the ratings a rank has read: every id a 64-bit integer,
// or (as soon as one id is not) arbitrary strings.
//
// Example: ids "7", "3", "7" read as integers are values = {7, 3, 7}. If a
// later id is "u9", the column switches to strings: dictionary = {"7", "3",
// "u9"}, values = {0, 1, 0, 2} (indices into the dictionary).
struct IdColumn {
  bool is_string = false;
  std::vector<std::int64_t> values;
  std::vector<std::string> dictionary;

  std::size_t size() const { return values.size(); }
  // Converts integer ids to strings (decimal), keeping their order.
  void to_string_mode();
};

// The sorted distinct original ids of one side: position = dense index.
// Integer ids sort numerically, string ids by bytes. The same on every rank,
// whatever the number of ranks.
struct IdMap {
  bool is_string = false;
  std::vector<std::int64_t> ints;
  std::vector<std::string> strings;

  Index size() const { return static_cast<Index>(is_string ? strings.size() : ints.size()); }
  std::string name(Index dense) const { return is_string ? strings[dense] : std::to_string(ints[dense]); }
  // Dense index of an original id, if present.
  std::optional<Index> find(std::int64_t id) const;
  std::optional<Index> find(std::string_view id) const;
  // Dense index of an id given as text (parsed as an integer for integer maps).
  std::optional<Index> find_text(std::string_view id) const;
  // The union with `other`, sorted; strings if either map holds strings.
  IdMap merged(const IdMap& other) const;
  // The map of ids given in any order, with repeats: {7, 3, 7} -> {3, 7}.
  static IdMap from_ints(std::vector<std::int64_t> ids);
  static IdMap from_strings(std::vector<std::string> ids);
};

}  // namespace hpcrec::math
