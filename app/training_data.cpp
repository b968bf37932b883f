#include "app/training_data.hpp"

#include <algorithm>
#include <limits>

#include "app/resources.hpp"
#include "mpi/exact_reduce.hpp"
#include "mpi/failure.hpp"
#include "mpi/id_remap.hpp"
#include "src/errors.hpp"
#include "src/exact_sum.hpp"
#include "src/split.hpp"

namespace hpcrec::app {

using math::Index;
using math::Offset;

namespace {

// Reads this rank's byte range of `path`; agrees on failure.
io::ParsedRatings read_collectively(const dist::Communicator& comm, const std::string& path,
                                    const io::ReaderOptions& options, Offset* total_lines,
                                    Offset* total_ratings, Offset* total_skipped, Offset* bytes) {
  io::ParsedRatings parsed;
  io::FileLayout layout;
  io::ReaderOptions reader = options;
  reader.keep_positions = false;  // file order travels as the shuffle's order (dist::Record::seq)
  dist::collective_phase(comm, [&] {
    layout = io::detect_layout(path, reader);
    auto [begin, end] = io::byte_range(layout.size, comm.rank(), comm.size());
    parsed = io::read_ratings_range(path, layout, begin, end, reader);
  });
  const Offset lines_before = comm.exscan_sum<Offset>(parsed.lines);
  dist::collective_phase(comm, [&] {
    if (parsed.error) {
      throw InputError(path + ":" + std::to_string(lines_before + parsed.error->line_in_range) + ": " +
                       parsed.error->message);
    }
  });
  *total_lines = comm.allreduce<Offset>(parsed.lines, MPI_SUM);
  *total_ratings = comm.allreduce<Offset>(static_cast<Offset>(parsed.ratings.size()), MPI_SUM);
  *total_skipped = comm.allreduce<Offset>(parsed.skipped, MPI_SUM);
  *bytes = layout.size;
  if (*total_ratings == 0) {
    throw dist::JobError(path + ":" + std::to_string(*total_lines + 1) +
                             ": expected a rating line (user, item, rating[, timestamp]), got end of file",
                         kExitBadInput);
  }
  return parsed;
}

template <class T>
void free_vector(std::vector<T>& v) {
  std::vector<T>().swap(v);
}

// The global mean from each rank's exact partial sum: bitwise the same for
// any partition (src/exact_sum.hpp).
double exact_mean(const dist::Communicator& comm, const math::ExactSum& sum, Offset count) {
  return dist::exact_allreduce(comm, sum).value() / static_cast<double>(count);
}

// Builds data.by_user from this rank's training ratings (sorted by user,
// then item) and data.by_item through a shuffle to the item owners.
void build_blocks(const dist::Communicator& comm, std::vector<math::Rating>& train_ratings,
                  TrainingData& data) {
  const Index my = comm.rank();
  data.by_user =
      math::build_csr(train_ratings, data.users.first(my), data.users.count(my), /*by_item=*/false);
  trace_phase(comm.rank(), "user csr");
  std::vector<math::Rating> at_items =
      dist::shuffle_ratings(comm, train_ratings, data.items, /*by_item=*/true);
  free_vector(train_ratings);
  data.by_item = math::build_csr(at_items, data.items.first(my), data.items.count(my), /*by_item=*/true);
  trace_phase(comm.rank(), "item csr");
}

// Collective. --duplicates error: the first rank that met a repeated pair
// names it (its user is one of its rows; the item's id is fetched from the
// rank that holds it) and every rank ends with that message.
void fail_on_repeated_pair(const dist::Communicator& comm, const dist::DensePair& repeated,
                           const TrainingData& data) {
  const int first = comm.allreduce<int>(repeated.user >= 0 ? comm.rank() : comm.size(), MPI_MIN);
  if (first == comm.size()) return;
  std::vector<Index> item;
  if (comm.rank() == first) item.push_back(repeated.item);
  const math::IdMap named = dist::fetch_names(comm, data.item_ids, item);
  dist::collective_phase(comm, [&] {
    if (comm.rank() != first) return;
    throw InputError("duplicate rating for user " + data.user_ids.name(repeated.user) + ", item " +
                     named.name(item[0]) + " (--duplicates error; use last or mean)");
  });
}

}  // namespace

TrainingData load_training_data(const dist::Communicator& comm, const DataOptions& options) {
  TrainingData data;
  const double t0 = MPI_Wtime();
  Offset test_lines = 0, test_read = 0, test_skipped = 0, test_bytes = 0;
  io::ParsedRatings train = read_collectively(comm, options.ratings, options.reader, &data.lines,
                                              &data.ratings_read, &data.skipped, &data.bytes_read);
  std::optional<io::ParsedRatings> test;
  if (!options.test.empty()) {
    test = read_collectively(comm, options.test, options.reader, &test_lines, &test_read, &test_skipped,
                             &test_bytes);
  }
  data.read_seconds = comm.allreduce<double>(MPI_Wtime() - t0, MPI_MAX);
  trace_phase(comm.rank(), "read");

  // Ids: one kind for training and test alike, then the global maps.
  if (test) {
    if (test->users.is_string) train.users.to_string_mode();
    if (test->items.is_string) train.items.to_string_mode();
  }
  dist::agree_on_id_kind(comm, train.users);
  dist::agree_on_id_kind(comm, train.items);
  // Partitioned maps unless a caller needs them whole; items from metadata
  // merge into a whole item map.
  if (options.whole_id_maps) {
    data.user_ids = dist::build_id_map(comm, train.users);
  } else {
    data.user_ids = dist::partition_id_map(comm, train.users);
  }
  if (options.whole_id_maps || options.extra_items) {
    data.item_ids = dist::build_id_map(comm, train.items);
  } else {
    data.item_ids = dist::partition_id_map(comm, train.items);
  }
  // Splits hash an item by its place among the rated items, so that items
  // known only from metadata (merged below) change no split.
  std::vector<Index> split_key;
  if (options.extra_items) {
    const math::IdMap rated = data.item_ids;
    data.item_ids = data.item_ids.merged(*options.extra_items);
    if (data.item_ids.is_string) train.items.to_string_mode();
    split_key.assign(static_cast<size_t>(data.item_ids.size()), -1);
    for (Index i = 0; i < data.item_ids.size(); ++i) {
      const auto at = data.item_ids.is_string || rated.is_string ? rated.find_text(data.item_ids.name(i))
                                                                 : rated.find(data.item_ids.ints[i]);
      if (at) split_key[i] = *at;
    }
  }
  auto key_of = [&](Index item) { return split_key.empty() ? item : split_key[item]; };
  if (options.cold_items > 0) {
    data.cold_item.assign(static_cast<size_t>(data.item_ids.size()), 0);
    for (Index i = 0; i < data.item_ids.size(); ++i) {
      const Index key = key_of(i);
      // user -1: a hash stream no (user, item) pair of the ordinary split uses.
      data.cold_item[i] = key >= 0 && math::held_out(options.split.seed, -1, key, options.cold_items);
      data.cold_count += data.cold_item[i];
    }
  }
  trace_phase(comm.rank(), "id maps");

  dist::LocalRatings local;
  local.users = dist::to_dense(comm, train.users, data.user_ids);
  train.users = {};
  local.items = dist::to_dense(comm, train.items, data.item_ids);
  train.items = {};
  local.values = std::move(train.ratings);
  bool has_ts = comm.allreduce<int>(
      std::any_of(train.timestamps.begin(), train.timestamps.end(), [](std::int64_t t) { return t != 0; }),
      MPI_MAX);
  if (has_ts) local.timestamps = std::move(train.timestamps);
  free_vector(train.timestamps);
  trace_phase(comm.rank(), "dense ids");

  // Partitions balanced by ALS work (counts before duplicates are resolved:
  // close enough, and the same for every rank count), each rank counting a
  // block of the rows: no rank holds every row's count.
  data.users = dist::balanced_partition(comm, local.users, data.user_ids.size(), options.factors);
  data.items = dist::balanced_partition(comm, local.items, data.item_ids.size(), options.factors);
  // Each rank keeps the ids of the rows it owns.
  dist::align_id_map(comm, data.user_ids, data.users);
  dist::align_id_map(comm, data.item_ids, data.items);

  Offset dropped = 0;
  std::vector<dist::Record> records =
      dist::shuffle_to_user_owners(comm, std::move(local), data.users, &dropped);
  trace_phase(comm.rank(), "shuffled to user owners");
  dist::DensePair repeated;
  const Offset removed = dist::resolve_duplicates(records, options.duplicates, &repeated);
  fail_on_repeated_pair(comm, repeated, data);
  data.duplicates = comm.allreduce<Offset>(removed, MPI_SUM);

  // Split and statistics at the user owners, where each user's ratings are
  // contiguous (records are sorted by user, then item).
  data.has_timestamps = has_ts;
  if (options.split.kind == math::SplitKind::kTemporal && !has_ts) {
    throw dist::JobError(options.ratings + ": --split temporal needs a timestamp column", kExitBadInput);
  }
  std::vector<math::Rating> train_ratings;
  train_ratings.reserve(records.size());
  math::ExactSum sum;
  float lo = std::numeric_limits<float>::max(), hi = std::numeric_limits<float>::lowest();
  const math::SplitSpec split = test ? math::SplitSpec{} : options.split;
  std::vector<math::SplitEntry> entries;
  std::vector<char> is_test;
  for (size_t begin = 0; begin < records.size();) {
    size_t end = begin + 1;
    while (end < records.size() && records[end].user == records[begin].user) ++end;
    entries.clear();
    for (size_t j = begin; j < end; ++j) {
      const bool cold = !data.cold_item.empty() && data.cold_item[records[j].item];
      entries.push_back({key_of(records[j].item), records[j].timestamp, records[j].seq, cold});
    }
    math::mark_test(split, records[begin].user, entries, is_test);
    for (size_t j = begin; j < end; ++j) {
      const dist::Record& r = records[j];
      if (is_test[j - begin]) {
        data.test.push_back({r.user, r.item, r.value});
        if (options.keep_timestamps) data.test_timestamps.push_back(r.timestamp);
        continue;
      }
      train_ratings.push_back({r.user, r.item, r.value});
      if (options.keep_timestamps) data.train_timestamps.push_back(r.timestamp);
      sum.add(r.value);
      lo = std::min(lo, r.value);
      hi = std::max(hi, r.value);
    }
    begin = end;
  }
  free_vector(records);
  trace_phase(comm.rank(), "split");

  data.train = comm.allreduce<Offset>(static_cast<Offset>(train_ratings.size()), MPI_SUM);
  if (data.train == 0)
    throw dist::JobError(options.ratings + ": no training ratings left after the split", kExitBadInput);
  data.global_mean = exact_mean(comm, sum, data.train);
  data.min_rating = comm.allreduce<float>(lo, MPI_MIN);
  data.max_rating = comm.allreduce<float>(hi, MPI_MAX);

  build_blocks(comm, train_ratings, data);

  if (test) {
    std::vector<Index> users = dist::to_dense(comm, test->users, data.user_ids);
    std::vector<Index> items = dist::to_dense(comm, test->items, data.item_ids);
    data.test.reserve(users.size());
    for (size_t k = 0; k < users.size(); ++k) data.test.push_back({users[k], items[k], test->ratings[k]});
    if (options.keep_timestamps) data.test_timestamps = test->timestamps;
    Offset unknown = 0;
    for (const auto& r : data.test) unknown += (r.user < 0 || r.item < 0);
    data.test_unknown = comm.allreduce<Offset>(unknown, MPI_SUM);
  }
  data.test_count = comm.allreduce<Offset>(static_cast<Offset>(data.test.size()), MPI_SUM);
  data.prepare_seconds = comm.allreduce<double>(MPI_Wtime() - t0, MPI_MAX) - data.read_seconds;
  return data;
}

TrainingData carve_validation(const dist::Communicator& comm, const TrainingData& data,
                              const math::SplitSpec& spec, const std::vector<char>& hold_items) {
  TrainingData out;
  out.user_ids = data.user_ids;
  out.item_ids = data.item_ids;
  out.users = data.users;
  out.items = data.items;
  out.has_timestamps = data.has_timestamps;
  out.min_rating = data.min_rating;
  out.max_rating = data.max_rating;
  const bool temporal = spec.kind == math::SplitKind::kTemporal;
  std::vector<math::Rating> train_ratings;
  math::ExactSum sum;
  std::vector<math::SplitEntry> entries;
  std::vector<char> is_test;
  const math::CsrBlock& rows = data.by_user;
  for (Index r = 0; r < rows.rows(); ++r) {
    const Index user = rows.first_row + r;
    const auto cols = rows.row_cols(r);
    const auto vals = rows.row_values(r);
    const Offset base = rows.indptr[r];
    entries.clear();
    for (size_t j = 0; j < cols.size(); ++j) {
      const std::int64_t ts = temporal ? data.train_timestamps[static_cast<size_t>(base) + j] : 0;
      entries.push_back({cols[j], ts, static_cast<std::uint32_t>(j), hold_items[cols[j]] != 0});
    }
    math::mark_test(spec, user, entries, is_test);
    for (size_t j = 0; j < cols.size(); ++j) {
      if (is_test[j]) {
        out.test.push_back({user, cols[j], vals[j]});
      } else {
        train_ratings.push_back({user, cols[j], vals[j]});
        sum.add(vals[j]);
      }
    }
  }
  out.train = comm.allreduce<Offset>(static_cast<Offset>(train_ratings.size()), MPI_SUM);
  if (out.train == 0) throw dist::JobError("validation split: no training ratings left", kExitBadInput);
  out.global_mean = exact_mean(comm, sum, out.train);
  build_blocks(comm, train_ratings, out);
  out.test_count = comm.allreduce<Offset>(static_cast<Offset>(out.test.size()), MPI_SUM);
  return out;
}

}  // namespace hpcrec::app
