// Collective agreement on failure. A rank that fails alone would leave the
// others waiting in the next collective, so each phase of the job ends with
// an agreement: if any rank failed, every rank learns the first failing
// rank's message and throws the same JobError.
#pragma once

#include <exception>
#include <stdexcept>
#include <string>

#include "mpi/communicator.hpp"

namespace hpcrec::dist {

class JobError : public std::runtime_error {
 public:
  JobError(const std::string& what, int exit_code) : std::runtime_error(what), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

// Collective. `local` is this rank's failure, or null. Returns normally only
// if no rank failed; otherwise every rank throws the JobError of the lowest
// failing rank (exit code 2 for InputError, 1 otherwise).
void agree_on_failure(const Communicator& comm, std::exception_ptr local);

// Runs f() on every rank, then agrees on failure. Collective.
template <class F>
void collective_phase(const Communicator& comm, F&& f) {
  std::exception_ptr err;
  try {
    f();
  } catch (...) {
    err = std::current_exception();
  }
  agree_on_failure(comm, err);
}

}  // namespace hpcrec::dist
