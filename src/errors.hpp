// Error types every layer may throw. The exit status a job ends with depends
// on the type: bad input (a user's file or option) exits 2, anything else 1.
#pragma once

#include <stdexcept>
#include <string>

namespace hpcrec {

// The user's input is wrong: a malformed line, a missing file, an option out of range.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitBadInput = 2;
// Stopped by SIGTERM, SIGUSR1 or SIGINT after writing a checkpoint (resume with --resume auto).
inline constexpr int kExitPreempted = 3;

}  // namespace hpcrec
