// Writing under a final name only once the content is complete.
#pragma once

#include <string>

namespace hpcrec::io {

// The temporary name a file is written under before it is renamed: PATH.tmp.
std::string tmp_path(const std::string& path);

// Renames PATH.tmp to PATH (atomic on POSIX file systems). Throws
// std::runtime_error naming both paths and the reason on failure.
void commit_tmp(const std::string& path);

// Removes PATH.tmp if present; never throws (cleanup after a failure).
void discard_tmp(const std::string& path) noexcept;

}  // namespace hpcrec::io
