// Writing under a final name only once the content is complete.
#pragma once

#include <string>

namespace hpcrec::io {

// The temporary name a file is written under before it is renamed:
// PATH.TOKEN.tmp, TOKEN the job's (set_tmp_token), or PATH.tmp before one
// is set. Two jobs writing the same PATH thus never write into one
// temporary file; each renames only its complete file, and the last
// rename wins whole.
std::string tmp_path(const std::string& path);

// Sets the job's token, once, at start-up, the same on every rank (hpcrec's
// main: rank 0's host name and process id, broadcast). Characters other
// than letters, digits, '-', '_' and '.' become '_'.
void set_tmp_token(const std::string& token);

// Renames PATH.tmp to PATH (atomic on POSIX file systems). Throws
// std::runtime_error naming both paths and the reason on failure.
void commit_tmp(const std::string& path);

// Removes PATH.tmp if present; never throws (cleanup after a failure).
void discard_tmp(const std::string& path) noexcept;

}  // namespace hpcrec::io
