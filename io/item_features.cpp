#include "io/item_features.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>

#include "src/errors.hpp"

namespace hpcrec::io {

namespace {

constexpr std::array<const char*, 19> kUItemGenres = {
    "unknown",     "Action", "Adventure", "Animation", "Children's", "Comedy",  "Crime",
    "Documentary", "Drama",  "Fantasy",   "Film-Noir", "Horror",     "Musical", "Mystery",
    "Romance",     "Sci-Fi", "Thriller",  "War",       "Western"};

std::string shorten(std::string_view s) {
  constexpr size_t kMax = 80;
  if (s.size() <= kMax) return std::string(s);
  return std::string(s.substr(0, kMax)) + "...";
}

[[noreturn]] void fail(const std::string& path, long long line, const std::string& expected,
                       std::string_view got) {
  throw InputError(path + ":" + std::to_string(line) + ": expected " + expected + ", got '" + shorten(got) +
                   "'");
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<std::int64_t> parse_int(std::string_view s) {
  std::int64_t v = 0;
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// Splits `line` at `delim`. With `quotes` (one-character delimiters), a field
// starting with '"' runs to the closing quote ("" is a quote inside it).
// Returns false on an unterminated quote.
bool split(std::string_view line, std::string_view delim, bool quotes, std::vector<std::string>& out) {
  out.clear();
  size_t i = 0;
  while (true) {
    std::string field;
    if (quotes && i < line.size() && line[i] == '"') {
      ++i;
      bool closed = false;
      while (i < line.size()) {
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          ++i;
          closed = true;
          break;
        }
        field += line[i++];
      }
      if (!closed) return false;
      // Anything up to the next delimiter after the closing quote is kept.
      const size_t next = line.find(delim, i);
      field.append(line.substr(i, next == std::string_view::npos ? std::string_view::npos : next - i));
      out.push_back(std::move(field));
      if (next == std::string_view::npos) return true;
      i = next + delim.size();
      continue;
    }
    const size_t next = line.find(delim, i);
    if (next == std::string_view::npos) {
      out.emplace_back(line.substr(i));
      return true;
    }
    out.emplace_back(line.substr(i, next - i));
    i = next + delim.size();
  }
}

// Reads the file line by line: CRLF, a UTF-8 BOM and blank lines handled.
template <class F>
void for_each_line(const std::string& path, F&& f) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot open: " + std::strerror(errno));
  std::string line;
  long long number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (number == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);
    if (trim(line).empty()) continue;
    f(number, std::string_view(line));
  }
  if (in.bad()) throw InputError(path + ": read error");
}

class Builder {
 public:
  explicit Builder(ItemFeatures& f) : f_(f) {}

  ItemDocument& item(std::string_view raw) {
    const std::string_view id = trim(raw);
    std::string key;
    if (auto v = parse_int(id)) {
      key = std::to_string(*v);
    } else {
      key = std::string(id);
      f_.integer_ids = false;
    }
    return f_.items[key];
  }

  static void add_text(ItemDocument& d, std::string_view text) {
    text = trim(text);
    if (text.empty()) return;
    if (!d.text.empty()) d.text += ' ';
    d.text.append(text);
  }

