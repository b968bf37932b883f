// Progress of long steps, for a person watching a job: rank 0 writes to
// stderr, at most one line every 2 s, and only for steps that run longer
// than that, what it does, the fraction done and an ETA:
//
//   top-N: 41% (2 of 4 item blocks), 12.3 s, ETA 17.6 s
//   top-N: done in 30.1 s
//
// The fraction is rank 0's own: ranks work in lock step through the ring
// collectives, so it is the job's to within one step. A step of 2 s or
// more ends with its "done in" line, fraction or not. --quiet silences
// these lines; --verbose also announces every step and times it, however
// short.
#pragma once

#include <functional>
#include <string>

#include "mpi/communicator.hpp"

namespace hpcrec::app {

enum class Verbosity { kQuiet, kNormal, kVerbose };
void set_verbosity(Verbosity v);
Verbosity verbosity();

class Progress {
 public:
  // `unit`: what update's counts count ("item blocks", "iterations"; empty:
  // a bare fraction).
  Progress(const dist::Communicator& comm, std::string what, std::string unit = "");
  ~Progress();  // the "done in" line, when the step took 2 s or more (or --verbose)
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // `done` of `total` (any thread may call it; only rank 0's main thread
  // prints; cheap when nothing is due).
  void update(double done, double total);
  // For layers that take a plain callback: update(done, total).
  std::function<void(double, double)> callback() {
    return [this](double done, double total) { update(done, total); };
  }

 private:
  bool active_;
  std::string what_, unit_;
  double start_, last_print_;
  bool printed_ = false;
};

}  // namespace hpcrec::app
