#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "io/ratings_reader.hpp"
#include "src/errors.hpp"

using namespace hpcrec;
using namespace hpcrec::io;
using math::IdColumn;
using math::Offset;
namespace fs = std::filesystem;

namespace {

// A fresh directory per test, removed afterwards.
class RatingsReader : public testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = fs::temp_directory_path() /
           ("hpcrec_reader_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, std::string_view content) {
    std::string path = (dir_ / name).string();
    std::ofstream f(path, std::ios::binary);
    f.write(content.data(), static_cast<std::streamsize>(content.size()));
    return path;
  }

  fs::path dir_;
};

ParsedRatings read_all(const std::string& path, const ReaderOptions& options = {}) {
  FileLayout layout = detect_layout(path, options);
  return read_ratings_range(path, layout, 0, layout.size, options);
}

std::string id_text(const IdColumn& c, std::size_t i) {
  return c.is_string ? c.dictionary[static_cast<std::size_t>(c.values[i])] : std::to_string(c.values[i]);
}

std::vector<std::string> texts(const IdColumn& c) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < c.size(); ++i) out.push_back(id_text(c, i));
  return out;
}

// What all ranks read together, with errors numbered globally the way the
// caller does: an exclusive scan of `lines` plus line_in_range.
struct Combined {
  std::vector<std::string> users, items;
  std::vector<float> ratings;
  std::vector<std::int64_t> timestamps;
  std::vector<Offset> positions;
  Offset lines = 0, skipped = 0;
  Offset error_line = 0;
  std::string error;

  bool operator==(const Combined&) const = default;
};

void PrintTo(const Combined& c, std::ostream* os) {
  *os << c.ratings.size() << " ratings, " << c.lines << " lines, " << c.skipped << " skipped, error at "
      << c.error_line << ": " << c.error;
}

Combined read_ranges(const std::string& path, const FileLayout& layout, const std::vector<Offset>& bounds,
                     const ReaderOptions& options, std::size_t chunk) {
  Combined c;
  for (std::size_t r = 0; r + 1 < bounds.size(); ++r) {
    ParsedRatings p = chunk ? read_ratings_range(path, layout, bounds[r], bounds[r + 1], options, chunk)
                            : read_ratings_range(path, layout, bounds[r], bounds[r + 1], options);
    std::vector<std::string> u = texts(p.users), i = texts(p.items);
    c.users.insert(c.users.end(), u.begin(), u.end());
    c.items.insert(c.items.end(), i.begin(), i.end());
    c.ratings.insert(c.ratings.end(), p.ratings.begin(), p.ratings.end());
    c.timestamps.insert(c.timestamps.end(), p.timestamps.begin(), p.timestamps.end());
    c.positions.insert(c.positions.end(), p.positions.begin(), p.positions.end());
    if (p.error && c.error.empty()) {
      c.error_line = c.lines + p.error->line_in_range;
      c.error = p.error->message;
    }
    c.lines += p.lines;
    c.skipped += p.skipped;
  }
  return c;
}

Offset count_lines(std::string_view content) {
  Offset n = std::count(content.begin(), content.end(), '\n');
  if (!content.empty() && content.back() != '\n') ++n;
  return n;
}

const std::string kFields = "expected 3 or 4 fields (user, item, rating[, timestamp]), got '";

}  // namespace

TEST_F(RatingsReader, DetectsTab) {
  std::string path = write("a.tsv", "196\t242\t3\t881250949\n186\t302\t3.5\t891717742\n");
  FileLayout layout = detect_layout(path, {});
  EXPECT_EQ(layout.delimiter, Delimiter::kTab);
  EXPECT_FALSE(layout.header);
  EXPECT_EQ(layout.size, 42);
  ParsedRatings p = read_all(path);
  ASSERT_FALSE(p.error);
  EXPECT_FALSE(p.users.is_string);
  EXPECT_EQ(p.users.values, (std::vector<std::int64_t>{196, 186}));
  EXPECT_EQ(p.items.values, (std::vector<std::int64_t>{242, 302}));
  EXPECT_EQ(p.ratings, (std::vector<float>{3.0f, 3.5f}));
  EXPECT_EQ(p.timestamps, (std::vector<std::int64_t>{881250949, 891717742}));
  EXPECT_EQ(p.positions, (std::vector<Offset>{0, 20}));
  EXPECT_EQ(p.lines, 2);
  EXPECT_EQ(p.skipped, 0);
}

