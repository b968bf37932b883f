#include "io/atomic_file.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace hpcrec::io {

std::string tmp_path(const std::string& path) { return path + ".tmp"; }

void commit_tmp(const std::string& path) {
  const std::string tmp = tmp_path(path);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    throw std::runtime_error("cannot rename " + tmp + " to " + path + ": " + std::strerror(errno));
  }
}

void discard_tmp(const std::string& path) noexcept { std::remove(tmp_path(path).c_str()); }

}  // namespace hpcrec::io