 private:
  ItemFeatures& f_;
};

std::string base_name(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

void read_movies(ItemFeatures& features, const std::string& path) {
  Builder b(features);
  std::vector<std::string> fields;
  bool first = true;
  for_each_line(path, [&](long long number, std::string_view line) {
    if (!split(line, ",", true, fields)) fail(path, number, "a closing '\"'", line);
    if (first) {
      first = false;
      if (fields.size() == 3 && !parse_int(trim(fields[0]))) return;  // header
    }
    if (fields.size() != 3) fail(path, number, "3 fields movieId,title,genres", line);
    if (!parse_int(trim(fields[0]))) fail(path, number, "an integer movieId", fields[0]);
    ItemDocument& d = b.item(fields[0]);
    Builder::add_text(d, fields[1]);
    std::vector<std::string> genres;
    split(fields[2], "|", false, genres);
    for (const std::string& g : genres) {
      const std::string_view name = trim(g);
      if (name.empty() || name == "(no genres listed)") continue;
      d.tokens.push_back("genre:" + std::string(name));
    }
  });
}

void read_tags(ItemFeatures& features, const std::string& path) {
  Builder b(features);
  std::vector<std::string> fields;
  bool first = true;
  for_each_line(path, [&](long long number, std::string_view line) {
    if (!split(line, ",", true, fields)) fail(path, number, "a closing '\"'", line);
    if (first) {
      first = false;
      if (fields.size() == 4 && !parse_int(trim(fields[1]))) return;  // header
    }
    if (fields.size() != 4) fail(path, number, "4 fields userId,movieId,tag,timestamp", line);
    if (!parse_int(trim(fields[1]))) fail(path, number, "an integer movieId", fields[1]);
    Builder::add_text(b.item(fields[1]), fields[2]);
  });
}

void read_uitem(ItemFeatures& features, const std::string& path) {
  Builder b(features);
  std::vector<std::string> fields;
  for_each_line(path, [&](long long number, std::string_view raw) {
    const std::string line = latin1_to_utf8(raw);
    split(line, "|", false, fields);
    if (fields.size() != 5 + kUItemGenres.size()) {
      fail(path, number, "24 '|'-separated fields id|title|date|video date|url|19 genre flags", line);
    }
    if (!parse_int(trim(fields[0]))) fail(path, number, "an integer item id", fields[0]);
    ItemDocument& d = b.item(fields[0]);
    Builder::add_text(d, fields[1]);
    for (size_t g = 0; g < kUItemGenres.size(); ++g) {
      const std::string_view flag = trim(fields[5 + g]);
      if (flag != "0" && flag != "1") fail(path, number, "a genre flag 0 or 1", flag);
      if (flag == "1" && g > 0) d.tokens.push_back(std::string("genre:") + kUItemGenres[g]);
    }
  });
}

void read_delimited(ItemFeatures& features, const ItemFeatureSource& s) {
  if (s.delimiter.empty()) throw InputError(s.path + ": the delimiter is empty");
  if (s.id_column < 0) throw InputError(s.path + ": the id column must be >= 0");
  for (int c : s.text_columns) {
    if (c < 0) throw InputError(s.path + ": a text column must be >= 0");
  }
  const bool quotes = s.delimiter.size() == 1 && s.delimiter != " " && s.delimiter != "\t";
  const size_t id_col = static_cast<size_t>(s.id_column);
  Builder b(features);
  std::vector<std::string> fields;
  long long data_lines = 0;
  std::optional<bool> header = s.header;
  struct Pending {
    long long number;
    std::vector<std::string> fields;
  };
  std::optional<Pending> pending;  // the first line, kept until the header is decided

  auto consume = [&](long long number, const std::vector<std::string>& f, std::string_view line) {
    size_t needed = id_col + 1;
    for (int c : s.text_columns) needed = std::max(needed, static_cast<size_t>(c) + 1);
    if (f.size() < needed) fail(s.path, number, "at least " + std::to_string(needed) + " fields", line);
    if (trim(f[id_col]).empty()) fail(s.path, number, "an item id", line);
    ItemDocument& d = b.item(f[id_col]);
    if (s.text_columns.empty()) {
      for (size_t c = 0; c < f.size(); ++c) {
        if (c != id_col) Builder::add_text(d, f[c]);
      }
    } else {
      for (int c : s.text_columns) Builder::add_text(d, f[static_cast<size_t>(c)]);
    }
  };

  std::string first_line;
  for_each_line(s.path, [&](long long number, std::string_view line) {
    if (!split(line, s.delimiter, quotes, fields)) fail(s.path, number, "a closing '\"'", line);
    ++data_lines;
    if (data_lines == 1) {
      if (header.has_value()) {
        if (*header) return;
      } else {
        pending = Pending{number, fields};
        first_line = std::string(line);
        return;
      }
    }
    if (pending) {
      const bool first_int = pending->fields.size() > id_col && parse_int(trim(pending->fields[id_col]));
      const bool this_int = fields.size() > id_col && parse_int(trim(fields[id_col]));
      if (first_int || !this_int) consume(pending->number, pending->fields, first_line);
      pending.reset();
    }
    consume(number, fields, line);
  });
  if (pending) consume(pending->number, pending->fields, first_line);  // a one-line file: data
}

}  // namespace

ItemFeatureFormat parse_item_feature_format(const std::string& text) {
  if (text == "auto") return ItemFeatureFormat::kAuto;
  if (text == "delimited") return ItemFeatureFormat::kDelimited;
  if (text == "movies") return ItemFeatureFormat::kMovieLensMovies;
  if (text == "tags") return ItemFeatureFormat::kMovieLensTags;
  if (text == "u.item" || text == "uitem") return ItemFeatureFormat::kMovieLensUItem;
  throw InputError("expected an item feature format auto|delimited|movies|tags|u.item, got '" + text + "'");
}

const char* item_feature_format_name(ItemFeatureFormat format) {
  switch (format) {
    case ItemFeatureFormat::kAuto:
      return "auto";
    case ItemFeatureFormat::kDelimited:
      return "delimited";
    case ItemFeatureFormat::kMovieLensMovies:
      return "movies";
    case ItemFeatureFormat::kMovieLensTags:
      return "tags";
    case ItemFeatureFormat::kMovieLensUItem:
      return "u.item";
  }
  return "?";
}

ItemFeatureFormat detect_item_feature_format(const std::string& path) {
  const std::string name = base_name(path);
  if (name == "movies.csv") return ItemFeatureFormat::kMovieLensMovies;
  if (name == "tags.csv") return ItemFeatureFormat::kMovieLensTags;
  if (name == "u.item") return ItemFeatureFormat::kMovieLensUItem;
  return ItemFeatureFormat::kDelimited;
}

std::string parse_feature_delimiter(const std::string& text) {
  if (text == "tab") return "\t";
  if (text == "comma" || text == "csv") return ",";
  if (text == "pipe") return "|";
  if (text == "semicolon") return ";";
  if (text == "dcolon") return "::";
  if (text.empty()) throw InputError("expected a delimiter, got ''");
  return text;
}

const ItemDocument* ItemFeatures::find(std::string_view id) const {
  id = trim(id);
  std::string key(id);
  if (auto v = parse_int(id)) key = std::to_string(*v);
  auto it = items.find(key);
  return it == items.end() ? nullptr : &it->second;
}

std::vector<ItemDocument> ItemFeatures::aligned(const math::IdMap& ids, math::Index* matched) const {
  std::vector<ItemDocument> out(static_cast<size_t>(ids.size()));
  math::Index found = 0;
  for (const auto& [key, doc] : items) {
    if (auto dense = ids.find_text(key)) {
      out[static_cast<size_t>(*dense)] = doc;
      ++found;
    }
  }
  if (matched) *matched = found;
  return out;
}

math::IdMap ItemFeatures::id_map() const {
  std::vector<std::int64_t> ints;
  std::vector<std::string> strings;
  for (const auto& [key, doc] : items) {
    if (integer_ids)
      ints.push_back(*parse_int(key));
    else
      strings.push_back(key);
  }
  return integer_ids ? math::IdMap::from_ints(std::move(ints))
                     : math::IdMap::from_strings(std::move(strings));
}

void add_item_features(ItemFeatures& features, const ItemFeatureSource& source) {
  ItemFeatureFormat format = source.format;
  if (format == ItemFeatureFormat::kAuto) format = detect_item_feature_format(source.path);
  switch (format) {
    case ItemFeatureFormat::kMovieLensMovies:
      read_movies(features, source.path);
      break;
    case ItemFeatureFormat::kMovieLensTags:
      read_tags(features, source.path);
      break;
    case ItemFeatureFormat::kMovieLensUItem:
      read_uitem(features, source.path);
      break;
    default:
      read_delimited(features, source);
      break;
  }
}

ItemFeatures read_item_features(const std::vector<ItemFeatureSource>& sources) {
  ItemFeatures f;
  for (const ItemFeatureSource& s : sources) add_item_features(f, s);
  return f;
}

std::string latin1_to_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x80) {
      out += ch;
    } else {
      out += static_cast<char>(0xC0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3F));
    }
  }
  return out;
}

}  // namespace hpcrec::io