TEST_F(RatingsReader, DetectsComma) {
  std::string path = write("a.csv", "1,31,2.5,1260759144\n1, 1029 ,3\n");
  EXPECT_EQ(detect_layout(path, {}).delimiter, Delimiter::kComma);
  ParsedRatings p = read_all(path);
  ASSERT_FALSE(p.error);
  EXPECT_EQ(p.items.values, (std::vector<std::int64_t>{31, 1029}));
  EXPECT_EQ(p.ratings, (std::vector<float>{2.5f, 3.0f}));
  EXPECT_EQ(p.timestamps, (std::vector<std::int64_t>{1260759144, 0}));
}

TEST_F(RatingsReader, DetectsDoubleColon) {
  std::string path = write("ratings.dat", "1::1193::5::978300760\na:b::x::4\n");
  EXPECT_EQ(detect_layout(path, {}).delimiter, Delimiter::kDoubleColon);
  ParsedRatings p = read_all(path);
  ASSERT_FALSE(p.error);
  // A single ':' is part of an id.
  EXPECT_EQ(texts(p.users), (std::vector<std::string>{"1", "a:b"}));
  EXPECT_EQ(texts(p.items), (std::vector<std::string>{"1193", "x"}));
  EXPECT_EQ(p.ratings, (std::vector<float>{5, 4}));
  EXPECT_EQ(p.timestamps, (std::vector<std::int64_t>{978300760, 0}));
}

TEST_F(RatingsReader, DetectsWhitespace) {
  std::string path = write("a.txt", "  1  2   3.5    99  \n4\t 5 \t6\n");
  EXPECT_EQ(detect_layout(path, {}).delimiter, Delimiter::kWhitespace);
  ParsedRatings p = read_all(path);
  ASSERT_FALSE(p.error) << p.error->message;
  EXPECT_EQ(p.users.values, (std::vector<std::int64_t>{1, 4}));
  EXPECT_EQ(p.items.values, (std::vector<std::int64_t>{2, 5}));
  EXPECT_EQ(p.ratings, (std::vector<float>{3.5f, 6}));
  EXPECT_EQ(p.timestamps, (std::vector<std::int64_t>{99, 0}));
}

TEST_F(RatingsReader, GivenDelimiterWins) {
  // Detection would pick tab; given whitespace, tabs and spaces both separate.
  std::string path = write("a.txt", "1\t2 3\n");
  ReaderOptions o;
  o.delimiter = Delimiter::kWhitespace;
  EXPECT_EQ(detect_layout(path, o).delimiter, Delimiter::kWhitespace);
  ParsedRatings p = read_all(path, o);
  ASSERT_FALSE(p.error);
  EXPECT_EQ(p.ratings, (std::vector<float>{3}));
  o.delimiter = Delimiter::kTab;
  p = read_all(path, o);
  ASSERT_TRUE(p.error);
  EXPECT_EQ(p.error->message, kFields + "1\t2 3'");
}

TEST_F(RatingsReader, DetectsHeader) {
  std::string path = write("h.csv", "userId,movieId,rating,timestamp\n1,2,3,4\n");
  FileLayout layout = detect_layout(path, {});
  EXPECT_TRUE(layout.header);
  EXPECT_EQ(layout.delimiter, Delimiter::kComma);
  ParsedRatings p = read_all(path);
  ASSERT_FALSE(p.error);
  EXPECT_EQ(p.ratings, (std::vector<float>{3}));
  EXPECT_EQ(p.lines, 2);  // the header is a line too
  EXPECT_EQ(p.positions, (std::vector<Offset>{32}));

  // Numbers only: no header, whatever the ids look like.
  EXPECT_FALSE(detect_layout(write("n.csv", "u1,i1,4\n"), {}).header);
  // Blank lines before the header.
  std::string blank = write("b.csv", "\n \r\nuser,item,rating\n1,2,3\n");
  EXPECT_TRUE(detect_layout(blank, {}).header);
  p = read_all(blank);
  ASSERT_FALSE(p.error) << p.error->message;
  EXPECT_EQ(p.ratings, (std::vector<float>{3}));
  EXPECT_EQ(p.lines, 4);
}

