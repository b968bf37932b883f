#include "mpi/signals.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <stdexcept>
#include <string>

namespace hpcrec::dist {

namespace {

volatile std::sig_atomic_t g_stop_signal = 0;

extern "C" void on_stop_signal(int sig) { g_stop_signal = sig; }

}  // namespace

void install_stop_handlers() {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop_signal;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGTERM, SIGUSR1, SIGINT}) {
    if (sigaction(sig, &sa, nullptr) != 0) {
      throw std::runtime_error(std::string("sigaction(") + strsignal(sig) + "): " + std::strerror(errno));
    }
  }
}

int stop_signal_received() { return g_stop_signal; }

int agree_on_stop(const Communicator& comm) { return comm.allreduce<int>(g_stop_signal, MPI_MAX); }

}  // namespace hpcrec::dist
