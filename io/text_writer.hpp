// Text files written by all ranks at once: each rank's text lands after the
// texts of the ranks before it, through MPI-IO, into FILE.tmp, renamed to
// FILE only once every rank has written and the file is closed.
#pragma once

#include <string>

#include "mpi/communicator.hpp"

namespace hpcrec::io {

// Collective. The file is the concatenation of every rank's `text` in rank
// order. On any failure every rank throws and no file appears under `path`.
void write_text_collectively(const dist::Communicator& comm, const std::string& path,
                             const std::string& text);

}  // namespace hpcrec::io