TEST_F(RatingsReader, HeaderDelimiterMayDifferFromData) {
  std::string path = write("h.tsv", "user item rating\n1\t2\t3\n");
  FileLayout layout = detect_layout(path, {});
  EXPECT_TRUE(layout.header);
  EXPECT_EQ(layout.delimiter, Delimiter::kTab);
}

TEST_F(RatingsReader, HeaderOverride) {
  std::string with = write("h.csv", "user,item,rating\n1,2,3\n");
  ReaderOptions no;
  no.header = false;
  EXPECT_FALSE(detect_layout(with, no).header);
  ParsedRatings p = read_all(with, no);
  ASSERT_TRUE(p.error);
  EXPECT_EQ(p.error->line_in_range, 1);
  EXPECT_EQ(p.error->message, "expected a finite number in [-1e9, 1e9] in the rating column, got 'rating'");
  EXPECT_EQ(p.lines, 2);

  std::string without = write("d.csv", "1,2,3\n4,5,6\n");
  ReaderOptions yes;
  yes.header = true;
  EXPECT_TRUE(detect_layout(without, yes).header);
  p = read_all(without, yes);
  ASSERT_FALSE(p.error);
  EXPECT_EQ(p.ratings, (std::vector<float>{6}));
  EXPECT_EQ(p.lines, 2);
}

TEST_F(RatingsReader, AcceptsCrlfAndByteOrderMark) {
  std::string path = write("w.csv", "\xEF\xBB\xBFuserId,movieId,rating\r\n1,2,3.5\r\n4,5,1\r\n");
  FileLayout layout = detect_layout(path, {});
  EXPECT_TRUE(layout.header);
  ParsedRatings p = read_all(path);
  ASSERT_FALSE(p.error) << p.error->message;
  EXPECT_EQ(p.users.values, (std::vector<std::int64_t>{1, 4}));
  EXPECT_EQ(p.ratings, (std::vector<float>{3.5f, 1}));

  p = read_all(write("b.tsv",
                     "\xEF\xBB\xBF"
                     "7\t8\t9\t10\r\n"));
  ASSERT_FALSE(p.error) << p.error->message;
  EXPECT_FALSE(p.users.is_string);
  EXPECT_EQ(p.users.values, (std::vector<std::int64_t>{7}));
  EXPECT_EQ(p.timestamps, (std::vector<std::int64_t>{10}));
}

TEST_F(RatingsReader, QuotedCsvFields) {
  std::string path = write("q.csv",
                           "\"a,b\",\"1\",\"2.5\"\n"
                           "\"say \"\"hi\"\"\", x ,3,\"17\"\n"
                           " \"\" ,y,4\n");
  ParsedRatings p = read_all(path);
  ASSERT_TRUE(p.error);  // the empty quoted id
  EXPECT_EQ(p.error->line_in_range, 3);
  EXPECT_EQ(p.error->message, "expected a non-empty id in the user column, got ' \"\" ,y,4'");
  EXPECT_EQ(texts(p.users), (std::vector<std::string>{"a,b", "say \"hi\""}));
  EXPECT_EQ(texts(p.items), (std::vector<std::string>{"1", "x"}));
  EXPECT_EQ(p.ratings, (std::vector<float>{2.5f, 3}));
  EXPECT_EQ(p.timestamps, (std::vector<std::int64_t>{0, 17}));
}

TEST_F(RatingsReader, StringIdsSwitchMidFile) {
  // The example of src/ids.hpp.
  std::string path = write("s.tsv", "7\t1\t1\n3\t1\t1\n7\t2\t1\nu9\t2\t1\n7\t2\t1\n");
  ParsedRatings p = read_all(path);
  ASSERT_FALSE(p.error);
  EXPECT_TRUE(p.users.is_string);
  EXPECT_EQ(p.users.dictionary, (std::vector<std::string>{"7", "3", "u9"}));
  EXPECT_EQ(p.users.values, (std::vector<std::int64_t>{0, 1, 0, 2, 0}));
  EXPECT_FALSE(p.items.is_string);
  EXPECT_EQ(p.items.values, (std::vector<std::int64_t>{1, 1, 2, 2, 2}));
}

