// Stop requests by signal (SIGTERM, SIGUSR1, SIGINT): the handler only sets
// a flag (async-signal-safe); ranks agree on it at a collective point, the
// end of an iteration, so that every rank stops after the same iteration.
#pragma once

#include "mpi/communicator.hpp"

namespace hpcrec::dist {

// Installs the handlers (SA_RESTART) for SIGTERM, SIGUSR1 and SIGINT.
// Throws std::runtime_error if sigaction fails.
void install_stop_handlers();

// The last stop signal this process received, or 0.
int stop_signal_received();

// Collective: the largest stop signal any rank has received, or 0.
int agree_on_stop(const Communicator& comm);

}  // namespace hpcrec::dist
