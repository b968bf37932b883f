// hpcrec generate: writes a synthetic ratings dataset (src/synthetic.hpp) as
// MovieLens u.data-style lines "user\titem\trating\ttimestamp\n", 1-based ids,
// no header. Rank 0 generates and writes, streaming (the ratings are never all
// in memory); the other ranks only take part in the failure agreements.
//
// --counts writes implicit counts (positive integers with a heavy tail, like
// play counts) in place of the 1..5 ratings: which items a user has follows
// the planted preferences, and the counts are the planted affinity times
// heavy-tailed noise and per-item replay factors (src/synthetic.hpp), so
// that log confidence (train --confidence log) does better than linear.
//
// --item-embeddings-out FILE.h5 also writes item embeddings in the format of
// io/item_embeddings.hpp, with the ratings file's item ids (1..items): row i
// is item i's planted factor vector y_i (src/synthetic.hpp), plus, with
// --item-embeddings-noise F, Gaussian noise of F times the planted
// components' standard deviation (F = 1: as much noise as signal). So the
// content model (--algo content) can be tested against a known truth: its
// cosine scores follow the planted preferences x_u . y_i, up to biases, the
// noise and the normalisation.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "app/commands.hpp"
#include "app/options.hpp"
#include "io/atomic_file.hpp"
#include "io/item_embeddings.hpp"
#include "mpi/failure.hpp"
#include "src/rng.hpp"
#include "src/synthetic.hpp"

namespace hpcrec::app {

namespace {

// Formats lines into a large buffer and writes it in MiB-sized blocks: stdio
// per line (fprintf) would cap the rate at a few MB/s.
class TsvWriter {
 public:
  explicit TsvWriter(const std::string& path) : path_(path), buf_(kBlock + kMaxLine) {
    file_ = std::fopen(path.c_str(), "wb");
    if (!file_) throw InputError(path + ": cannot create: " + std::strerror(errno));
  }
  ~TsvWriter() {
    if (file_) std::fclose(file_);
  }
  TsvWriter(const TsvWriter&) = delete;
  TsvWriter& operator=(const TsvWriter&) = delete;

  void write(std::span<const math::SyntheticRating> ratings) {
    for (const auto& r : ratings) {
      char* p = buf_.data() + used_;
      p = std::to_chars(p, p + 16, static_cast<long long>(r.user) + 1).ptr;
      *p++ = '\t';
      p = std::to_chars(p, p + 16, static_cast<long long>(r.item) + 1).ptr;
      *p++ = '\t';
      p = std::to_chars(p, p + 11, r.value).ptr;
      *p++ = '\t';
      p = std::to_chars(p, p + 24, r.timestamp).ptr;
      *p++ = '\n';
      used_ = static_cast<std::size_t>(p - buf_.data());
      if (used_ >= kBlock) flush();
    }
  }

  // Flushes and closes; throws if any byte did not reach the file.
  void close() {
    flush();
    std::FILE* f = file_;
    file_ = nullptr;
    if (std::fclose(f) != 0) throw std::runtime_error(path_ + ": close failed: " + std::strerror(errno));
  }

  std::uint64_t bytes() const { return bytes_; }

 private:
  static constexpr std::size_t kBlock = std::size_t{4} << 20;
  static constexpr std::size_t kMaxLine = 128;  // 11 + 11 + 10 + 20 + separators, with room

  void flush() {
    if (used_ == 0) return;
    if (std::fwrite(buf_.data(), 1, used_, file_) != used_) {
      throw std::runtime_error(path_ + ": write failed: " + std::strerror(errno));
    }
    bytes_ += used_;
    used_ = 0;
  }

  std::string path_;
  std::FILE* file_ = nullptr;
  std::vector<char> buf_;
  std::size_t used_ = 0;
  std::uint64_t bytes_ = 0;
};

// The planted item factors, with noise of `noise` times their component
// standard deviation, and the ids the ratings file gives the items.
void write_planted_embeddings(const math::SyntheticGenerator& gen, double noise, const std::string& path) {
  const math::SyntheticConfig& c = gen.config();
  // sigma^2 = signal_std / sqrt(k), as the generator draws y_i (src/synthetic.hpp).
  const double sigma = std::sqrt(c.signal_std / std::sqrt(static_cast<double>(c.rank)));
  // A stream of its own: the ratings do not depend on whether or how noisily
  // the embeddings are written.
  constexpr std::uint64_t kEmbeddingNoise = 0x656d62;  // "emb"
  const auto stream = static_cast<std::uint64_t>(math::RngStream::kSynthetic);
  math::CounterRng rng(math::hash64(c.seed, stream, kEmbeddingNoise), stream);
  math::Matrix vectors(c.items, c.rank);
  std::vector<std::int64_t> ids(static_cast<std::size_t>(c.items));
  for (math::Index i = 0; i < c.items; ++i) {
    ids[static_cast<std::size_t>(i)] = static_cast<std::int64_t>(i) + 1;  // as TsvWriter writes items
    const auto y = gen.item_factors(i);
    for (int j = 0; j < c.rank; ++j) {
      vectors(i, j) = y[static_cast<std::size_t>(j)];
      if (noise > 0) vectors(i, j) += noise * sigma * rng.next_normal();
    }
  }
  io::write_item_embeddings(path, ids, vectors);
}

// Boost.Program_options reads "--users -1" as option "--users" followed by an
// unknown option "-1", which hides the real mistake; joining a negative number
// to its option ("--users=-1") lets the range check name the option instead.
Args join_negative_values(const Args& args) {
  Args out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.rfind("--", 0) == 0 && a.find('=') == std::string::npos && i + 1 < args.size()) {
      const std::string& v = args[i + 1];
      if (v.size() > 1 && v[0] == '-' && (std::isdigit(static_cast<unsigned char>(v[1])) || v[1] == '.')) {
        out.push_back(a + "=" + v);
        ++i;
        continue;
      }
    }
    out.push_back(a);
  }
  return out;
}

}  // namespace