TEST_F(RatingsReader, OnlyCanonicalIntegersAreIntegerIds) {
  // "007" read as 7 would merge with "7" as integers but not as strings.
  ParsedRatings p = read_all(write("z.tsv", "007\t-0\t1\n7\t-5\t1\n"));
  ASSERT_FALSE(p.error);
  EXPECT_TRUE(p.users.is_string);
  EXPECT_EQ(p.users.dictionary, (std::vector<std::string>{"007", "7"}));
  EXPECT_EQ(p.users.values, (std::vector<std::int64_t>{0, 1}));
  EXPECT_EQ(texts(p.items), (std::vector<std::string>{"-0", "-5"}));
}

TEST_F(RatingsReader, SixtyFourBitIds) {
  ParsedRatings p =
      read_all(write("l.tsv", "9223372036854775807\t-9223372036854775808\t1\n0\t4294967296\t2\n"));
  ASSERT_FALSE(p.error);
  EXPECT_FALSE(p.users.is_string);
  EXPECT_FALSE(p.items.is_string);
  EXPECT_EQ(p.users.values, (std::vector<std::int64_t>{INT64_MAX, 0}));
  EXPECT_EQ(p.items.values, (std::vector<std::int64_t>{INT64_MIN, 4294967296}));
  // One past the range is a string id, not an error.
  p = read_all(write("o.tsv", "9223372036854775808\t1\t1\n"));
  ASSERT_FALSE(p.error);
  EXPECT_TRUE(p.users.is_string);
  EXPECT_EQ(p.users.dictionary, (std::vector<std::string>{"9223372036854775808"}));
}

TEST_F(RatingsReader, MissingTimestampIsZero) {
  ParsedRatings p = read_all(write("t.tsv", "1\t2\t3\n1\t3\t4\t-12\n1\t4\t5\n"));
  ASSERT_FALSE(p.error);
  EXPECT_EQ(p.timestamps, (std::vector<std::int64_t>{0, -12, 0}));
}

// Short decimals and integers take a fast path; it must agree with
// std::from_chars to the bit.
TEST_F(RatingsReader, NumbersMatchFromChars) {
  std::vector<std::string> ratings = {"3", "4.5", "3.7", "0.1", "-2.25", ".5", "5.", "+4", "1e2", "2.5E-1",
                                      // 15 and 16 digits (the fast path, then from_chars),
                                      // inside the accepted range |r| <= 1e9
                                      "123456789.012345", "123456789.0123456", "0.3333333333333",
                                      "0.33333333333333", "-0", "999999999.999999", "0000000000000000001.5"};
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> digit(0, 9), len(1, 8);
  for (int i = 0; i < 2000; ++i) {
    std::string r;
    for (int n = len(rng); n > 0; --n) r += static_cast<char>('0' + digit(rng));
    r += '.';
    for (int n = len(rng); n > 0; --n) r += static_cast<char>('0' + digit(rng));
    ratings.push_back(r);
  }
  std::vector<std::string> timestamps = {"0",
                                         "-1",
                                         "007",
                                         "123456789012345678",
                                         "-123456789012345678",
                                         "1234567890123456789",
                                         "9223372036854775807",
                                         "-9223372036854775808"};
  std::string content;
  for (std::size_t i = 0; i < ratings.size(); ++i) {
    content += "1\t2\t" + ratings[i] + "\t" + timestamps[i % timestamps.size()] + "\n";
  }
  ParsedRatings p = read_all(write("n.tsv", content));
  ASSERT_FALSE(p.error) << p.error->message;
  ASSERT_EQ(p.ratings.size(), ratings.size());
  for (std::size_t i = 0; i < ratings.size(); ++i) {
    std::string_view text = ratings[i];
    if (text.front() == '+') text.remove_prefix(1);
    double d = 0;
    std::from_chars(text.data(), text.data() + text.size(), d);
    EXPECT_EQ(p.ratings[i], static_cast<float>(d)) << ratings[i];
    std::int64_t t = 0;
    const std::string& ts = timestamps[i % timestamps.size()];
    std::from_chars(ts.data(), ts.data() + ts.size(), t);
    EXPECT_EQ(p.timestamps[i], t) << ts;
  }
}

