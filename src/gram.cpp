#include "src/gram.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "src/exact_limbs.hpp"

namespace hpcrec::math {

namespace {

// Entries are held as ExactSums of x 2^16: a 2^-56 (1.4e-17) absolute
// resolution, enough for the small off-diagonal entries of factors
// initialised near 0.01, while terms up to 2^70 (1.2e21) still fit.
constexpr int kScaleBits = 16;

__extension__ using Int128 = __int128;
__extension__ using UInt128 = unsigned __int128;

// Adds x 2^16 to acc rounded exactly as ExactSum::add rounds it (to the
// nearest multiple of 2^-40, ties to even), without a call per term: x 2^56
// is exact (a power-of-two scaling), and the common |x 2^56| < 2^62 is one
// 64-bit add. Wider, infinite or NaN terms take ExactSum::add itself, with
// its exact path and its exceptions.
inline void add_rounded(Int128& acc, double x) {
  static_assert(kScaleBits + ExactSum::kFractionBits == 56);
  const double scaled = std::nearbyint(x * 0x1p56);
  if (std::fabs(scaled) < 0x1.0p62) {  // false for NaN
    acc += static_cast<std::int64_t>(scaled);
    return;
  }
  ExactSum wide;
  wide.add(std::ldexp(x, kScaleBits));
  acc += static_cast<Int128>((static_cast<UInt128>(static_cast<std::uint64_t>(wide.high_word())) << 64) |
                             wide.low_word());
}

std::size_t packed_size(int k) { return static_cast<std::size_t>(k) * (k + 1) / 2; }

// Start of column b of the packed lower triangle.
std::size_t column_start(int k, int b) {
  return static_cast<std::size_t>(b) * k - static_cast<std::size_t>(b) * (b - 1) / 2;
}

// acc (packed lower triangle) = sum over the n rows of x, in row order, of
// x_r x_r^T. The innermost loop runs over contiguous a's of one row and one
// column of acc: element-wise, so vectorising it does not change any sum,
// and each entry's value depends only on the chunk's rows.
void chunk_gram(const Eigen::Ref<const Matrix>& x, Eigen::Index r0, Eigen::Index n, int k, double* acc) {
  std::fill_n(acc, packed_size(k), 0.0);
  for (Eigen::Index r = r0; r < r0 + n; ++r) {
    const double* row = x.row(r).data();
    for (int b = 0; b < k; ++b) {
      const double xb = row[b];
      double* col = acc + column_start(k, b) - b;  // col[a] is entry (a, b)
      for (int a = b; a < k; ++a) col[a] += row[a] * xb;
    }
  }
}

}  // namespace

ExactGram::ExactGram(int k) : k_(k), sums_(packed_size(std::max(k, 0))) {
  if (k < 0) throw std::invalid_argument("ExactGram: negative dimension");
}

void ExactGram::add(int a, int b, double x) {
  if (b < 0 || a < b || a >= k_) throw std::out_of_range("ExactGram::add: not a lower-triangle entry");
  sums_[column_start(k_, b) + (a - b)].add(std::ldexp(x, kScaleBits));
}

void ExactGram::add_packed(std::span<const double> packed) {
  if (packed.size() != sums_.size()) throw std::invalid_argument("ExactGram::add_packed: wrong entry count");
  for (std::size_t e = 0; e < sums_.size(); ++e) sums_[e].add(std::ldexp(packed[e], kScaleBits));
}

void ExactGram::merge(const ExactGram& other) {
  if (other.k_ != k_) throw std::invalid_argument("ExactGram::merge: dimensions differ");
  for (std::size_t e = 0; e < sums_.size(); ++e) sums_[e].merge(other.sums_[e]);
}

ColMatrix ExactGram::value() const {
  ColMatrix g(k_, k_);
  std::size_t e = 0;
  for (int b = 0; b < k_; ++b) {
    for (int a = b; a < k_; ++a, ++e) {
      g(a, b) = std::ldexp(sums_[e].value(), -kScaleBits);
      g(b, a) = g(a, b);
    }
  }
  return g;
}

std::vector<std::uint64_t> ExactGram::to_words() const {
  std::vector<std::uint64_t> words;
  words.reserve(2 * sums_.size());
  for (const ExactSum& s : sums_) {
    words.push_back(s.low_word());
    words.push_back(static_cast<std::uint64_t>(s.high_word()));
  }
  return words;
}

ExactGram ExactGram::from_words(int k, std::span<const std::uint64_t> words) {
  ExactGram g(k);
  if (words.size() != 2 * g.sums_.size())
    throw std::invalid_argument("ExactGram::from_words: wrong word count");
  for (std::size_t e = 0; e < g.sums_.size(); ++e) {
    g.sums_[e] = ExactSum::from_words(words[2 * e], static_cast<std::int64_t>(words[2 * e + 1]));
  }
  return g;
}

std::vector<std::int64_t> ExactGram::to_limbs() const {
  std::vector<std::int64_t> limbs(kExactLimbs * sums_.size());
  for (std::size_t e = 0; e < sums_.size(); ++e) {
    exact_sum_to_limbs<std::int64_t>(sums_[e], std::span(limbs).subspan(kExactLimbs * e, kExactLimbs));
  }
  return limbs;
}

ExactGram ExactGram::from_limbs(int k, std::span<const std::int64_t> limbs) {
  ExactGram g(k);
  if (limbs.size() != kExactLimbs * g.sums_.size()) {
    throw std::invalid_argument("ExactGram::from_limbs: wrong limb count");
  }
  for (std::size_t e = 0; e < g.sums_.size(); ++e) {
    g.sums_[e] = exact_sum_from_limbs<std::int64_t>(limbs.subspan(kExactLimbs * e, kExactLimbs));
  }
  return g;
}

void add_gram_chunks(const Eigen::Ref<const Matrix>& rows, Index first_row, ExactGram& out) {
  const int k = static_cast<int>(rows.cols());
  if (out.dim() != k)
    throw std::invalid_argument("add_gram_chunks: Gram dimension differs from the factors'");
  if (rows.rows() == 0) return;  // e.g. an empty last block, which may start at the unaligned end
  if (first_row < 0 || first_row % kGramChunk != 0) {
    throw std::invalid_argument("add_gram_chunks: first_row is not a multiple of 16");
  }
  // The chunks' rounded entries are summed in integers here and merged into
  // `out` once: integer addition (mod 2^128, like ExactSum's) is
  // associative, so this is bitwise what adding each chunk with
  // add_packed() would give. Chunks whose entries are all below 2^6 (so
  // rounded below 2^62: ExactSum's one-word case) go into int64 partial
  // sums, flushed into the 128-bit ones before `bound`, an upper bound of
  // every partial sum's magnitude, could pass 2^62.
  const std::size_t entries = packed_size(k);
  std::vector<double> acc(entries);
  std::vector<Int128> sums(entries, 0);
  std::vector<std::int64_t> partial(entries, 0);
  double bound = 0.0;
  const auto flush = [&] {
    for (std::size_t e = 0; e < entries; ++e) sums[e] += partial[e];
    std::fill(partial.begin(), partial.end(), 0);
    bound = 0.0;
  };
  for (Eigen::Index r0 = 0; r0 < rows.rows(); r0 += kGramChunk) {
    const Eigen::Index n = std::min<Eigen::Index>(kGramChunk, rows.rows() - r0);
    chunk_gram(rows, r0, n, k, acc.data());
    bool small = true;  // false also for NaN
    double largest = 0.0;
    for (std::size_t e = 0; e < entries; ++e) {
      const double a = std::fabs(acc[e]);
      small &= a < 0x1p6;
      largest = std::max(largest, a);
    }
    if (!small) {
      flush();
      for (std::size_t e = 0; e < entries; ++e) add_rounded(sums[e], acc[e]);
      continue;
    }
    const double largest_rounded = largest * 0x1p56 + 1.0;
    if (bound + largest_rounded >= 0x1p62) flush();
    bound += largest_rounded;
    for (std::size_t e = 0; e < entries; ++e)
      partial[e] += static_cast<std::int64_t>(std::nearbyint(acc[e] * 0x1p56));
  }
  flush();
  ExactGram block(k);
  for (std::size_t e = 0; e < sums.size(); ++e) {
    const auto bits = static_cast<UInt128>(sums[e]);
    block.sums_[e] = ExactSum::from_words(static_cast<std::uint64_t>(bits),
                                          static_cast<std::int64_t>(static_cast<std::uint64_t>(bits >> 64)));
  }
  out.merge(block);
}

}  // namespace hpcrec::math
