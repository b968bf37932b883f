#include "io/ratings_reader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <unordered_map>

#include "src/errors.hpp"

namespace hpcrec::io {

namespace {

constexpr std::size_t kChunkBytes = std::size_t{8} << 20;
// A line longer than this is reported as invalid rather than buffered: a
// ratings line is tens of bytes, so this is a binary file or a missing newline,
// and growing the buffer further would only exhaust the rank's memory.
constexpr std::size_t kMaxLineBytes = std::size_t{64} << 20;
// Past the end of the range only the last line's tail is needed.
constexpr std::size_t kTailReadBytes = std::size_t{64} << 10;
constexpr std::size_t kDetectBytes = std::size_t{64} << 10;
constexpr std::size_t kShownChars = 80;
constexpr std::string_view kBom = "\xEF\xBB\xBF";

std::string errno_text(int err) { return std::system_category().message(err); }

class File {
 public:
  explicit File(const std::string& path) : path_(path) {
    do {
      fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    } while (fd_ < 0 && errno == EINTR);
    if (fd_ < 0) throw InputError(path + ": cannot open: " + errno_text(errno));
    struct stat st {};
    if (::fstat(fd_, &st) != 0) {
      int err = errno;
      ::close(fd_);
      throw InputError(path + ": cannot open: " + errno_text(err));
    }
    // open() succeeds on a directory; say so here rather than fail at the first read.
    if (S_ISDIR(st.st_mode)) {
      ::close(fd_);
      throw InputError(path + ": cannot open: " + errno_text(EISDIR));
    }
    size_ = static_cast<Offset>(st.st_size);
  }
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  ~File() { ::close(fd_); }

  Offset size() const { return size_; }

  // Reads up to n bytes at offset; returns 0 only at end of file.
  std::size_t read_at(char* out, std::size_t n, Offset offset) const {
    for (;;) {
      ssize_t got = ::pread(fd_, out, n, static_cast<off_t>(offset));
      if (got >= 0) return static_cast<std::size_t>(got);
      if (errno != EINTR) throw InputError(path_ + ": cannot read: " + errno_text(errno));
    }
  }

  // Reads until n bytes or end of file (pread may return short counts).
  std::size_t read_fully(char* out, std::size_t n, Offset offset) const {
    std::size_t total = 0;
    while (total < n) {
      std::size_t got = read_at(out + total, n - total, offset + static_cast<Offset>(total));
      if (got == 0) break;
      total += got;
    }
    return total;
  }

 private:
  std::string path_;
  int fd_ = -1;
  Offset size_ = 0;
};

struct Line {
  std::string_view text;  // without the '\n'
  Offset start = 0;       // file offset of the first byte
  bool too_long = false;  // text is only the first kMaxLineBytes bytes
};

// The read buffer outlives a call: a fresh 8 MiB per call would be paid again
// in page faults each time (and a test or caller may read many ranges).
struct ReadBuffer {
  std::unique_ptr<char[]> data;
  std::size_t size = 0;
};

ReadBuffer& thread_buffer() {
  thread_local ReadBuffer buffer;
  return buffer;
}

// Yields the lines from a start offset on, reading chunks into one buffer that
// grows only while a single line does not fit.
class LineReader {
 public:
  LineReader(const File& file, Offset start, Offset end, std::size_t chunk_bytes, std::size_t max_line)
      : file_(file),
        base_(start),
        end_(end),
        max_line_(std::max(max_line, chunk_bytes)),
        // Small ranges (many ranks, small files) do not need the full chunk.
        cap_(std::max<std::size_t>(
            1, std::min<std::size_t>(chunk_bytes, static_cast<std::size_t>(std::max<Offset>(end - start, 0)) +
                                                      kTailReadBytes))),
        storage_(thread_buffer()) {
    if (storage_.size < cap_) {
      storage_.data.reset();  // free before allocating: the old one may be 8 MiB
      storage_.data.reset(new char[cap_]);
      storage_.size = cap_;
    }
    buf_ = storage_.data.get();
  }
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;
  // Keep the usual chunk for the next call, not a buffer grown for a huge line.
  ~LineReader() {
    if (storage_.size > kChunkBytes) {
      storage_.data.reset();
      storage_.size = 0;
    }
  }