TEST_F(RatingsReader, ReportsEachBadInputWithItsLine) {
  struct Case {
    std::string line;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"1\t2", kFields + "1\t2'"},
      {"1", kFields + "1'"},
      {"1\t2\t3\t4\t5", kFields + "1\t2\t3\t4\t5'"},
      {"\t2\t3", "expected a non-empty id in the user column, got '\t2\t3'"},
      {" \t2\t3", "expected a non-empty id in the user column, got ' \t2\t3'"},
      {"1\t\t3", "expected a non-empty id in the item column, got '1\t\t3'"},
      {"1\t2\tabc", "expected a finite number in [-1e9, 1e9] in the rating column, got 'abc'"},
      {"1\t2\t", "expected a finite number in [-1e9, 1e9] in the rating column, got ''"},
      {"1\t2\t3.5x", "expected a finite number in [-1e9, 1e9] in the rating column, got '3.5x'"},
      {"1\t2\tnan", "expected a finite number in [-1e9, 1e9] in the rating column, got 'nan'"},
      {"1\t2\tinf", "expected a finite number in [-1e9, 1e9] in the rating column, got 'inf'"},
      {"1\t2\t-inf", "expected a finite number in [-1e9, 1e9] in the rating column, got '-inf'"},
      {"1\t2\t1e400", "expected a finite number in [-1e9, 1e9] in the rating column, got '1e400'"},
      {"1\t2\t1e39",
       "expected a finite number in [-1e9, 1e9] in the rating column, got '1e39'"},  // beyond float
      // Beyond the accepted range (README): 1e26 used to end in ExactSum's overflow.
      {"1\t2\t1e26", "expected a finite number in [-1e9, 1e9] in the rating column, got '1e26'"},
      {"1\t2\t1000000001", "expected a finite number in [-1e9, 1e9] in the rating column, got '1000000001'"},
      {"1\t2\t-1.5e9", "expected a finite number in [-1e9, 1e9] in the rating column, got '-1.5e9'"},
      {"1\t2\t3\t12x", "expected an integer in the timestamp column, got '12x'"},
      {"1\t2\t3\t1.5", "expected an integer in the timestamp column, got '1.5'"},
      {"1\t2\t3\t", "expected an integer in the timestamp column, got ''"},
      {"1\t2\t3\t99999999999999999999",
       "expected an integer in the timestamp column, got '99999999999999999999'"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.line);
    // Header, a good line, a blank line, the bad line (4), a good line.
    std::string path = write("bad.tsv", "user\titem\trating\n1\t2\t3\n\n" + c.line + "\r\n5\t6\t7");
    ParsedRatings p = read_all(path);
    ASSERT_TRUE(p.error);
    EXPECT_EQ(p.error->line_in_range, 4);
    EXPECT_EQ(p.error->message, c.message);
    EXPECT_EQ(p.ratings, (std::vector<float>{3}));  // parsing stopped at the bad line
    EXPECT_EQ(p.lines, 5);                          // counting did not
    EXPECT_EQ(p.skipped, 0);

    ReaderOptions skip;
    skip.skip_invalid = true;
    p = read_all(path, skip);
    EXPECT_FALSE(p.error);
    EXPECT_EQ(p.ratings, (std::vector<float>{3, 7}));
    EXPECT_EQ(p.skipped, 1);
    EXPECT_EQ(p.lines, 5);
  }
}

TEST_F(RatingsReader, BadQuotes) {
  ParsedRatings p = read_all(write("q.csv", "1,2,3\n\"abc,1,2\n"));
  ASSERT_TRUE(p.error);
  EXPECT_EQ(p.error->line_in_range, 2);
  EXPECT_EQ(p.error->message, "expected a closing quote, got '\"abc,1,2'");
  p = read_all(write("r.csv", "\"a\"b,1,2\n"));
  ASSERT_TRUE(p.error);
  EXPECT_EQ(p.error->message, "expected a comma after a closing quote, got '\"a\"b,1,2'");
}

TEST_F(RatingsReader, TruncatesLongLinesInMessages) {
  std::string line = "1\t" + std::string(200, 'x');
  ParsedRatings p = read_all(write("long.tsv", line + "\n"));
  ASSERT_TRUE(p.error);
  EXPECT_EQ(p.error->message, kFields + line.substr(0, 77) + "...'");
}

