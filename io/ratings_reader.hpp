// Delimited ratings files: user, item, rating[, timestamp] per line.
//
// Accepted: tab, comma, "::" (MovieLens .dat) or whitespace separated, given
// or detected from the first data line; an optional header line (detected:
// the first line's rating column is not a number); CRLF line ends; CSV fields
// in double quotes ("a,b" and "" escapes). Ids are 64-bit integers or
// arbitrary strings. Each rank reads its own byte range: a line belongs to
// the range in which it starts.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "src/ids.hpp"
#include "src/types.hpp"

namespace hpcrec::io {

using math::Offset;

// Accepted ratings (values): finite, |r| <= 1e9. Beyond that float ratings
// lose whole units and the metrics' exact sums of squares could overflow;
// counts and star ratings are far inside. A line outside is bad input.
inline constexpr double kMaxAbsRating = 1e9;
inline constexpr const char* kRatingExpected = "a finite number in [-1e9, 1e9] in the rating column";

enum class Delimiter { kAuto, kTab, kComma, kDoubleColon, kWhitespace };

// Parses "auto|tab|comma|csv|dcolon|::|space|whitespace"; throws InputError.
Delimiter parse_delimiter(const std::string& text);
const char* delimiter_name(Delimiter d);

struct ReaderOptions {
  Delimiter delimiter = Delimiter::kAuto;
  std::optional<bool> header;  // nullopt: detect
  bool skip_invalid = false;
  bool keep_positions = true;  // fill ParsedRatings::positions (8 bytes a rating)
};

// How a file is laid out, decided from its first lines alone, so every rank
// decides the same without talking to the others.
struct FileLayout {
  Delimiter delimiter = Delimiter::kTab;
  bool header = false;
  Offset size = 0;  // bytes
};

// Throws InputError if the file cannot be opened ("FILE: cannot open: reason").
FileLayout detect_layout(const std::string& path, const ReaderOptions& options);

struct LineError {
  Offset line_in_range = 0;  // 1-based, counted from the first line of the range
  std::string message;       // "expected <what>, got '<text>'"
};

// The ratings a rank read from its byte range, column-wise.
struct ParsedRatings {
  math::IdColumn users;
  math::IdColumn items;
  std::vector<float> ratings;
  std::vector<std::int64_t> timestamps;  // 0 for lines without one
  std::vector<Offset> positions;         // byte offset of each line: file order (if keep_positions)
  Offset lines = 0;                // lines that start in the range (header, blank and bad lines included)
  Offset skipped = 0;              // invalid lines skipped under skip_invalid
  std::optional<LineError> error;  // first invalid line when not skipping; parsing stops there
                                   // but `lines` still counts the whole range
};

// Parses the lines that start in [begin, end). Blank lines are ignored. A
// line is invalid if it has fewer than 3 or more than 4 fields, an empty id,
// a rating that is not a finite number, or a timestamp that is not an
// integer. Reads in chunks (never the whole range at once); parses numbers
// with std::from_chars.
ParsedRatings read_ratings_range(const std::string& path, const FileLayout& layout, Offset begin, Offset end,
                                 const ReaderOptions& options);
// The same with a given read-buffer size (the default is 8 MiB), so that tests
// can make lines straddle chunks and outgrow the buffer with small files.
ParsedRatings read_ratings_range(const std::string& path, const FileLayout& layout, Offset begin, Offset end,
                                 const ReaderOptions& options, std::size_t chunk_bytes);

// The byte range [begin, end) of rank `rank` of `ranks` for a file of `size` bytes.
std::pair<Offset, Offset> byte_range(Offset size, int rank, int ranks);

}  // namespace hpcrec::io
