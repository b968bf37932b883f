// The hpcrec subcommands. Each parses its own options (app/options.hpp) from
// the arguments after the command name and returns the process exit status.
#pragma once

#include <string>
#include <vector>

#include "mpi/communicator.hpp"

namespace hpcrec::app {

using Args = std::vector<std::string>;

int run_generate(const Args& args, const dist::Communicator& comm);
int run_train(const Args& args, const dist::Communicator& comm);
int run_recommend(const Args& args, const dist::Communicator& comm);
int run_info(const Args& args, const dist::Communicator& comm);
int run_split(const Args& args, const dist::Communicator& comm);
int run_similar(const Args& args, const dist::Communicator& comm);
int run_predict(const Args& args, const dist::Communicator& comm);
int run_explain(const Args& args, const dist::Communicator& comm);
int run_update(const Args& args, const dist::Communicator& comm);
int run_fold_in(const Args& args, const dist::Communicator& comm);
int run_tune(const Args& args, const dist::Communicator& comm);
int run_plan(const Args& args, const dist::Communicator& comm);

}  // namespace hpcrec::app