TEST_F(RatingsReader, SkipInvalidCountsEveryBadLine) {
  std::string path = write("m.tsv", "1\t2\t3\nx\n1\t2\tz\n\n4\t5\t6\n1\t2\t3\t4\t5\n7\t8\t9\t1.5\n");
  ReaderOptions skip;
  skip.skip_invalid = true;
  ParsedRatings p = read_all(path, skip);
  EXPECT_FALSE(p.error);
  EXPECT_EQ(p.skipped, 4);
  EXPECT_EQ(p.lines, 7);
  EXPECT_EQ(p.ratings, (std::vector<float>{3, 6}));
  EXPECT_EQ(p.positions, (std::vector<Offset>{0, 15}));
}

TEST_F(RatingsReader, LastLineWithoutNewline) {
  ParsedRatings p = read_all(write("n.tsv", "1\t2\t3\n4\t5\t6"));
  ASSERT_FALSE(p.error);
  EXPECT_EQ(p.ratings, (std::vector<float>{3, 6}));
  EXPECT_EQ(p.lines, 2);
}

TEST_F(RatingsReader, EmptyAndBlankFiles) {
  std::string empty = write("empty.tsv", "");
  FileLayout layout = detect_layout(empty, {});
  EXPECT_EQ(layout.size, 0);
  EXPECT_FALSE(layout.header);
  ParsedRatings p = read_ratings_range(empty, layout, 0, 0, {});
  EXPECT_EQ(p.lines, 0);
  EXPECT_TRUE(p.ratings.empty());
  EXPECT_FALSE(p.error);
  for (int r = 0; r < 3; ++r) {
    auto [b, e] = byte_range(layout.size, r, 3);
    EXPECT_EQ(read_ratings_range(empty, layout, b, e, {}).lines, 0);
  }

  std::string blank = write("blank.tsv", "\n \n\r\n");
  layout = detect_layout(blank, {});
  EXPECT_EQ(layout.size, 5);
  p = read_all(blank);
  EXPECT_FALSE(p.error);
  EXPECT_TRUE(p.ratings.empty());
  EXPECT_EQ(p.lines, 3);
}

TEST_F(RatingsReader, LinesLongerThanTheBuffer) {
  std::string content =
      "1\t2\t3\n" + std::string(1000, 'u') + "\t" + std::string(500, 'i') + "\t4\n5\t6\t7\n";
  std::string path = write("l.tsv", content);
  FileLayout layout = detect_layout(path, {});
  for (std::size_t chunk : {1, 2, 3, 7, 64, 1000}) {
    SCOPED_TRACE(chunk);
    ParsedRatings p = read_ratings_range(path, layout, 0, layout.size, {}, chunk);
    ASSERT_FALSE(p.error);
    EXPECT_EQ(p.ratings, (std::vector<float>{3, 4, 7}));
    EXPECT_EQ(id_text(p.users, 1), std::string(1000, 'u'));
    EXPECT_EQ(id_text(p.items, 1), std::string(500, 'i'));
    EXPECT_EQ(p.positions, (std::vector<Offset>{0, 6, 1510}));
  }
}

// A line past the 64 MiB limit (no newline in a binary file, say) is one
// invalid line, not a rank that buffers the whole file.
TEST_F(RatingsReader, HugeLineIsInvalid) {
  std::string content = "1\t2\t3\n" + std::string((64u << 20) + 10, 'x') + "\n4\t5\t6\n";
  std::string path = write("huge.tsv", content);
  FileLayout layout = detect_layout(path, {});
  ParsedRatings p = read_ratings_range(path, layout, 0, layout.size, {}, 1 << 20);
  ASSERT_TRUE(p.error);
  EXPECT_EQ(p.error->line_in_range, 2);
  EXPECT_EQ(p.error->message, "expected a line shorter than 64 MiB, got '" + std::string(77, 'x') + "...'");
  EXPECT_EQ(p.lines, 3);
  ReaderOptions skip;
  skip.skip_invalid = true;
  p = read_ratings_range(path, layout, 0, layout.size, skip, 1 << 20);
  EXPECT_FALSE(p.error);
  EXPECT_EQ(p.ratings, (std::vector<float>{3, 6}));
  EXPECT_EQ(p.skipped, 1);
  EXPECT_EQ(p.lines, 3);
}

