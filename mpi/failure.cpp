#include "mpi/failure.hpp"

#include "src/errors.hpp"

namespace hpcrec::dist {

void agree_on_failure(const Communicator& comm, std::exception_ptr local) {
  int first = comm.allreduce<int>(local ? comm.rank() : comm.size(), MPI_MIN);
  if (first == comm.size()) return;
  std::string message;
  int code = kExitFailure;
  if (comm.rank() == first) {
    try {
      std::rethrow_exception(local);
    } catch (const JobError& e) {
      message = e.what();
      code = e.exit_code();
    } catch (const InputError& e) {
      message = e.what();
      code = kExitBadInput;
    } catch (const std::exception& e) {
      message = e.what();
    } catch (...) {
      message = "unknown error";
    }
  }
  comm.broadcast_string(message, first);
  comm.broadcast(std::span<int>(&code, 1), first);
  throw JobError(message, code);
}

}  // namespace hpcrec::dist
