// Original user and item ids, as read, and the global map to dense indices.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
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
//
// A whole map holds every id. A partitioned map (dist::partition_id_map)
// holds one rank's slice: the ids of dense indices [first, first + held())
// of `total`, so that no rank holds the whole map. Example: ids {3, 5, 7, 9}
// over 2 ranks: rank 0 ints = {3, 5}, first 0; rank 1 ints = {7, 9}, first 2;
// total 4 on both; name(3) is "9" on rank 1 and an error on rank 0. Lookups
// by id on a partitioned map throw: they go through dist::to_dense, which
// routes each id to the rank that holds it.
struct IdMap {
  bool is_string = false;
  std::vector<std::int64_t> ints;
  std::vector<std::string> strings;
  Index first = 0;   // dense index of ints[0] / strings[0]
  Index total = -1;  // ids in the whole map; -1: this is the whole map

  bool partitioned() const { return total >= 0; }
  // Ids held here.
  Index held() const { return static_cast<Index>(is_string ? strings.size() : ints.size()); }
  // Ids in the whole map.
  Index size() const { return partitioned() ? total : held(); }
  bool holds(Index dense) const { return dense >= first && dense < first + held(); }
  // The id of a dense index held here (throws std::logic_error otherwise).
  std::string name(Index dense) const;
  std::int64_t int_at(Index dense) const { return ints[local(dense)]; }
  const std::string& string_at(Index dense) const { return strings[local(dense)]; }
  // The ids of dense indices [dense, dense + count), all held here.
  std::span<const std::int64_t> int_rows(Index dense, Index count) const;
  std::span<const std::string> string_rows(Index dense, Index count) const;
  // Dense index of an original id, if present (whole maps, or a slice that
  // holds every id).
  std::optional<Index> find(std::int64_t id) const;
  std::optional<Index> find(std::string_view id) const;
  // Dense index of an id given as text (parsed as an integer for integer maps).
  std::optional<Index> find_text(std::string_view id) const;
  // The union with `other`, sorted; strings if either map holds strings
  // (whole maps, as find).
  IdMap merged(const IdMap& other) const;
  // The map of ids given in any order, with repeats: {7, 3, 7} -> {3, 7}.
  static IdMap from_ints(std::vector<std::int64_t> ids);
  static IdMap from_strings(std::vector<std::string> ids);

 private:
  std::size_t local(Index dense) const;
  void require_whole(const char* what) const;
};

}  // namespace hpcrec::math