// However a file is split, the ranks together read exactly what one reads.
TEST_F(RatingsReader, AnySplitReadsTheSameRatings) {
  const std::vector<std::string> files = {
      "1\t10\t5\t100\n\n2\t20\t4.5\n u3\t30\t1\t7\r\n4\t40\t2\n\n\n5\t50\t3\t9",
      "user,item,rating\n\"a,b\",1,2\n3,\"x\"\"y\",4,5\r\n\n6,7,8\n9,10,11\n",
      "\n\nuser item rating\n1 2 3\n 4\t5 6 7\n8 9 10\n\n",
      "1::2::3\nx::y::4::5\n6::7::8\n",
      "1,2,3\nbad line\n4,5,6\n7,8\n9,10,11\n",  // errors numbered globally
  };
  std::mt19937 rng(42);
  for (const std::string& content : files) {
    SCOPED_TRACE(content);
    std::string path = write("split.txt", content);
    for (bool skip_invalid : {false, true}) {
      ReaderOptions options;
      options.skip_invalid = skip_invalid;
      FileLayout layout = detect_layout(path, options);
      const Offset size = layout.size;
      Combined whole = read_ranges(path, layout, {0, size}, options, 0);
      EXPECT_EQ(whole.lines, count_lines(content));
      if (whole.error.empty()) {
        EXPECT_FALSE(whole.ratings.empty());
      }

      // The caller stops at the first error, so ratings after it do not matter.
      auto expect_same = [&](const Combined& got) {
        if (whole.error.empty()) {
          EXPECT_EQ(got, whole);
        } else {
          EXPECT_EQ(got.error, whole.error);
          EXPECT_EQ(got.error_line, whole.error_line);
          EXPECT_EQ(got.lines, whole.lines);
          std::size_t n = whole.ratings.size();
          ASSERT_GE(got.ratings.size(), n);
          EXPECT_EQ(std::vector<float>(got.ratings.begin(), got.ratings.begin() + n), whole.ratings);
          EXPECT_EQ(std::vector<std::string>(got.users.begin(), got.users.begin() + n), whole.users);
        }
      };
      for (std::size_t chunk : {0, 1, 2, 5, 16}) {
        SCOPED_TRACE(chunk);
        for (int ranks = 1; ranks <= 7; ++ranks) {
          std::vector<Offset> bounds{0};
          for (int r = 0; r < ranks; ++r) bounds.push_back(byte_range(size, r, ranks).second);
          expect_same(read_ranges(path, layout, bounds, options, chunk));
        }
        // Every boundary for two and three ranks.
        for (Offset a = 0; a <= size; ++a) {
          expect_same(read_ranges(path, layout, {0, a, size}, options, chunk));
          for (Offset b = a; b <= size; ++b)
            expect_same(read_ranges(path, layout, {0, a, b, size}, options, chunk));
        }
        // Random boundaries, empty ranges included, for four to seven ranks.
        for (int trial = 0; trial < 200; ++trial) {
          int ranks = 4 + trial % 4;
          std::vector<Offset> bounds{0, size};
          std::uniform_int_distribution<Offset> at(0, size);
          for (int r = 1; r < ranks; ++r) bounds.push_back(at(rng));
          std::sort(bounds.begin(), bounds.end());
          expect_same(read_ranges(path, layout, bounds, options, chunk));
        }
      }
    }
  }
}

TEST_F(RatingsReader, TinyFileManyRanks) {
  std::string path = write("tiny.txt", "1 2 3");
  FileLayout layout = detect_layout(path, {});
  Offset lines = 0, ratings = 0;
  for (int r = 0; r < 7; ++r) {
    auto [b, e] = byte_range(layout.size, r, 7);
    ParsedRatings p = read_ratings_range(path, layout, b, e, {});
    EXPECT_FALSE(p.error);
    lines += p.lines;
    ratings += static_cast<Offset>(p.ratings.size());
  }
  EXPECT_EQ(lines, 1);
  EXPECT_EQ(ratings, 1);
}

TEST_F(RatingsReader, CannotOpen) {
  std::string missing = (dir_ / "missing.tsv").string();
  try {
    detect_layout(missing, {});
    FAIL() << "no exception";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), missing + ": cannot open: No such file or directory");
  }
  FileLayout layout;
  layout.size = 10;
  EXPECT_THROW(read_ratings_range(missing, layout, 0, 10, {}), InputError);
  try {
    detect_layout(dir_.string(), {});
    FAIL() << "no exception";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), dir_.string() + ": cannot open: Is a directory");
  }
}