  // File offset of the next line's first byte.
  Offset position() const { return base_ + static_cast<Offset>(cur_); }

  bool next(Line& line) {
    if (skipping_ && !skip_rest_of_line()) return false;
    for (;;) {
      if (const void* nl = std::memchr(buf_ + scanned_, '\n', len_ - scanned_)) {
        std::size_t at = static_cast<std::size_t>(static_cast<const char*>(nl) - buf_);
        line = {std::string_view(buf_ + cur_, at - cur_), position(), false};
        cur_ = scanned_ = at + 1;
        return true;
      }
      scanned_ = len_;
      if (eof_) {
        if (cur_ == len_) return false;
        line = {std::string_view(buf_ + cur_, len_ - cur_), position(), false};
        cur_ = scanned_ = len_;
        return true;
      }
      if (len_ - cur_ >= max_line_) {
        line = {std::string_view(buf_ + cur_, max_line_), position(), true};
        // The view stays valid until the next call, which discards the rest.
        cur_ = scanned_ = len_;
        skipping_ = true;
        return true;
      }
      fill();
    }
  }

 private:
  bool skip_rest_of_line() {
    for (;;) {
      if (const void* nl = std::memchr(buf_ + cur_, '\n', len_ - cur_)) {
        cur_ = scanned_ = static_cast<std::size_t>(static_cast<const char*>(nl) - buf_) + 1;
        skipping_ = false;
        return true;
      }
      cur_ = scanned_ = len_;
      if (eof_) return false;
      fill();
    }
  }

  void fill() {
    if (cur_ > 0) {
      std::memmove(buf_, buf_ + cur_, len_ - cur_);
      base_ += static_cast<Offset>(cur_);
      len_ -= cur_;
      scanned_ -= cur_;
      cur_ = 0;
    }
    if (len_ == cap_) {
      cap_ = std::min(cap_ * 2, max_line_ + 1);
      if (storage_.size < cap_) {
        std::unique_ptr<char[]> bigger(new char[cap_]);
        std::memcpy(bigger.get(), buf_, len_);
        storage_.data = std::move(bigger);
        storage_.size = cap_;
        buf_ = storage_.data.get();
      }
    }
    Offset at = base_ + static_cast<Offset>(len_);
    std::size_t want = cap_ - len_;
    if (at < end_) {
      want = std::min<std::size_t>(want, static_cast<std::size_t>(end_ - at));
    } else {
      want = std::min(want, kTailReadBytes);
    }
    std::size_t got = file_.read_at(buf_ + len_, want, at);
    if (got == 0) eof_ = true;
    len_ += got;
  }