int run_generate(const Args& args, const dist::Communicator& comm) {
  po::options_description desc("generate options");
  math::SyntheticConfig defaults;
  desc.add_options()                                                                                        //
      ("out", po::value<std::string>()->required(), "output file (tab-separated, MovieLens u.data style)")  //
      ("users", po::value<long long>()->default_value(defaults.users), "number of users")                   //
      ("items", po::value<long long>()->default_value(defaults.items), "number of items")                   //
      ("ratings", po::value<long long>()->default_value(defaults.ratings),
       "number of ratings (<= users * items)")                                                            //
      ("rank", po::value<int>()->default_value(defaults.rank), "rank of the planted model")               //
      ("noise", po::value<double>()->default_value(defaults.noise), "std of the Gaussian rating noise")   //
      ("seed", po::value<unsigned long long>()->default_value(42), "random seed (same seed, same file)")  //
      ("counts", po::bool_switch(),
       "implicit counts (positive integers, heavy-tailed, e.g. play counts) in place of 1..5 ratings")  //
      ("item-embeddings-out", po::value<std::string>(),
       "also write item embeddings (HDF5 /items/ids, /items/embeddings [items, rank]): the planted item "
       "factors, for --algo content")  //
      ("item-embeddings-noise", po::value<double>()->default_value(0.0),
       "Gaussian noise added to those embeddings, in units of the planted components' std");

  po::variables_map vm;
  bool run = true;
  math::SyntheticConfig config;
  std::string out, embeddings_out;
  double embeddings_noise = 0;
  dist::collective_phase(comm, [&] {
    run = parse_options(
        "generate",
        "Write a synthetic explicit-ratings (or, with --counts, implicit-counts) dataset from a "
        "planted low-rank model.",
        desc, join_negative_values(args), vm, comm.rank() == 0);
    if (!run) return;
    for (const char* name : {"users", "items", "ratings", "rank"}) require_positive(vm, name);
    require_non_negative(vm, "noise");
    require_non_negative(vm, "item-embeddings-noise");
    if (vm.count("item-embeddings-out")) {
      embeddings_out = vm["item-embeddings-out"].as<std::string>();
      if (embeddings_out.empty()) throw InputError("--item-embeddings-out must name a file");
    } else if (!vm["item-embeddings-noise"].defaulted()) {
      throw InputError("--item-embeddings-noise needs --item-embeddings-out");
    }
    embeddings_noise = vm["item-embeddings-noise"].as<double>();
    out = vm["out"].as<std::string>();
    if (embeddings_out == out) throw InputError("--item-embeddings-out must differ from --out");
    constexpr long long kMaxIndex = std::numeric_limits<math::Index>::max();
    for (const char* name : {"users", "items"}) {
      if (vm[name].as<long long>() > kMaxIndex) {
        throw InputError(std::string("--") + name + " must be at most " + std::to_string(kMaxIndex));
      }
    }
    config.users = static_cast<math::Index>(vm["users"].as<long long>());
    config.items = static_cast<math::Index>(vm["items"].as<long long>());
    config.ratings = vm["ratings"].as<long long>();
    const long long cells = static_cast<long long>(config.users) * config.items;
    if (config.ratings > cells) {
      throw InputError("--ratings must be at most --users * --items = " + std::to_string(cells));
    }
    config.rank = vm["rank"].as<int>();
    config.noise = vm["noise"].as<double>();
    config.seed = vm["seed"].as<unsigned long long>();
    config.counts = vm["counts"].as<bool>();
  });
  if (!run) return kExitOk;

  dist::collective_phase(comm, [&] {
    if (comm.rank() != 0) return;
    const auto start = std::chrono::steady_clock::now();
    try {
      const math::SyntheticGenerator gen(config);
      TsvWriter writer(io::tmp_path(out));
      gen.generate([&](std::span<const math::SyntheticRating> chunk) { writer.write(chunk); });
      writer.close();
      // Before the ratings get their final name, so that a failed embeddings
      // write leaves no ratings file either.
      if (!embeddings_out.empty()) write_planted_embeddings(gen, embeddings_noise, embeddings_out);
      io::commit_tmp(out);
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::printf("hpcrec generate: %lld %s, %d users, %d items -> %s (%llu bytes, %.2f s, %.0f MB/s)\n",
                  static_cast<long long>(config.ratings), config.counts ? "counts" : "ratings", config.users,
                  config.items, out.c_str(), static_cast<unsigned long long>(writer.bytes()), seconds,
                  static_cast<double>(writer.bytes()) / 1e6 / std::max(seconds, 1e-9));
      if (!embeddings_out.empty()) {
        std::printf("hpcrec generate: item embeddings %d x %d (planted factors, noise %g) -> %s\n",
                    config.items, config.rank, embeddings_noise, embeddings_out.c_str());
      }
      std::fflush(stdout);
    } catch (...) {
      io::discard_tmp(out);
      throw;
    }
  });
  return kExitOk;
}

}  // namespace hpcrec::app
