// Reading ratings across ranks and turning them into the distributed
// training matrix: io (read) -> mpi (remap, shuffle, dedupe, split).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "io/ratings_reader.hpp"
#include "mpi/communicator.hpp"
#include "mpi/distribute.hpp"
#include "mpi/partition.hpp"
#include "src/csr_block.hpp"
#include "src/ids.hpp"
#include "src/split.hpp"

namespace hpcrec::app {

struct DataOptions {
  std::string ratings;
  std::string test;              // optional test file; otherwise `split` decides
  math::SplitSpec split;         // how test ratings are carved out of `ratings`
  bool keep_timestamps = false;  // fill TrainingData::train_timestamps / test_timestamps
  // Items to include even without ratings (cold start: items known from
  // metadata), the same on every rank.
  const math::IdMap* extra_items = nullptr;
  // Cold-start evaluation: this fraction of the items (chosen by hash of the
  // item and split.seed) goes to test with all its ratings; `split` then
  // applies to the other items' ratings.
  double cold_items = 0;
  io::ReaderOptions reader;
  dist::DuplicatePolicy duplicates = dist::DuplicatePolicy::kLast;
  int factors = 64;  // for the work-balanced partition
  // Every rank gets the whole id maps; otherwise (the default) each rank
  // holds the ids of the rows it owns (math::IdMap, partitioned).
  bool whole_id_maps = false;
};

struct TrainingData {
  // Partitioned (each rank the ids of its rows of `users` / `items`) unless
  // DataOptions::whole_id_maps, or loaded with a model (whole).
  math::IdMap user_ids, item_ids;
  dist::BlockPartition users, items;
  math::CsrBlock by_user;          // this rank's users; cols = global item ids
  math::CsrBlock by_item;          // this rank's items; cols = global user ids
  std::vector<math::Rating> test;  // dense ids, -1 where unknown to training
  // With keep_timestamps: aligned with by_user's entries and with `test`.
  std::vector<std::int64_t> train_timestamps, test_timestamps;
  bool has_timestamps = false;
  double global_mean = 0;
  float min_rating = 0, max_rating = 0;
  // Global counts.
  math::Offset lines = 0, ratings_read = 0, skipped = 0, duplicates = 0, train = 0, test_count = 0;
  math::Offset test_unknown = 0;
  // With DataOptions::cold_items: per item (dense id), 1 if held out entirely.
  std::vector<char> cold_item;
  math::Offset cold_count = 0;  // items held out  // test ratings whose user or item is not in training
  double read_seconds = 0, prepare_seconds = 0;
  math::Offset bytes_read = 0;
};

// Collective. Reads each file by byte ranges, one per rank; a bad line on
// any rank ends every rank with "FILE:LINE: expected ..., got '...'" (an
// InputError agreed through dist::collective_phase).
TrainingData load_training_data(const dist::Communicator& comm, const DataOptions& options);

// Collective. A validation split carved from `data`'s training ratings: the
// result trains on what `spec` keeps of each user's training ratings and
// tests on the rest (its `test`), and every rating of the items flagged in
// `hold_items` (by global id) goes to test too; ids, partitions and rating
// range as in `data`. Needs data.train_timestamps for a temporal spec.
TrainingData carve_validation(const dist::Communicator& comm, const TrainingData& data,
                              const math::SplitSpec& spec, const std::vector<char>& hold_items);

}  // namespace hpcrec::app
