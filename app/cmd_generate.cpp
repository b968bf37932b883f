// hpcrec generate: writes a synthetic ratings dataset (src/synthetic.hpp) as
// MovieLens u.data-style lines "user\titem\trating\ttimestamp\n", 1-based ids,
// no header. Rank 0 generates and writes, streaming (the ratings are never all
// in memory); the other ranks only take part in the failure agreements.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
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
#include "mpi/failure.hpp"
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
      *p++ = static_cast<char>('0' + r.value);
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
  static constexpr std::size_t kMaxLine = 128;  // 11 + 11 + 2 + 20 + separators, with room

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
       "number of ratings (<= users * items)")                                                           //
      ("rank", po::value<int>()->default_value(defaults.rank), "rank of the planted model")              //
      ("noise", po::value<double>()->default_value(defaults.noise), "std of the Gaussian rating noise")  //
      ("seed", po::value<unsigned long long>()->default_value(42), "random seed (same seed, same file)");

  po::variables_map vm;
  bool run = true;
  math::SyntheticConfig config;
  std::string out;
  dist::collective_phase(comm, [&] {
    run =
        parse_options("generate", "Write a synthetic explicit-ratings dataset from a planted low-rank model.",
                      desc, join_negative_values(args), vm, comm.rank() == 0);
    if (!run) return;
    for (const char* name : {"users", "items", "ratings", "rank"}) require_positive(vm, name);
    require_non_negative(vm, "noise");
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
    out = vm["out"].as<std::string>();
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
      io::commit_tmp(out);
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::printf("hpcrec generate: %lld ratings, %d users, %d items -> %s (%llu bytes, %.2f s, %.0f MB/s)\n",
                  static_cast<long long>(config.ratings), config.users, config.items, out.c_str(),
                  static_cast<unsigned long long>(writer.bytes()), seconds,
                  static_cast<double>(writer.bytes()) / 1e6 / std::max(seconds, 1e-9));
      std::fflush(stdout);
    } catch (...) {
      io::discard_tmp(out);
      throw;
    }
  });
  return kExitOk;
}

}  // namespace hpcrec::app
