// Item metadata readers: MovieLens movies.csv, tags.csv, u.item and generic
// delimited files; joining; errors; the real MovieLens files when present.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "io/item_features.hpp"
#include "src/errors.hpp"
#include "temp_file.hpp"

using namespace hpcrec;
using namespace hpcrec::io;

namespace {

std::string write_file(const std::string& name, const std::string& content) {
  return hpcrec::testing::write_temp_file("item_features", name, content);
}

ItemFeatureSource src(const std::string& path) {
  ItemFeatureSource s;
  s.path = path;
  return s;
}

std::string error_of(const ItemFeatureSource& s) {
  try {
    read_item_features({s});
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(ItemFeatures, MoviesAndTagsJoin) {
  const std::string movies = write_file("movies.csv",
                                        "movieId,title,genres\r\n"
                                        "1,Toy Story (1995),Adventure|Animation\r\n"
                                        "11,\"American President, The (1995)\",Comedy|Drama\r\n"
                                        "12,Nothing (2000),(no genres listed)\r\n");
  const std::string tags = write_file("tags.csv",
                                      "userId,movieId,tag,timestamp\n"
                                      "2,1,pixar,0\n"
                                      "5,1,\"fun, clever\",0\n"
                                      "5,99,orphan,0\n");
  const ItemFeatures f = read_item_features({src(movies), src(tags)});
  EXPECT_TRUE(f.integer_ids);
  ASSERT_EQ(f.size(), 4u);
  const ItemDocument* d = f.find("1");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->text, "Toy Story (1995) pixar fun, clever");
  EXPECT_EQ(d->tokens, (std::vector<std::string>{"genre:Adventure", "genre:Animation"}));
  EXPECT_EQ(f.find("11")->text, "American President, The (1995)");
  EXPECT_TRUE(f.find("12")->tokens.empty());
  EXPECT_EQ(f.find("99")->text, "orphan");
  EXPECT_EQ(f.find("099"), f.find("99"));  // integer ids compare as integers

  // Aligned to a ratings IdMap: 1 and 11 have metadata, 7 has none.
  math::IdMap ids;
  ids.ints = {1, 7, 11};
  math::Index matched = 0;
  const auto docs = f.aligned(ids, &matched);
  EXPECT_EQ(matched, 2);
  ASSERT_EQ(docs.size(), 3u);
  EXPECT_EQ(docs[0].text, d->text);
  EXPECT_TRUE(docs[1].text.empty() && docs[1].tokens.empty());
  EXPECT_EQ(f.id_map().ints, (std::vector<std::int64_t>{1, 11, 12, 99}));
}

TEST(ItemFeatures, UItemLatin1AndGenres) {
  std::string flags(19 * 2, '0');
  for (size_t k = 0; k < 19; ++k) flags[2 * k] = '0', flags[2 * k + 1] = '|';
  flags.pop_back();
  std::string sci = flags;
  sci[2 * 15] = '1';  // Sci-Fi
  sci[2 * 4] = '1';   // Children's
  const std::string path = write_file("u.item", "1|Cit\xE9 (1995)|01-Jan-1995||http://x|" + sci +
                                                    "\n"
                                                    "2|Plain|01-Jan-1995||http://y|" +
                                                    flags + "\n");
  const ItemFeatures f = read_item_features({src(path)});
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f.find("1")->text, "Cit\xC3\xA9 (1995)");
  EXPECT_EQ(f.find("1")->tokens, (std::vector<std::string>{"genre:Children's", "genre:Sci-Fi"}));
  EXPECT_TRUE(f.find("2")->tokens.empty());
  const std::string bad = write_file("u.item", "1|x|d||u|0|0\n");
  EXPECT_NE(error_of(src(bad)).find("u.item:1: expected 24 '|'-separated fields"), std::string::npos);
  const std::string bad_flag =
      write_file("u.item", "1|x|d||u|" + std::string(flags).replace(0, 1, "2") + "\n");
  EXPECT_NE(error_of(src(bad_flag)).find(":1: expected a genre flag 0 or 1, got '2'"), std::string::npos);
}

TEST(ItemFeatures, Delimited) {
  const std::string path = write_file("items.tsv",
                                      "item\tname\tdesc\textra\n"
                                      "a7\tRed Apple\tcrisp fruit\tz\n"
                                      "b2\tGreen Pear\t\tz\n");
  ItemFeatureSource s = src(path);
  s.delimiter = parse_feature_delimiter("tab");
  s.text_columns = {1, 2};
  // String ids: the header cannot be detected ("item" and "a7" are both
  // non-integers), so the first line is data unless header = true.
  EXPECT_EQ(read_item_features({s}).size(), 3u);
  s.header = true;
  const ItemFeatures f = read_item_features({s});
  EXPECT_FALSE(f.integer_ids);
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f.find("a7")->text, "Red Apple crisp fruit");
  EXPECT_EQ(f.find("b2")->text, "Green Pear");
  EXPECT_EQ(f.id_map().strings, (std::vector<std::string>{"a7", "b2"}));
}