TEST(Delimiters, ParseAndName) {
  EXPECT_EQ(parse_delimiter("auto"), Delimiter::kAuto);
  EXPECT_EQ(parse_delimiter("tab"), Delimiter::kTab);
  EXPECT_EQ(parse_delimiter("comma"), Delimiter::kComma);
  EXPECT_EQ(parse_delimiter("csv"), Delimiter::kComma);
  EXPECT_EQ(parse_delimiter("dcolon"), Delimiter::kDoubleColon);
  EXPECT_EQ(parse_delimiter("::"), Delimiter::kDoubleColon);
  EXPECT_EQ(parse_delimiter("space"), Delimiter::kWhitespace);
  EXPECT_EQ(parse_delimiter("whitespace"), Delimiter::kWhitespace);
  EXPECT_THROW(parse_delimiter("semicolon"), InputError);
  EXPECT_THROW(parse_delimiter(""), InputError);
  for (Delimiter d : {Delimiter::kAuto, Delimiter::kTab, Delimiter::kComma, Delimiter::kDoubleColon,
                      Delimiter::kWhitespace}) {
    EXPECT_EQ(parse_delimiter(delimiter_name(d)), d);
  }
}

TEST(ByteRange, SplitsEvenlyAndCovers) {
  for (Offset size : {Offset{0}, Offset{1}, Offset{5}, Offset{100}, Offset{1} << 62, INT64_MAX}) {
    for (int ranks = 1; ranks <= 9; ++ranks) {
      Offset expect_begin = 0;
      for (int r = 0; r < ranks; ++r) {
        auto [b, e] = byte_range(size, r, ranks);
        EXPECT_EQ(b, expect_begin);
        EXPECT_GE(e - b - size / ranks, 0);
        EXPECT_LE(e - b - size / ranks, 1);
        expect_begin = e;
      }
      EXPECT_EQ(expect_begin, size);
    }
  }
  EXPECT_EQ(byte_range(10, 1, 3), (std::pair<Offset, Offset>{3, 6}));
}

TEST_F(RatingsReader, MovieLens100k) {
  std::string path = std::string(HPCREC_SHARED_DATA) + "/ml-100k/u1.base";
  if (!fs::exists(path)) GTEST_SKIP() << path << " not present";
  FileLayout layout = detect_layout(path, {});
  EXPECT_EQ(layout.delimiter, Delimiter::kTab);
  EXPECT_FALSE(layout.header);
  ParsedRatings p = read_ratings_range(path, layout, 0, layout.size, {});
  ASSERT_FALSE(p.error) << p.error->message;
  EXPECT_EQ(p.ratings.size(), 80000u);
  EXPECT_EQ(p.lines, 80000);
  EXPECT_FALSE(p.users.is_string);
  EXPECT_EQ(p.users.values.front(), 1);
  EXPECT_EQ(p.items.values.front(), 1);
  EXPECT_EQ(p.ratings.front(), 5.0f);
  EXPECT_EQ(p.timestamps.front(), 874965758);
}

TEST_F(RatingsReader, MovieLensLatestSmall) {
  std::string path = std::string(HPCREC_SHARED_DATA) + "/ml-latest-small/ratings.csv";
  if (!fs::exists(path)) GTEST_SKIP() << path << " not present";
  FileLayout layout = detect_layout(path, {});
  EXPECT_EQ(layout.delimiter, Delimiter::kComma);
  EXPECT_TRUE(layout.header);
  Offset total = 0, lines = 0;
  double sum = 0;
  for (int r = 0; r < 4; ++r) {
    auto [b, e] = byte_range(layout.size, r, 4);
    ParsedRatings p = read_ratings_range(path, layout, b, e, {});
    ASSERT_FALSE(p.error) << p.error->message;
    total += static_cast<Offset>(p.ratings.size());
    lines += p.lines;
    for (float x : p.ratings) sum += x;
  }
  EXPECT_EQ(total, 100836);
  EXPECT_EQ(lines, 100837);
  EXPECT_NEAR(sum / static_cast<double>(total), 3.5016, 1e-4);
}
