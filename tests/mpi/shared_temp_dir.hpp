// A scratch directory shared by all ranks of a multi-rank test: rank 0 makes
// it, every rank learns its name, rank 0 removes it once every rank is done.
#pragma once

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "mpi/communicator.hpp"

namespace hpcrec::testing {

class SharedTempDir {
 public:
  explicit SharedTempDir(const dist::Communicator& comm) : comm_(comm) {
    if (comm.rank() == 0) {
      std::string pattern = (std::filesystem::temp_directory_path() / "hpcrec_test_XXXXXX").string();
      if (::mkdtemp(pattern.data()) == nullptr) std::abort();
      path_ = pattern;
    }
    comm.broadcast_string(path_, 0);
  }
  ~SharedTempDir() {
    comm_.barrier();
    if (comm_.rank() == 0) std::filesystem::remove_all(path_);
  }
  SharedTempDir(const SharedTempDir&) = delete;
  SharedTempDir& operator=(const SharedTempDir&) = delete;

  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  const dist::Communicator& comm_;
  std::string path_;
};

}  // namespace hpcrec::testing
