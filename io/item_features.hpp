// Item metadata files -> one text document (plus whole tokens such as
// genres) per item, the input of TF-IDF (src/tfidf.hpp).
//
// Formats:
//   delimited  a generic delimited file: an item id column and one or more
//              text columns (ItemFeatureSource::id_column / text_columns,
//              0-based); CSV quoting ("a,b", "" escapes) for one-character
//              delimiters; optional header line.
//   movies     MovieLens movies.csv: movieId,title,genres (quoted titles).
//              text = the title; genres '|'-separated, each a whole token
//              "genre:<Name>" (e.g. "genre:Sci-Fi"); "(no genres listed)"
//              gives no token.
//   tags       MovieLens tags.csv: userId,movieId,tag,timestamp. text = the
//              item's tags in file order, joined by spaces.
//   u.item     MovieLens ml-100k u.item: Latin-1, '|'-separated:
//              id|title|release date|video release date|IMDb url|19 flags.
//              Latin-1 is converted to UTF-8; text = the title; flag k = 1
//              gives the token "genre:<name k>" with the ml-100k names of
//              u.genre (unknown, Action, Adventure, Animation, Children's,
//              Comedy, Crime, Documentary, Drama, Fantasy, Film-Noir, Horror,
//              Musical, Mystery, Romance, Sci-Fi, Thriller, War, Western);
//              "unknown" gives no token (like "(no genres listed)").
//   auto       by file name: movies.csv, tags.csv, u.item, else delimited.
//
// Several files combine: an item's texts are joined with one space in the
// order the files (and lines) come, its tokens appended likewise.
//
// Ids: a field that is a decimal 64-bit integer is stored in canonical
// decimal ("007" -> "7"), so integer ids match math::IdMap::name() and
// IdMap::find_text(); any other id is kept as is (string ids match
// byte-for-byte).
//
// Distribution: metadata is small next to ratings (ml-latest-small: 9.7k
// movies, 3.7k tags), so every rank simply reads whole files itself; there
// is no byte-range split and no communication. A malformed line throws
// InputError "FILE:LINE: expected ..., got '...'" on every rank alike (each
// reads the same bytes), so no collective agreement is needed.
//
// Example: movies.csv line `1,Toy Story (1995),Adventure|Animation` and
// tags.csv lines `2,1,pixar,0` and `5,1,fun,0` give item "1":
//   text = "Toy Story (1995) pixar fun",
//   tokens = {"genre:Adventure", "genre:Animation"}.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/ids.hpp"

namespace hpcrec::io {

enum class ItemFeatureFormat { kAuto, kDelimited, kMovieLensMovies, kMovieLensTags, kMovieLensUItem };

// "auto" | "delimited" | "movies" | "tags" | "u.item" (also "uitem"); throws InputError.
ItemFeatureFormat parse_item_feature_format(const std::string& text);
const char* item_feature_format_name(ItemFeatureFormat format);
// kAuto resolved by the file name's last component.
ItemFeatureFormat detect_item_feature_format(const std::string& path);

// "tab", "comma"/"csv", "pipe", "semicolon", "dcolon"/"::", or a literal
// non-empty string; throws InputError on an empty one.
std::string parse_feature_delimiter(const std::string& text);

struct ItemFeatureSource {
  std::string path;
  ItemFeatureFormat format = ItemFeatureFormat::kAuto;
  // kDelimited only:
  std::string delimiter = ",";
  std::optional<bool> header;     // nullopt: a header iff the first line's id field is not an
                                  // integer while the second line's is
  int id_column = 0;              // 0-based
  std::vector<int> text_columns;  // 0-based; empty: every column except the id column
};

struct ItemDocument {
  std::string text;                 // free text, to be tokenised
  std::vector<std::string> tokens;  // whole tokens, kept as given (genres)
};

struct ItemFeatures {
  bool integer_ids = true;                    // every id read so far was an integer
  std::map<std::string, ItemDocument> items;  // canonical id -> document

  std::size_t size() const { return items.size(); }
  const ItemDocument* find(std::string_view id) const;
  // The documents in dense order of `ids` (items without metadata: empty
  // documents); `matched` (if given) receives how many ids had metadata.
  std::vector<ItemDocument> aligned(const math::IdMap& ids, math::Index* matched = nullptr) const;
  // The metadata's ids as an IdMap (sorted like the ratings' maps): integers
  // if every id is one, strings otherwise.
  math::IdMap id_map() const;
};

// Reads one source and merges it into `features`. Throws InputError
// ("FILE: cannot open: reason", "FILE:LINE: expected ..., got '...'").
void add_item_features(ItemFeatures& features, const ItemFeatureSource& source);

// Reads every source in order into one ItemFeatures.
ItemFeatures read_item_features(const std::vector<ItemFeatureSource>& sources);

// ISO-8859-1 bytes to UTF-8 (bytes >= 0x80 become two bytes).
std::string latin1_to_utf8(std::string_view text);

}  // namespace hpcrec::io