TEST(ItemFeatures, DelimitedHeaderAndColumns) {
  const std::string path = write_file("items.txt",
                                      "name;id;desc\n"
                                      "Red Apple;7;\"crisp; sweet\"\n"
                                      "Pear;8;soft\n");
  ItemFeatureSource s = src(path);
  s.format = ItemFeatureFormat::kDelimited;
  s.delimiter = ";";
  s.id_column = 1;
  // Header detected: "id" is not an integer, "7" is.
  ItemFeatures f = read_item_features({s});
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f.find("7")->text, "Red Apple crisp; sweet");  // every column but the id
  s.text_columns = {2};
  f = read_item_features({s});
  EXPECT_EQ(f.find("8")->text, "soft");
  s.text_columns = {5};
  EXPECT_NE(error_of(s).find("items.txt:2: expected at least 6 fields, got 'Red Apple;7;"),
            std::string::npos);
  s.text_columns = {};
  s.header = false;  // the header line is then an item "id"
  f = read_item_features({s});
  EXPECT_EQ(f.size(), 3u);
  EXPECT_FALSE(f.integer_ids);
}

TEST(ItemFeatures, Errors) {
  EXPECT_NE(error_of(src("/nonexistent/movies.csv")).find("/nonexistent/movies.csv: cannot open"),
            std::string::npos);
  const std::string movies = write_file("movies.csv", "movieId,title,genres\n1,Two fields\n");
  EXPECT_NE(
      error_of(src(movies)).find("movies.csv:2: expected 3 fields movieId,title,genres, got '1,Two fields'"),
      std::string::npos);
  const std::string quote = write_file("movies.csv", "1,\"open,Drama\n");
  EXPECT_NE(error_of(src(quote)).find("movies.csv:1: expected a closing '\"'"), std::string::npos);
  const std::string tags = write_file("tags.csv", "userId,movieId,tag,timestamp\n1,x,tag,0\n");
  EXPECT_NE(error_of(src(tags)).find("tags.csv:2: expected an integer movieId, got 'x'"), std::string::npos);
  EXPECT_THROW(parse_item_feature_format("xml"), InputError);
  EXPECT_EQ(detect_item_feature_format("/a/b/u.item"), ItemFeatureFormat::kMovieLensUItem);
  EXPECT_EQ(detect_item_feature_format("items.csv"), ItemFeatureFormat::kDelimited);
}

TEST(ItemFeatures, RealMovieLens) {
  const std::string root = HPCREC_SHARED_DATA;
  const std::string movies = root + "/ml-latest-small/movies.csv", tags = root + "/ml-latest-small/tags.csv",
                    uitem = root + "/ml-100k/u.item";
  if (!std::filesystem::exists(movies) || !std::filesystem::exists(uitem)) GTEST_SKIP() << "no shared data";
  const ItemFeatures f = read_item_features({src(movies), src(tags)});
  EXPECT_EQ(f.size(), 9742u);  // every tagged movie is in movies.csv
  EXPECT_EQ(f.find("1")->tokens.size(), 5u);
  EXPECT_NE(f.find("1")->text.find("Toy Story (1995)"), std::string::npos);
  const ItemFeatures g = read_item_features({src(uitem)});
  EXPECT_EQ(g.size(), 1682u);
  EXPECT_EQ(g.find("2")->tokens,
            (std::vector<std::string>{"genre:Action", "genre:Adventure", "genre:Thriller"}));
}
