// Item titles reader: MovieLens movies.csv (quoted titles), u.item (Latin-1),
// generic delimited files, alignment to an IdMap, errors, csv_field, and the
// real MovieLens files when present.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "io/item_titles.hpp"
#include "src/errors.hpp"
#include "temp_file.hpp"

using namespace hpcrec;
using namespace hpcrec::io;

namespace {

std::string write_file(const std::string& name, const std::string& content) {
  return hpcrec::testing::write_temp_file("item_titles", name, content);
}

ItemFeatureSource src(const std::string& path) {
  ItemFeatureSource s;
  s.path = path;
  return s;
}

std::string error_of(const ItemFeatureSource& s) {
  try {
    read_item_titles(s);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

// Well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF).
bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      n = 1, cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2, cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;  // truncated sequence
    for (std::size_t k = 1; k <= n; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (b & 0x3F);
    }
    if ((n == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
      return false;
    i += n + 1;
  }
  return true;
}

bool has_non_ascii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return true;
  }
  return false;
}

}  // namespace

TEST(ItemTitles, MoviesCsvQuotedTitles) {
  const std::string path = write_file("movies.csv",
                                      "movieId,title,genres\r\n"
                                      "1,Toy Story (1995),Adventure|Animation\r\n"
                                      "11,\"American President, The (1995)\",Comedy|Drama\r\n"
                                      "12,\"Say \"\"Hi\"\", Bob (2001)\",(no genres listed)\r\n"
                                      "013,Padded Id (1999),Drama\r\n");
  const ItemTitles t = read_item_titles(src(path));
  EXPECT_FALSE(t.empty());
  ASSERT_EQ(t.size(), 4u);
  EXPECT_EQ(t.by_id.at("1"), "Toy Story (1995)");
  EXPECT_EQ(t.by_id.at("11"), "American President, The (1995)");
  EXPECT_EQ(t.by_id.at("12"), "Say \"Hi\", Bob (2001)");
  EXPECT_EQ(t.by_id.at("13"), "Padded Id (1999)");  // canonical decimal id
  ASSERT_NE(t.find("013"), nullptr);
  EXPECT_EQ(*t.find("013"), "Padded Id (1999)");
  EXPECT_EQ(t.find("2"), nullptr);
  // Written back as CSV fields, the titles read back the same.
  EXPECT_EQ(csv_field(t.by_id.at("12")), "\"Say \"\"Hi\"\", Bob (2001)\"");
}

TEST(ItemTitles, UItemLatin1) {
  std::string flags;
  for (int k = 0; k < 19; ++k) flags += k == 0 ? "0" : "|0";
  const std::string path = write_file("u.item", "1|Cit\xE9 (1995)|01-Jan-1995||http://x|" + flags +
                                                    "\n"
                                                    "2|Plain, Title|01-Jan-1995||http://y|" +
                                                    flags + "\n");
  const ItemTitles t = read_item_titles(src(path));
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t.by_id.at("1"), "Cit\xC3\xA9 (1995)");  // U+00E9 in UTF-8
  EXPECT_TRUE(valid_utf8(t.by_id.at("1")));
  EXPECT_EQ(t.by_id.at("2"), "Plain, Title");
}

TEST(ItemTitles, Delimited) {
  // Tab-separated, string ids, title in column 2, id in column 0, header given.
  const std::string path = write_file("items.tsv",
                                      "item\tcategory\tname\n"
                                      "a7\tfruit\tRed Apple\n"
                                      "b2\tfruit\t Green Pear \n");
  ItemFeatureSource s = src(path);
  s.delimiter = parse_feature_delimiter("tab");
  s.header = true;
  s.text_columns = {2};
  ItemTitles t = read_item_titles(s);
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t.by_id.at("a7"), "Red Apple");
  EXPECT_EQ(t.by_id.at("b2"), "Green Pear");  // trimmed

  // Default title column: the first one that is not the id column; the
  // header is detected (";"-separated, id in column 1).
  const std::string other = write_file("items.txt",
                                       "name;id\n"
                                       "\"Red; Apple\";7\n"
                                       "Pear;8\n");
  s = src(other);
  s.format = ItemFeatureFormat::kDelimited;
  s.delimiter = ";";
  s.id_column = 1;
  t = read_item_titles(s);
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t.by_id.at("7"), "Red; Apple");
  EXPECT_EQ(t.by_id.at("8"), "Pear");
}

