// Checkpoints of a factor model (HDF5), written collectively and read back at
// any number of ranks.
//
// A checkpoint is a model file (io/model_file.hpp: /users and /items with
// ids, factors and bias; no training CSR) plus root attributes:
//   checkpoint_format_version  int     kCheckpointFormatVersion
//   iteration                  int     iterations done when it was written
//   global_mean                double
//   users, items, ratings      int     data shape: m, n, training ratings
//   user_ids_hash, item_ids_hash, ratings_hash   int (64-bit hashes, as int64)
//   users_checksum, items_checksum               int: hash of every row's
//                              factors and bias, partition-independent
//   every hyper-parameter the caller names (algorithm, factors, lambda, ...)
//   complete                   int 1, written last
// It is written as DIR/ckpt-NNNNNN.h5.tmp (NNNNNN = iteration) and renamed
// after a successful close, so DIR only ever holds complete files under
// their real names; `complete` and the checksums catch what is not.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "io/model_file.hpp"
#include "mpi/communicator.hpp"
#include "src/ids.hpp"
#include "src/types.hpp"

namespace hpcrec::io {

inline constexpr int kCheckpointFormatVersion = 1;

// Facts about the training data a checkpoint must agree with to be resumed.
struct CheckpointData {
  std::int64_t users = 0, items = 0, ratings = 0;
  std::uint64_t user_ids_hash = 0, item_ids_hash = 0, ratings_hash = 0;
  double global_mean = 0;
};

// A 64-bit hash of an id map: a chain over its ids in dense order.
std::uint64_t hash_ids(const math::IdMap& ids);  // a whole map
// Collective when `ids` is partitioned: the same value as for the whole map.
std::uint64_t hash_ids(const dist::Communicator& comm, const math::IdMap& ids);
// A partition-independent hash of ratings: the wrapping sum over ratings of
// hash(user, item, value). `cols` maps a stored column to its global id
// (empty: the columns are global ids already). Sum the ranks' values.
std::uint64_t hash_ratings(const math::CsrBlock& ratings, const std::vector<math::Index>& cols = {});
// A partition-independent hash of rows [first, first + rows) of a side: the
// wrapping sum over rows of hash(global row, factor bits, bias bits). Sum the
// ranks' values.
std::uint64_t hash_rows(math::Index first, const math::Matrix& factors, const math::Vector& bias);

// What a rank holds when writing one.
struct CheckpointSlice {
  Attributes hyper;  // the hyper-parameters (must include "algorithm" and "factors")
  std::int64_t iteration = 0;
  CheckpointData data;
  SideSlice users, items;  // ids, first row, local factors and bias
};

struct CheckpointWritten {
  std::string path;
  double seconds = 0;                // wall time of the collective write (max over ranks)
  std::uintmax_t bytes = 0;          // file size
  std::vector<std::string> removed;  // older checkpoints rotated away, and leftover .tmp files
};

// "DIR/ckpt-000012.h5" for iteration 12.
std::string checkpoint_path(const std::string& dir, std::int64_t iteration);

// Collective. Writes DIR/ckpt-NNNNNN.h5 through .tmp, then (rank 0) removes
// checkpoints beyond the newest `keep` (keep <= 0: none) and any .tmp a
// killed job left numbered at or below this one. Throws on every
// rank if anything fails; earlier checkpoints are then untouched.
CheckpointWritten write_checkpoint(const dist::Communicator& comm, const std::string& dir,
                                   const CheckpointSlice& slice, int keep);

// The checkpoints in `dir` (names ckpt-NNNNNN.h5 only; .tmp ignored), newest
// (highest iteration) first. Empty if the directory does not exist.
std::vector<std::string> list_checkpoints(const std::string& dir);

// A checkpoint's attributes and this rank's rows of its state.
struct LoadedCheckpoint {
  std::string path;
  Attributes attributes;
  std::int64_t iteration = 0;
  math::Matrix user_factors, item_factors;  // this rank's rows
  math::Vector user_bias, item_bias;
};

// Collective. Reads `path`, each rank the rows [first, first + rows) of each
// side (any partition: the writer's rank count does not matter), and checks
// structure, `complete`, the format version and the checksums. Throws
// (every rank: dist::JobError) when the file is incomplete or corrupt
// (exit code 1), or has another number of users or items (exit code 2).
LoadedCheckpoint read_checkpoint(const dist::Communicator& comm, const std::string& path,
                                 math::Index user_first, math::Index user_rows, math::Index item_first,
                                 math::Index item_rows);

// Compares a loaded checkpoint with the current run: format, data (shape,
// ids, ratings, global mean) and every hyper-parameter in `hyper`. Throws
// InputError naming the first field that differs; with `force`, differing
// hyper-parameters other than "algorithm" and "factors" are accepted and
// returned as messages instead.
std::vector<std::string> check_compatible(const LoadedCheckpoint& ckpt, const CheckpointData& data,
                                          const Attributes& hyper, bool force);

}  // namespace hpcrec::io
