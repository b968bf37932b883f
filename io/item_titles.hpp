// Item titles for display (top-N lists, similar-item lists): original item id
// -> UTF-8 title, read from the same item metadata files as io/item_features
// (and through its parsers, so quoting, Latin-1, header detection, id
// canonicalisation and error messages are the same).
//
// Formats (ItemFeatureSource::format; kAuto by file name, as
// detect_item_feature_format does):
//   movies     MovieLens movies.csv: movieId,title,genres; title = field 2
//              (CSV quoting: "American President, The (1995)", "" = ").
//   u.item     MovieLens ml-100k u.item: '|'-separated, Latin-1 -> UTF-8;
//              title = field 2.
//   delimited  id_column (0-based) and the title column(s) text_columns
//              (0-based, several joined with one space); empty text_columns:
//              the first column that is not the id column. Header as in
//              io/item_features.hpp.
//   tags       rejected: tags.csv holds no titles.
// Titles are trimmed of blanks; an id listed twice gets its titles joined
// with one space (as ItemFeatures joins texts).
//
// Ids: integer ids are stored in canonical decimal ("007" -> "7"), the form
// math::IdMap::name() gives, so aligned() matches a model's item map.
//
// Example: movies.csv line `11,"American President, The (1995)",Comedy`
// gives by_id["11"] = "American President, The (1995)"; with an item map
// {1, 11}, aligned() = {"", "American President, The (1995)"}, and
// csv_field(by_id["11"]) = "\"American President, The (1995)\"".
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "io/item_features.hpp"
#include "src/ids.hpp"

namespace hpcrec::io {

struct ItemTitles {
  std::map<std::string, std::string> by_id;  // canonical original id -> UTF-8 title

  bool empty() const { return by_id.empty(); }
  std::size_t size() const { return by_id.size(); }
  // The title of an original id given as text ("007" finds "7"); nullptr if unknown.
  const std::string* find(std::string_view id) const;
  // Titles aligned to a model's item map: titles[i] for dense item i, "" where unknown.
  std::vector<std::string> aligned(const math::IdMap& ids) const;
};

// Reads one titles file. Throws InputError: "FILE: no such file",
// "FILE:LINE: expected ..., got '...'" for a malformed line, "FILE: ..." for
// a format without titles (tags) or a bad option.
ItemTitles read_item_titles(const ItemFeatureSource& source);

// One CSV field (RFC 4180): `field` as is, or, if it holds a comma, a quote,
// CR or LF, enclosed in quotes with each quote doubled.
// Example: csv_field("Say \"Hi\", Bob") = "\"Say \"\"Hi\"\", Bob\"".
std::string csv_field(std::string_view field);

}  // namespace hpcrec::io
