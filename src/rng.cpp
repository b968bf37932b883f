#include "src/rng.hpp"

#include <cmath>
#include <numbers>

namespace hpcrec::math {

namespace {

constexpr std::uint64_t kGolden = 0x9e3779b97f4a7c15ULL;  // splitmix64's Weyl increment

// splitmix64's finaliser: every input bit flips each output bit with
// probability ~1/2, so neighbouring counters give unrelated outputs.
constexpr std::uint64_t mix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

double to_unit(std::uint64_t bits) { return static_cast<double>(bits >> 11) * 0x1.0p-53; }

// Box-Muller's cosine branch. 1 - u1 lies in (0, 1], so the log is finite.
double box_muller(double u1, double u2) {
  return std::sqrt(-2.0 * std::log(1.0 - u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

}  // namespace

// The (seed, stream) pair is first hashed into a key, so streams of nearby
// seeds are not shifted copies of each other; the counter then walks a Weyl
// sequence from that key, as splitmix64 does.
std::uint64_t stream_key(std::uint64_t seed, std::uint64_t stream) {
  return mix64(mix64(seed + kGolden) ^ (stream * 0xd1b54a32d192ed03ULL));
}

std::uint64_t hash64(std::uint64_t seed, std::uint64_t stream, std::uint64_t counter) {
  return mix64(stream_key(seed, stream) + (counter + 1) * kGolden);
}

CounterStream::CounterStream(std::uint64_t seed, std::uint64_t stream) : key_(stream_key(seed, stream)) {}

std::uint64_t CounterStream::at(std::uint64_t counter) const { return mix64(key_ + (counter + 1) * kGolden); }

double CounterStream::normal(std::uint64_t counter) const {
  return box_muller(to_unit(at(2 * counter)), to_unit(at(2 * counter + 1)));
}

double uniform01(std::uint64_t seed, std::uint64_t stream, std::uint64_t counter) {
  return to_unit(hash64(seed, stream, counter));
}

double standard_normal(std::uint64_t seed, std::uint64_t stream, std::uint64_t counter) {
  return box_muller(uniform01(seed, stream, 2 * counter), uniform01(seed, stream, 2 * counter + 1));
}

void init_factor_row(std::uint64_t seed, RngStream stream, std::uint64_t row_id, std::span<double> row,
                     double scale) {
  const auto s = static_cast<std::uint64_t>(stream);
  const std::uint64_t base = row_id << 20;
  for (std::size_t j = 0; j < row.size(); ++j) {
    row[j] = scale * standard_normal(seed, s, base + j);
  }
}

double CounterRng::next_normal() {
  const double u1 = next_uniform();
  const double u2 = next_uniform();
  return box_muller(u1, u2);
}

}  // namespace hpcrec::math