  const File& file_;
  Offset base_;  // file offset of buf_[0]
  Offset end_;
  std::size_t max_line_;
  std::size_t cap_;  // bytes of buf_ in use; tests make it tiny
  ReadBuffer& storage_;
  char* buf_;
  std::size_t len_ = 0;      // valid bytes in buf_
  std::size_t cur_ = 0;      // start of the next line in buf_
  std::size_t scanned_ = 0;  // bytes from cur_ on already known to hold no '\n'
  bool eof_ = false;
  bool skipping_ = false;
};

inline bool is_blank_char(char c) { return c == ' ' || c == '\t'; }

inline std::string_view trim(std::string_view s) {
  while (!s.empty() && is_blank_char(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank_char(s.back())) s.remove_suffix(1);
  return s;
}

bool is_blank(std::string_view s) { return trim(s).empty(); }

std::string_view strip_cr(std::string_view s) {
  if (!s.empty() && s.back() == '\r') s.remove_suffix(1);
  return s;
}

std::string shown(std::string_view text) {
  if (text.size() <= kShownChars) return std::string(text);
  return std::string(text.substr(0, kShownChars - 3)) + "...";
}

std::string expected(std::string_view what, std::string_view got) {
  std::string m = "expected ";
  m += what;
  m += ", got '";
  m += shown(got);
  m += "'";
  return m;
}

constexpr int kMaxFields = 4;

// Up to kMaxFields fields of one line; `count` is kMaxFields + 1 when there are more.
struct Fields {
  std::array<std::string_view, kMaxFields> field;
  int count = 0;
  const char* error = nullptr;  // what was expected, when the line cannot be split
  // Unescaped quoted fields live here, so views into them stay valid per line.
  std::array<std::string, kMaxFields> unquoted;
};

// Fields are a few bytes long: a plain loop beats a memchr call per field.
inline void split_tab(std::string_view line, Fields& out) {
  const char* p = line.data();
  const char* e = p + line.size();
  out.count = 0;
  for (;;) {
    if (out.count == kMaxFields) {
      ++out.count;
      return;
    }
    const char* q = p;
    while (q < e && *q != '\t') ++q;
    out.field[out.count++] = trim(std::string_view(p, static_cast<std::size_t>(q - p)));
    if (q == e) return;
    p = q + 1;
  }
}

inline void split_double_colon(std::string_view line, Fields& out) {
  const char* p = line.data();
  const char* e = p + line.size();
  out.count = 0;
  for (;;) {
    if (out.count == kMaxFields) {
      ++out.count;
      return;
    }
    // A single ':' is part of an id; only "::" separates.
    const char* q = p;
    while (q < e && !(*q == ':' && q + 1 < e && q[1] == ':')) ++q;
    out.field[out.count++] = trim(std::string_view(p, static_cast<std::size_t>(q - p)));
    if (q == e) return;
    p = q + 2;
  }
}

inline void split_whitespace(std::string_view line, Fields& out) {
  const char* p = line.data();
  const char* e = p + line.size();
  out.count = 0;
  while (p < e && is_blank_char(*p)) ++p;
  while (p < e) {
    if (out.count == kMaxFields) {
      ++out.count;
      return;
    }
    const char* s = p;
    while (p < e && !is_blank_char(*p)) ++p;
    out.field[out.count++] = std::string_view(s, static_cast<std::size_t>(p - s));
    while (p < e && is_blank_char(*p)) ++p;
  }
}

// RFC 4180 style, one line at a time: a field may be "quoted", with "" for a
// quote inside; blanks around a field are ignored.
void split_comma(std::string_view line, Fields& out) {
  const char* p = line.data();
  const char* e = p + line.size();
  out.count = 0;
  for (;;) {
    if (out.count == kMaxFields) {
      ++out.count;
      return;
    }
    while (p < e && is_blank_char(*p)) ++p;
    if (p < e && *p == '"') {
      std::string& u = out.unquoted[out.count];
      u.clear();
      ++p;
      for (;;) {
        const char* q = static_cast<const char*>(std::memchr(p, '"', static_cast<std::size_t>(e - p)));
        if (!q) {
          out.error = "a closing quote";
          return;
        }
        u.append(p, q);
        if (q + 1 < e && q[1] == '"') {
          u.push_back('"');
          p = q + 2;
        } else {
          p = q + 1;
          break;
        }
      }
      out.field[out.count++] = u;
      while (p < e && is_blank_char(*p)) ++p;
      if (p == e) return;
      if (*p != ',') {
        out.error = "a comma after a closing quote";
        return;
      }
      ++p;
    } else {
      const char* q = static_cast<const char*>(std::memchr(p, ',', static_cast<std::size_t>(e - p)));
      out.field[out.count++] = trim(std::string_view(p, static_cast<std::size_t>((q ? q : e) - p)));
      if (!q) return;
      p = q + 1;
    }
  }
}

void split(Delimiter d, std::string_view line, Fields& out) {
  out.error = nullptr;
  switch (d) {
    case Delimiter::kTab:
      split_tab(line, out);
      return;
    case Delimiter::kComma:
      split_comma(line, out);
      return;
    case Delimiter::kDoubleColon:
      split_double_colon(line, out);
      return;
    case Delimiter::kWhitespace:
    case Delimiter::kAuto:
      split_whitespace(line, out);
      return;
  }
}

template <typename T>
bool parse_whole(std::string_view s, T& value) {
  const char* e = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), e, value);
  return ec == std::errc() && p == e && !s.empty();
}

// Up to 18 digits cannot overflow an int64, so they need no checks; longer
// numbers go to std::from_chars.
inline bool parse_int64(std::string_view s, std::int64_t& value) {
  const char* p = s.data();
  const char* e = p + s.size();
  bool negative = p < e && *p == '-';
  p += negative;
  if (e - p > 18) return parse_whole(s, value);
  if (p == e) return false;
  std::uint64_t x = 0;
  for (; p < e; ++p) {
    unsigned digit = static_cast<unsigned char>(*p) - unsigned{'0'};
    if (digit > 9) return false;
    x = x * 10 + digit;
  }
  value = negative ? -static_cast<std::int64_t>(x) : static_cast<std::int64_t>(x);
  return true;
}

// Only the canonical decimal form counts as an integer id, so "007" stays a
// string: otherwise "007" and "7" would be one id while integers and two once
// the column switches to strings (and differently on different ranks).
inline bool parse_integer_id(std::string_view s, std::int64_t& value) {
  std::size_t sign = !s.empty() && s.front() == '-';
  if (s.size() > sign && s[sign] == '0' && (s.size() > 1 || sign)) return false;
  return parse_int64(s, value);
}

// Ratings are short decimals ("4", "3.5"). With at most 15 digits the
// mantissa and 10^k are exact doubles, so one IEEE division is correctly
// rounded: the same double std::from_chars gives, which handles the rest.
inline bool parse_short_decimal(std::string_view s, double& value) {
  static constexpr double kPow10[] = {1,   1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                      1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
  const char* p = s.data();
  const char* e = p + s.size();
  if (p == e || e - p > 16) return false;
  bool negative = *p == '-';
  p += negative;
  std::uint64_t mantissa = 0;
  int digits = 0, fraction = -1;
  for (; p < e; ++p) {
    unsigned digit = static_cast<unsigned char>(*p) - unsigned{'0'};
    if (digit <= 9) {
      mantissa = mantissa * 10 + digit;
      ++digits;
      if (fraction >= 0) ++fraction;
    } else if (*p == '.' && fraction < 0) {
      fraction = 0;
    } else {
      return false;
    }
  }
  if (digits == 0 || digits > 15) return false;
  double v = static_cast<double>(mantissa);
  if (fraction > 0) v /= kPow10[fraction];
  value = negative ? -v : v;
  return true;
}

// Finite and within +-kMaxAbsRating (README: accepted ratings): "1e300"
// would silently become inf in the float that stores it, and squares of
// values near 1e26 overflow the exact sums of the metrics.
inline bool parse_rating(std::string_view s, float& value) {
  double d = 0;
  if (!parse_short_decimal(s, d)) {
    if (s.size() > 1 && s.front() == '+') s.remove_prefix(1);
    if (!parse_whole(s, d)) return false;
  }
  value = static_cast<float>(d);
  return std::isfinite(d) && std::fabs(d) <= kMaxAbsRating;
}

bool is_number(std::string_view s) {
  if (s.size() > 1 && s.front() == '+') s.remove_prefix(1);
  double d = 0;
  return parse_whole(s, d);
}

Delimiter detect_delimiter(std::string_view line) {
  if (line.find("::") != std::string_view::npos) return Delimiter::kDoubleColon;
  if (line.find('\t') != std::string_view::npos) return Delimiter::kTab;
  if (line.find(',') != std::string_view::npos) return Delimiter::kComma;
  return Delimiter::kWhitespace;
}

bool looks_like_header(Delimiter d, std::string_view line) {
  Fields f;
  split(d, line, f);
  return f.error == nullptr && f.count >= 3 && !is_number(f.field[2]);
}

// Appends ids to one column, switching it to strings at the first id that is
// not an integer.
class IdAppender {
 public:
  explicit IdAppender(math::IdColumn& column) : column_(column) {}

  void add(std::string_view id) {
    std::int64_t v = 0;
    if (!column_.is_string && parse_integer_id(id, v)) {
      column_.values.push_back(v);
    } else {
      add_string(id);
    }
  }

 private:
  [[gnu::noinline]] void add_string(std::string_view id) {
    if (!column_.is_string) {
      column_.to_string_mode();
      index_.reserve(column_.dictionary.size() * 2);
      for (std::size_t i = 0; i < column_.dictionary.size(); ++i) {
        index_.emplace(column_.dictionary[i], static_cast<std::int64_t>(i));
      }
    }
    key_.assign(id);  // reused, so a lookup of a known id does not allocate
    auto it = index_.find(key_);
    if (it == index_.end()) {
      it = index_.emplace(key_, static_cast<std::int64_t>(column_.dictionary.size())).first;
      column_.dictionary.push_back(key_);
    }
    column_.values.push_back(it->second);
  }

  math::IdColumn& column_;
  std::unordered_map<std::string, std::int64_t> index_;
  std::string key_;
};

// The file offset at which the first non-blank line starts, or -1. Usually
// byte 0, found in the first read.
Offset header_line_start(const File& file) {
  constexpr std::size_t kStep = 4096;
  char buf[kStep];
  Offset line_start = 0;
  for (Offset at = 0; at < file.size();) {
    std::size_t got = file.read_at(buf, kStep, at);
    if (got == 0) break;
    std::size_t i = 0;
    if (at == 0 && got >= kBom.size() && std::string_view(buf, kBom.size()) == kBom) i = kBom.size();
    for (; i < got; ++i) {
      char c = buf[i];
      if (c == '\n') {
        line_start = at + static_cast<Offset>(i) + 1;
      } else if (c != '\r' && !is_blank_char(c)) {
        return line_start;
      }
    }
    at += static_cast<Offset>(got);
  }
  return -1;
}

class RangeParser {
 public:
  RangeParser(Delimiter delimiter, const ReaderOptions& options, ParsedRatings& out)
      : delimiter_(delimiter), options_(options), out_(out), users_(out.users), items_(out.items) {}

  // An invalid line is counted under skip_invalid, else recorded as out_.error.
  void parse(const Line& line, Offset line_in_range) {
    std::string_view text = line.text;
    if (line.start == 0 && text.substr(0, kBom.size()) == kBom) text.remove_prefix(kBom.size());
    text = strip_cr(text);
    if (line.too_long) return fail(line_in_range, expected("a line shorter than 64 MiB", text));
    if (is_blank(text)) return;
    split(delimiter_, text, fields_);
    if (fields_.error) return fail(line_in_range, expected(fields_.error, text));
    if (fields_.count < 3 || fields_.count > kMaxFields) {
      return fail(line_in_range, expected("3 or 4 fields (user, item, rating[, timestamp])", text));
    }
    if (fields_.field[0].empty())
      return fail(line_in_range, expected("a non-empty id in the user column", text));
    if (fields_.field[1].empty())
      return fail(line_in_range, expected("a non-empty id in the item column", text));
    float rating = 0;
    if (!parse_rating(fields_.field[2], rating)) {
      return fail(line_in_range, expected(kRatingExpected, fields_.field[2]));
    }
    std::int64_t timestamp = 0;
    if (fields_.count == 4 && !parse_int64(fields_.field[3], timestamp)) {
      return fail(line_in_range, expected("an integer in the timestamp column", fields_.field[3]));
    }
    // Ids last: a line rejected above must not switch a column to strings.
    users_.add(fields_.field[0]);
    items_.add(fields_.field[1]);
    out_.ratings.push_back(rating);
    out_.timestamps.push_back(timestamp);
    if (options_.keep_positions) out_.positions.push_back(line.start);
  }

  bool stopped() const { return out_.error.has_value(); }

  void reserve(std::size_t n) {
    out_.users.values.reserve(n);
    out_.items.values.reserve(n);
    out_.ratings.reserve(n);
    out_.timestamps.reserve(n);
    if (options_.keep_positions) out_.positions.reserve(n);
  }

 private:
  void fail(Offset line_in_range, std::string message) {
    if (options_.skip_invalid) {
      ++out_.skipped;
    } else {
      out_.error = LineError{line_in_range, std::move(message)};
    }
  }

  Delimiter delimiter_;
  const ReaderOptions& options_;
  ParsedRatings& out_;
  IdAppender users_;
  IdAppender items_;
  Fields fields_;
};

}  // namespace

Delimiter parse_delimiter(const std::string& text) {
  if (text == "auto") return Delimiter::kAuto;
  if (text == "tab") return Delimiter::kTab;
  if (text == "comma" || text == "csv") return Delimiter::kComma;
  if (text == "dcolon" || text == "::") return Delimiter::kDoubleColon;
  if (text == "space" || text == "whitespace") return Delimiter::kWhitespace;
  throw InputError("--format: " + expected("auto, tab, comma, csv, dcolon, ::, space or whitespace", text));
}

const char* delimiter_name(Delimiter d) {
  switch (d) {
    case Delimiter::kAuto:
      return "auto";
    case Delimiter::kTab:
      return "tab";
    case Delimiter::kComma:
      return "comma";
    case Delimiter::kDoubleColon:
      return "dcolon";
    case Delimiter::kWhitespace:
      return "whitespace";
  }
  return "?";
}

FileLayout detect_layout(const std::string& path, const ReaderOptions& options) {
  File file(path);
  FileLayout layout;
  layout.size = file.size();
  layout.delimiter = options.delimiter == Delimiter::kAuto ? Delimiter::kTab : options.delimiter;
  layout.header = options.header.value_or(false);

  std::string head(kDetectBytes, '\0');
  head.resize(file.read_fully(head.data(), head.size(), 0));
  std::string_view rest(head);
  if (rest.substr(0, kBom.size()) == kBom) rest.remove_prefix(kBom.size());
  std::array<std::string_view, 2> lines;  // the first two non-blank lines
  std::size_t found = 0;
  while (!rest.empty() && found < lines.size()) {
    std::size_t nl = rest.find('\n');
    std::string_view line = strip_cr(rest.substr(0, nl));
    rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
    if (!is_blank(line)) lines[found++] = line;
  }
  if (found == 0) return layout;

  Delimiter first = options.delimiter == Delimiter::kAuto ? detect_delimiter(lines[0]) : options.delimiter;
  layout.header = options.header.has_value() ? *options.header : looks_like_header(first, lines[0]);
  layout.delimiter = first;
  // The delimiter is a property of the data, which a header need not share.
  if (options.delimiter == Delimiter::kAuto && layout.header && found > 1) {
    layout.delimiter = detect_delimiter(lines[1]);
  }
  return layout;
}

ParsedRatings read_ratings_range(const std::string& path, const FileLayout& layout, Offset begin, Offset end,
                                 const ReaderOptions& options) {
  return read_ratings_range(path, layout, begin, end, options, kChunkBytes);
}

ParsedRatings read_ratings_range(const std::string& path, const FileLayout& layout, Offset begin, Offset end,
                                 const ReaderOptions& options, std::size_t chunk_bytes) {
  ParsedRatings out;
  Delimiter delimiter = layout.delimiter;
  if (delimiter == Delimiter::kAuto) {
    delimiter =
        options.delimiter != Delimiter::kAuto ? options.delimiter : detect_layout(path, options).delimiter;
  }
  File file(path);
  end = std::min(end, file.size());
  begin = std::max<Offset>(begin, 0);
  if (begin >= end) return out;
  Offset header_start = layout.header ? header_line_start(file) : -1;

  // Starting one byte early, the first "line" is either empty (byte begin-1 is
  // '\n', so a line starts at begin) or the tail of a line that belongs to the
  // previous range.
  LineReader reader(file, begin > 0 ? begin - 1 : 0, end, std::max<std::size_t>(chunk_bytes, 1),
                    kMaxLineBytes);
  Line line;
  if (begin > 0 && !reader.next(line)) return out;

  RangeParser parser(delimiter, options, out);
  bool reserved = false;
  Offset first_start = reader.position();
  while (reader.position() < end && reader.next(line)) {
    ++out.lines;
    if (line.start == header_start) continue;
    parser.parse(line, out.lines);
    if (parser.stopped()) break;
    // Estimate the count from the first lines rather than growing five vectors by doubling.
    if (!reserved && out.lines == 1024) {
      reserved = true;
      Offset bytes = reader.position() - first_start;
      parser.reserve(static_cast<std::size_t>((end - begin) * 1.05 * 1024 / static_cast<double>(bytes)) + 16);
    }
  }
  // The caller numbers lines globally from every rank's count, so keep counting.
  while (reader.position() < end && reader.next(line)) ++out.lines;
  return out;
}

std::pair<Offset, Offset> byte_range(Offset size, int rank, int ranks) {
  if (ranks <= 0 || rank < 0 || rank >= ranks) throw std::invalid_argument("byte_range: rank out of range");
  // size * rank / ranks without the overflow of forming size * rank.
  auto split = [&](Offset r) { return (size / ranks) * r + (size % ranks) * r / ranks; };
  return {split(rank), split(rank + 1)};
}

}  // namespace hpcrec::io
