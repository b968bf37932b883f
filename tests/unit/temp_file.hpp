// Small files for reader tests: written under one temp folder per test
// binary (named after `tag` and the process id), kept for inspection.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace hpcrec::testing {

inline std::string write_temp_file(const std::string& tag, const std::string& name,
                                   const std::string& content) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("hpcrec_" + tag + "_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / name).string();
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

}  // namespace hpcrec::testing
