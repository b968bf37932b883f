#include "io/atomic_file.hpp"

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace hpcrec::io {

namespace {
std::string g_token;  // set once, before any file is written
}  // namespace

void set_tmp_token(const std::string& token) {
  g_token = token;
  for (char& c : g_token)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') c = '_';
}

std::string tmp_path(const std::string& path) {
  return g_token.empty() ? path + ".tmp" : path + "." + g_token + ".tmp";
}

void commit_tmp(const std::string& path) {
  const std::string tmp = tmp_path(path);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    throw std::runtime_error("cannot rename " + tmp + " to " + path + ": " + std::strerror(errno));
  }
}

void discard_tmp(const std::string& path) noexcept { std::remove(tmp_path(path).c_str()); }

}  // namespace hpcrec::io
