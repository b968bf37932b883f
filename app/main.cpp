// hpcrec: recommender systems on MPI clusters. Dispatches to a subcommand and
// turns failures into one message and an exit status.
//
// Failures agreed collectively (dist::JobError) are printed once, by rank 0,
// and every rank returns the same status. Anything else escaping a command
// happened on this rank alone: the other ranks may be waiting in a
// collective, so the rank prints "rank r: ..." and aborts the whole job.
#include <unistd.h>

#include <cstdio>
#include <exception>
#include <iostream>
#include <string>

#include "app/commands.hpp"
#include "app/run_info.hpp"
#include "io/atomic_file.hpp"
#include "mpi/failure.hpp"
#include "src/errors.hpp"

namespace {

constexpr const char* kUsage =
    "Usage: hpcrec <command> [options]\n"
    "\n"
    "Commands:\n"
    "  generate    write a synthetic ratings dataset (planted low-rank model)\n"
    "  train       train a model across MPI ranks, evaluate it, write top-N\n"
    "  recommend   top-N lists from a saved model (a user, a list, or all)\n"
    "  predict     a saved model's score for each (user, item) pair of a file\n"
    "  explain     why a saved model gives a user an item\n"
    "  update      keep a saved model current: new interactions, a few warm sweeps\n"
    "  fold-in     write users given by ratings into a new model file (als, ials)\n"
    "  info        statistics of a ratings file and its partition over ranks\n"
    "  split       write a train/test split to files\n"
    "  similar     an item's (or user's) nearest neighbours in a saved model\n"
    "  tune        search hyper-parameters on a validation split (parallel trials)\n"
    "  plan        predict per-rank rows, bytes exchanged, peak memory, time (one process)\n"
    "\n"
    "Run 'hpcrec <command> --help' for a command's options.\n"
    "Launch with mpirun/srun for several ranks, e.g. mpirun -n 4 hpcrec train --ratings r.csv\n";

int dispatch(const std::string& command, const hpcrec::app::Args& args,
             const hpcrec::dist::Communicator& comm) {
  using namespace hpcrec::app;
  if (command == "generate") return run_generate(args, comm);
  if (command == "train") return run_train(args, comm);
  if (command == "recommend") return run_recommend(args, comm);
  if (command == "info") return run_info(args, comm);
  if (command == "split") return run_split(args, comm);
  if (command == "similar") return run_similar(args, comm);
  if (command == "predict") return run_predict(args, comm);
  if (command == "explain") return run_explain(args, comm);
  if (command == "update") return run_update(args, comm);
  if (command == "fold-in") return run_fold_in(args, comm);
  if (command == "tune") return run_tune(args, comm);
  if (command == "plan") return run_plan(args, comm);
  throw hpcrec::InputError("unknown command '" + command + "' (try hpcrec --help)");
}

}  // namespace

int main(int argc, char** argv) {
  hpcrec::dist::Environment env(argc, argv);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    if (rank == 0) std::cout << kUsage;
    return argc < 2 ? hpcrec::kExitBadInput : hpcrec::kExitOk;
  }
  if (std::string(argv[1]) == "--version") {
    if (rank == 0) {
      std::cout << "hpcrec " << hpcrec::app::version() << "\n";
      try {
        const std::string simd = hpcrec::app::simd_summary();
        std::cout << "simd: " << simd << "\n";
      } catch (const std::exception& e) {
        std::cerr << "hpcrec: " << e.what() << "\n";
        return hpcrec::kExitBadInput;
      }
    }
    return 0;
  }
  try {
    auto comm = hpcrec::dist::Communicator::world();
    // The job's token for temporary file names (io/atomic_file.hpp).
    std::string token;
    if (rank == 0) {
      char host[256] = {};
      ::gethostname(host, sizeof host - 1);
      token = std::string(host) + "-" + std::to_string(::getpid());
    }
    comm.broadcast_string(token, 0);
    hpcrec::io::set_tmp_token(token);
    const std::string command = argv[1];
    hpcrec::app::Args args(argv + 2, argv + argc);
    // Commands agree on failure at their phase boundaries (collective_phase).
    return dispatch(command, args, comm);
  } catch (const hpcrec::dist::JobError& e) {
    if (rank == 0) std::cerr << "hpcrec: error: " << e.what() << std::endl;
    return e.exit_code();
  } catch (const std::exception& e) {
    const int code =
        dynamic_cast<const hpcrec::InputError*>(&e) ? hpcrec::kExitBadInput : hpcrec::kExitFailure;
    if (size == 1) {
      std::cerr << "hpcrec: error: " << e.what() << std::endl;
      return code;
    }
    std::cerr << "rank " << rank << ": " << e.what() << std::endl;
    MPI_Abort(MPI_COMM_WORLD, code);
    return code;
  }
}
