#include "app/progress.hpp"

#include <mpi.h>
#include <omp.h>

#include <cstdio>

namespace hpcrec::app {

namespace {

Verbosity g_verbosity = Verbosity::kNormal;
constexpr double kQuietSeconds = 2.0;  // a step shorter than this says nothing

}  // namespace

void set_verbosity(Verbosity v) { g_verbosity = v; }
Verbosity verbosity() { return g_verbosity; }

Progress::Progress(const dist::Communicator& comm, std::string what, std::string unit)
    : active_(comm.rank() == 0 && g_verbosity != Verbosity::kQuiet),
      what_(std::move(what)),
      unit_(std::move(unit)),
      start_(MPI_Wtime()),
      last_print_(start_) {
  if (active_ && g_verbosity == Verbosity::kVerbose) std::fprintf(stderr, "%s ...\n", what_.c_str());
}

Progress::~Progress() {
  if (!active_) return;
  const double elapsed = MPI_Wtime() - start_;
  if (printed_ || elapsed >= kQuietSeconds || g_verbosity == Verbosity::kVerbose)
    std::fprintf(stderr, "%s: done in %.1f s\n", what_.c_str(), elapsed);
}

void Progress::update(double done, double total) {
  if (!active_ || omp_get_thread_num() != 0 || total <= 0) return;
  const double now = MPI_Wtime();
  if (now - start_ < kQuietSeconds || now - last_print_ < kQuietSeconds) return;
  last_print_ = now;
  printed_ = true;
  const double fraction = done / total, elapsed = now - start_;
  char counts[96] = "";
  if (!unit_.empty()) std::snprintf(counts, sizeof counts, " (%.0f of %.0f %s)", done, total, unit_.c_str());
  if (fraction > 0)
    std::fprintf(stderr, "%s: %.0f%%%s, %.1f s, ETA %.1f s\n", what_.c_str(), 100 * fraction, counts, elapsed,
                 elapsed * (1 - fraction) / fraction);
  else
    std::fprintf(stderr, "%s: started%s, %.1f s\n", what_.c_str(), counts, elapsed);
  std::fflush(stderr);
}

}  // namespace hpcrec::app
