// Counter-based random numbers: a value is a pure function of (seed, stream,
// counter), so any rank can draw "the random numbers of global row 1234"
// without having drawn those of the rows before it. This is what makes
// initial factors identical for any number of ranks and threads.
#pragma once

#include <cstdint>
#include <span>

namespace hpcrec::math {

// Streams keep the draws of different purposes independent.
enum class RngStream : std::uint64_t {
  kUserFactors = 1,
  kItemFactors = 2,
  kSplit = 3,
  kSynthetic = 4,
  kTune = 5,  // hpcrec tune's trial settings
};

// A 64-bit hash of (seed, stream, counter) with full avalanche (splitmix64
// finaliser applied to a Weyl sequence of the three words).
std::uint64_t hash64(std::uint64_t seed, std::uint64_t stream, std::uint64_t counter);

// Uniform in [0, 1) with 53 random bits.
double uniform01(std::uint64_t seed, std::uint64_t stream, std::uint64_t counter);

// Standard normal (Box-Muller on two uniforms drawn at counters 2c and 2c+1).
double standard_normal(std::uint64_t seed, std::uint64_t stream, std::uint64_t counter);

// Fills `row` with N(0, scale^2) draws for global row `row_id` of the factor
// matrix of `stream`: element j uses counter row_id * 2^20 + j (factors < 2^20).
void init_factor_row(std::uint64_t seed, RngStream stream, std::uint64_t row_id, std::span<double> row,
                     double scale);

// The values of one (seed, stream) pair by counter, its key derived once:
// at(c) == hash64(seed, stream, c) and normal(c) == standard_normal(seed,
// stream, c), bit for bit, at a third of the hashing (bpmf draws a normal
// per factor of every row, every sample).
class CounterStream {
 public:
  CounterStream(std::uint64_t seed, std::uint64_t stream);
  std::uint64_t at(std::uint64_t counter) const;
  double normal(std::uint64_t counter) const;

 private:
  std::uint64_t key_;
};

// A small sequential generator for code that draws many numbers in order
// (the synthetic data generator): hash64(seed, stream, counter++).
class CounterRng {
 public:
  CounterRng(std::uint64_t seed, std::uint64_t stream) : seed_(seed), stream_(stream) {}
  std::uint64_t next_u64() { return hash64(seed_, stream_, counter_++); }
  double next_uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
  double next_normal();

 private:
  std::uint64_t seed_, stream_, counter_ = 0;
};

}  // namespace hpcrec::math