TEST(ItemTitles, AlignedIntIdsWithUnknown) {
  const std::string path = write_file("movies.csv",
                                      "movieId,title,genres\n"
                                      "1,One (1990),Drama\n"
                                      "11,Eleven (1991),Drama\n"
                                      "99,Unrated (1999),Drama\n");
  const ItemTitles t = read_item_titles(src(path));
  math::IdMap ids;
  ids.ints = {1, 7, 11};  // 7 has no title; 99 is not in the model
  EXPECT_EQ(t.aligned(ids), (std::vector<std::string>{"One (1990)", "", "Eleven (1991)"}));

  math::IdMap strings;
  strings.is_string = true;
  strings.strings = {"001", "x"};  // "001" finds the canonical "1"
  EXPECT_EQ(t.aligned(strings), (std::vector<std::string>{"One (1990)", ""}));

  EXPECT_TRUE(ItemTitles{}.empty());
  EXPECT_EQ(ItemTitles{}.aligned(ids), (std::vector<std::string>{"", "", ""}));
}

TEST(ItemTitles, Errors) {
  EXPECT_EQ(error_of(src("/nonexistent/movies.csv")), "/nonexistent/movies.csv: no such file");
  const std::string movies = write_file("movies.csv", "movieId,title,genres\n1,Ok,Drama\n2,Two fields\n");
  const std::string e = error_of(src(movies));
  EXPECT_NE(e.find("movies.csv:3: expected 3 fields movieId,title,genres, got '2,Two fields'"),
            std::string::npos)
      << e;
  const std::string quote = write_file("movies.csv", "1,\"open,Drama\n");
  EXPECT_NE(error_of(src(quote)).find("movies.csv:1: expected a closing '\"'"), std::string::npos);
  const std::string uitem = write_file("u.item", "1|x|d||u|0|0\n");
  EXPECT_NE(error_of(src(uitem)).find("u.item:1: expected 24 '|'-separated fields"), std::string::npos);
  const std::string delimited = write_file("items.csv", "1,One\n2\n");
  EXPECT_NE(error_of(src(delimited)).find("items.csv:2: expected at least 2 fields, got '2'"),
            std::string::npos);
  const std::string tags = write_file("tags.csv", "userId,movieId,tag,timestamp\n1,1,x,0\n");
  EXPECT_NE(error_of(src(tags)).find("tags.csv: a tags file holds no titles"), std::string::npos);
}

TEST(ItemTitles, CsvField) {
  EXPECT_EQ(csv_field(""), "");
  EXPECT_EQ(csv_field("Toy Story (1995)"), "Toy Story (1995)");
  EXPECT_EQ(csv_field("Cit\xC3\xA9"), "Cit\xC3\xA9");
  EXPECT_EQ(csv_field("American President, The (1995)"), "\"American President, The (1995)\"");
  EXPECT_EQ(csv_field("Say \"Hi\""), "\"Say \"\"Hi\"\"\"");
  EXPECT_EQ(csv_field("\""), "\"\"\"\"");
  EXPECT_EQ(csv_field("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(csv_field("cr\rlf"), "\"cr\rlf\"");
  EXPECT_EQ(csv_field("a;b|c\td"), "a;b|c\td");  // only , " CR LF need quoting
}

TEST(ItemTitles, RealMovieLensMovies) {
  const std::string movies = std::string(HPCREC_SHARED_DATA) + "/ml-latest-small/movies.csv";
  if (!std::filesystem::exists(movies)) GTEST_SKIP() << "no " << movies;
  const ItemTitles t = read_item_titles(src(movies));
  EXPECT_EQ(t.size(), 9742u);
  ASSERT_NE(t.find("1"), nullptr);
  EXPECT_EQ(*t.find("1"), "Toy Story (1995)");
  ASSERT_NE(t.find("11"), nullptr);
  EXPECT_EQ(*t.find("11"), "American President, The (1995)");  // quoted in the file
  for (const auto& [id, title] : t.by_id) EXPECT_TRUE(valid_utf8(title)) << id;
}

TEST(ItemTitles, RealMovieLens100kUItem) {
  const std::string uitem = std::string(HPCREC_SHARED_DATA) + "/ml-100k/u.item";
  if (!std::filesystem::exists(uitem)) GTEST_SKIP() << "no " << uitem;
  const ItemTitles t = read_item_titles(src(uitem));
  EXPECT_EQ(t.size(), 1682u);
  ASSERT_NE(t.find("1"), nullptr);
  EXPECT_EQ(*t.find("1"), "Toy Story (1995)");
  // Line 543 is Latin-1 "Mis\xE9rables, Les (1995)".
  ASSERT_NE(t.find("543"), nullptr);
  EXPECT_EQ(*t.find("543"), "Mis\xC3\xA9rables, Les (1995)");
  std::size_t non_ascii = 0;
  for (const auto& [id, title] : t.by_id) {
    EXPECT_TRUE(valid_utf8(title)) << id;
    if (has_non_ascii(title)) ++non_ascii;
  }
  EXPECT_GT(non_ascii, 0u);
}
