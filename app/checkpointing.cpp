#include "app/checkpointing.hpp"

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "mpi/failure.hpp"
#include "mpi/signals.hpp"
#include "src/errors.hpp"

namespace hpcrec::app {

namespace fs = std::filesystem;

void add_checkpoint_options(po::options_description& desc, CheckpointOptions& o) {
  desc.add_options()("checkpoint-dir", po::value(&o.dir),
                     "write checkpoints (ckpt-NNNNNN.h5) here; SIGTERM, SIGUSR1 or SIGINT "
                     "then checkpoint and exit with status 3")(
      "checkpoint-every", po::value(&o.every)->default_value(0),
      "checkpoint every N iterations (0: only when stopped by a signal)")(
      "keep", po::value(&o.keep)->default_value(2), "keep the newest K checkpoints (0: all)")(
      "resume", po::value(&o.resume),
      "auto: continue from the newest complete checkpoint in --checkpoint-dir (or start fresh); or a "
      "checkpoint file")("resume-force", po::bool_switch(&o.force),
                         "resume even if hyper-parameters differ (this run's values win)");
}

void validate_checkpoint_options(const CheckpointOptions& o) {
  if (o.every < 0) throw InputError("--checkpoint-every must be >= 0, got " + std::to_string(o.every));
  if (o.keep < 0) throw InputError("--keep must be >= 0, got " + std::to_string(o.keep));
  if (o.every > 0 && o.dir.empty()) throw InputError("--checkpoint-every needs --checkpoint-dir");
  if (o.resume == "auto" && o.dir.empty()) throw InputError("--resume auto needs --checkpoint-dir");
  if (o.force && o.resume.empty()) throw InputError("--resume-force needs --resume");
  // A named checkpoint must exist before any data is read (bad input, exit 2).
  if (!o.resume.empty() && o.resume != "auto") {
    std::error_code ec;
    if (!fs::is_regular_file(o.resume, ec))
      throw InputError("--resume " + o.resume + ": " +
                       (fs::exists(o.resume, ec) ? "not a regular file" : "no such checkpoint file"));
  }
}

Checkpointing::Checkpointing(const dist::Communicator& comm, CheckpointOptions options, io::Attributes hyper,
                             const math::IdMap& user_ids, const math::IdMap& item_ids, math::Offset ratings,
                             double global_mean)
    : comm_(comm),
      o_(std::move(options)),
      hyper_(std::move(hyper)),
      user_ids_(user_ids),
      item_ids_(item_ids) {
  data_.users = user_ids.size();
  data_.items = item_ids.size();
  data_.ratings = ratings;
  data_.global_mean = global_mean;
  if (o_.dir.empty()) return;
  dist::collective_phase(comm_, [&] {
    if (comm_.rank() != 0) return;
    std::error_code ec;
    fs::create_directories(o_.dir, ec);
    if (ec || !fs::is_directory(o_.dir, ec)) {
      throw InputError("--checkpoint-dir " + o_.dir + ": cannot create the directory: " +
                       (ec ? ec.message() : std::string("not a directory")));
    }
    if (::access(o_.dir.c_str(), W_OK | X_OK) != 0) {
      throw InputError("--checkpoint-dir " + o_.dir + ": not writable: " + std::strerror(errno));
    }
  });
  dist::collective_phase(comm_, [] { dist::install_stop_handlers(); });
}

void Checkpointing::complete_data(const dist::AlsSide& users) {
  if (have_ratings_hash_) return;
  data_.user_ids_hash = io::hash_ids(comm_, user_ids_);
  data_.item_ids_hash = io::hash_ids(comm_, item_ids_);
  static const std::vector<math::Index> none;
  data_.ratings_hash = comm_.allreduce<std::uint64_t>(
      io::hash_ratings(users.ratings, users.planned ? users.plan.needed() : none), MPI_SUM);
  have_ratings_hash_ = true;
}

std::optional<io::LoadedCheckpoint> Checkpointing::load(const dist::AlsSide& users,
                                                        const dist::AlsSide& items) {
  if (o_.resume.empty()) return std::nullopt;
  const bool root = comm_.rank() == 0;
  complete_data(users);
  const bool automatic = o_.resume == "auto";
  // Rank 0 lists, so that every rank tries the same files in the same order.
  std::string listing;
  if (root) {
    std::vector<std::string> files =
        automatic ? io::list_checkpoints(o_.dir) : std::vector<std::string>{o_.resume};
    for (const auto& f : files) listing += f + '\n';
  }
  comm_.broadcast_string(listing, 0);
  std::vector<std::string> candidates;
  std::istringstream lines(listing);
  for (std::string line; std::getline(lines, line);) candidates.push_back(line);

  std::optional<io::LoadedCheckpoint> loaded;
  for (std::size_t i = 0; i < candidates.size() && !loaded; ++i) {
    try {
      loaded =
          io::read_checkpoint(comm_, candidates[i], users.first(), users.rows(), items.first(), items.rows());
    } catch (const dist::JobError& e) {
      // A checkpoint the user named that cannot be read is bad input (exit
      // 2), like any other damaged input file; auto tries the next one.
      if (!automatic) throw dist::JobError(e.what(), kExitBadInput);
      if (e.exit_code() == kExitBadInput) throw;
      if (root) {
        std::fprintf(
            stderr, "hpcrec: warning: %s; %s\n", e.what(),
            i + 1 < candidates.size() ? ("using " + candidates[i + 1]).c_str() : "starting from scratch");
      }
    }
  }
  if (!loaded) {
    if (root && automatic)
      std::printf("resume: no complete checkpoint in %s, starting from scratch\n", o_.dir.c_str());
    return std::nullopt;
  }
  std::vector<std::string> accepted;
  dist::collective_phase(comm_, [&] { accepted = io::check_compatible(*loaded, data_, hyper_, o_.force); });
  if (root) {
    for (const auto& a : accepted) std::printf("resume: --resume-force: %s\n", a.c_str());
    std::printf("resume: %s (after iteration %lld)\n", loaded->path.c_str(),
                static_cast<long long>(loaded->iteration));
    std::fflush(stdout);
  }
  return loaded;
}

int Checkpointing::due(int iteration) {
  if (o_.dir.empty()) return -1;
  const int sig = dist::agree_on_stop(comm_);
  const bool every = o_.every > 0 && iteration % o_.every == 0;
  return every || sig != 0 ? sig : -1;
}

void Checkpointing::write(const dist::AlsSide& users, const dist::AlsSide& items, int iteration, int sig,
                          const math::Matrix& user_factors, const math::Vector& user_bias,
                          const math::Matrix& item_factors, const math::Vector& item_bias) {
  complete_data(users);
  io::CheckpointSlice slice;
  slice.hyper = hyper_;
  slice.iteration = iteration;
  slice.data = data_;
  slice.users = {&user_ids_, users.first(), &user_factors, &user_bias};
  slice.items = {&item_ids_, items.first(), &item_factors, &item_bias};
  io::CheckpointWritten w;
  try {
    w = io::write_checkpoint(comm_, o_.dir, slice, o_.keep);
  } catch (const dist::JobError& e) {
    throw dist::JobError("writing checkpoint " + io::checkpoint_path(o_.dir, iteration) + ": " + e.what() +
                             " (earlier checkpoints are intact)",
                         e.exit_code());
  }
  if (comm_.rank() == 0) {
    std::printf("checkpoint: %s (iteration %d, %.1f MB, %.2f s, %.0f MB/s)\n", w.path.c_str(), iteration,
                static_cast<double>(w.bytes) / 1e6, w.seconds,
                static_cast<double>(w.bytes) / 1e6 / w.seconds);
    if (sig != 0) {
      const char* name = sig == SIGTERM   ? "SIGTERM"
                         : sig == SIGUSR1 ? "SIGUSR1"
                         : sig == SIGINT  ? "SIGINT"
                                          : "a signal";
      std::printf("stopped by %s after iteration %d: resume with --resume auto (exit status %d)\n", name,
                  iteration, kExitPreempted);
    }
    std::fflush(stdout);
  }
}

}  // namespace hpcrec::app
