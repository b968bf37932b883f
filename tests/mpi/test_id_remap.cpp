// Partitioned per-row data at 1-4 ranks (ctest runs each count). Id maps:
// the slices together are exactly the whole map, no rank holds more than
// its slice, and every routed lookup answers as the whole map would; after
// the real load (load_training_data) each rank holds the ids of its own rows
// only. Row counts: the work-balanced partition computed from blocks of the
// counts is the one computed from all of them.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <string>

#include "app/training_data.hpp"
#include "io/checkpoint.hpp"
#include "mpi/distribute.hpp"
#include "mpi/id_remap.hpp"
#include "shared_temp_dir.hpp"

using namespace hpcrec;
using math::Index;

namespace {

// Rank r's column: ids that repeat within a rank and across ranks, with
// gaps and negatives; 0..30 of every 7 -> about 40 distinct over 1-4 ranks.
math::IdColumn int_column(int rank) {
  math::IdColumn c;
  for (int j = 0; j < 60; ++j) c.values.push_back(((rank * 11 + j * 7) % 41) * 3 - 20);
  return c;
}

math::IdColumn string_column(int rank) {
  math::IdColumn c = int_column(rank);
  c.to_string_mode();
  for (auto& d : c.dictionary) d = "u-" + d;
  return c;
}

// What every rank must see of a partitioned `part` against the whole `whole`.
void expect_partition_of(const dist::Communicator& comm, const math::IdMap& part, const math::IdMap& whole) {
  ASSERT_TRUE(part.partitioned());
  EXPECT_EQ(part.size(), whole.size());
  // The slices tile [0, total) in rank order...
  const auto firsts = comm.allgather<Index>(part.first);
  const auto helds = comm.allgather<Index>(part.held());
  Index next = 0;
  for (int r = 0; r < comm.size(); ++r) {
    EXPECT_EQ(firsts[r], next) << "rank " << r;
    next += helds[r];
  }
  EXPECT_EQ(next, whole.size());
  // ... each holds the whole map's ids at its dense indices ...
  for (Index d = part.first; d < part.first + part.held(); ++d) EXPECT_EQ(part.name(d), whole.name(d));
  // ... and gathered they are the whole map.
  const math::IdMap back = dist::gather_id_map(comm, part);
  EXPECT_FALSE(back.partitioned());
  EXPECT_EQ(back.ints, whole.ints);
  EXPECT_EQ(back.strings, whole.strings);
  // A lookup by id on a slice is refused, not answered from the slice
  // (one that holds every id, at one rank, is the whole map).
  if (part.held() > 0 && part.held() < part.size()) {
    EXPECT_THROW(part.find_text(part.name(part.first)), std::logic_error);
  }
}

// Sample sort: a slice within twice the even share (regular sampling's
// bound) -- never the whole map, except at one rank.
void expect_balanced(const dist::Communicator& comm, const math::IdMap& part) {
  const Index share = (part.size() + comm.size() - 1) / comm.size();
  EXPECT_LE(part.held(), 2 * share) << "rank " << comm.rank() << " of " << comm.size();
}

// The worked example of mpi/id_remap.hpp, step by step (2 ranks only).
TEST(PartitionedIdMap, WorkedExampleOfTheHeader) {
  auto comm = dist::Communicator::world();
  if (comm.size() != 2) GTEST_SKIP() << "the example is for 2 ranks";
  math::IdColumn read;
  read.values =
      comm.rank() == 0 ? std::vector<std::int64_t>{9, 3, 9} : std::vector<std::int64_t>{5, 11, 7, 3};
  math::IdMap map = dist::partition_id_map(comm, read);
  EXPECT_EQ(map.total, 5);
  using Ids = std::vector<std::int64_t>;
  EXPECT_EQ(map.ints, comm.rank() == 0 ? Ids({3, 5}) : Ids({7, 9, 11}));
  EXPECT_EQ(map.first, comm.rank() == 0 ? 0 : 2);
  if (comm.rank() == 0) {
    EXPECT_EQ(dist::to_dense(comm, read, map), (std::vector<Index>{3, 0, 3}));
  } else {
    EXPECT_EQ(dist::to_dense(comm, read, map), (std::vector<Index>{1, 4, 2, 0}));
  }
  dist::BlockPartition rows;
  rows.bounds = {0, 3, 5};
  dist::align_id_map(comm, map, rows);
  EXPECT_EQ(map.ints, comm.rank() == 0 ? Ids({3, 5, 7}) : Ids({9, 11}));
  EXPECT_EQ(map.first, comm.rank() == 0 ? 0 : 3);
  std::vector<Index> asked = comm.rank() == 0 ? std::vector<Index>{4, 1, -1} : std::vector<Index>{};
  const math::IdMap named = dist::fetch_names(comm, map, asked);
  if (comm.rank() == 0) {
    EXPECT_EQ(named.ints, (std::vector<std::int64_t>{5, 11}));
    EXPECT_EQ(asked, (std::vector<Index>{1, 0, -1}));
  }
}

TEST(PartitionedIdMap, IntegerSlicesTileTheWholeMap) {
  auto comm = dist::Communicator::world();
  const math::IdColumn column = int_column(comm.rank());
  const math::IdMap whole = dist::build_id_map(comm, column);
  const math::IdMap part = dist::partition_id_map(comm, column);
  expect_partition_of(comm, part, whole);
  expect_balanced(comm, part);
}

TEST(PartitionedIdMap, StringSlicesTileTheWholeMap) {
  auto comm = dist::Communicator::world();
  const math::IdColumn column = string_column(comm.rank());
  const math::IdMap whole = dist::build_id_map(comm, column);
  const math::IdMap part = dist::partition_id_map(comm, column);
  ASSERT_TRUE(part.is_string);
  expect_partition_of(comm, part, whole);
  expect_balanced(comm, part);
}

// Aligned to a partition of the rows, a rank holds exactly its rows' ids:
// here a skewed one (rank 0 owns half, the rest split the remainder).
TEST(PartitionedIdMap, AlignedToRowsHoldsExactlyTheRankRows) {
  auto comm = dist::Communicator::world();
  for (const bool strings : {false, true}) {
    const math::IdColumn column = strings ? string_column(comm.rank()) : int_column(comm.rank());
    const math::IdMap whole = dist::build_id_map(comm, column);
    math::IdMap part = dist::partition_id_map(comm, column);
    const Index m = whole.size();
    dist::BlockPartition rows;
    rows.bounds = {0};
    for (int r = 0; r < comm.size(); ++r) {
      const Index end = r + 1 == comm.size() ? m
                        : r == 0             ? m / 2
                                             : m / 2 + (m - m / 2) * r / (comm.size() - 1);
      rows.bounds.push_back(end);
    }
    dist::align_id_map(comm, part, rows);
    EXPECT_EQ(part.first, rows.first(comm.rank()));
    EXPECT_EQ(part.held(), rows.count(comm.rank()));
    expect_partition_of(comm, part, whole);
  }
}

// Every entry, present or not, maps as through the whole map; integer
// columns against string maps and string columns against integer maps too.
TEST(PartitionedIdMap, RoutedLookupsAnswerAsTheWholeMap) {
  auto comm = dist::Communicator::world();
  for (const bool strings : {false, true}) {
    const math::IdColumn column = strings ? string_column(comm.rank()) : int_column(comm.rank());
    const math::IdMap whole = dist::build_id_map(comm, column);
    const math::IdMap part = dist::partition_id_map(comm, column);
    // Asked: this rank's own column plus ids no rank read.
    math::IdColumn asked = strings ? string_column((comm.rank() + 1) % comm.size())
                                   : int_column((comm.rank() + 1) % comm.size());
    if (strings) {
      asked.dictionary.push_back("nobody");
      asked.values.push_back(static_cast<std::int64_t>(asked.dictionary.size()) - 1);
    } else {
      asked.values.push_back(-1000);
      asked.values.push_back(1000);
    }
    EXPECT_EQ(dist::to_dense(comm, asked, part), dist::to_dense(asked, whole));
  }
  // Integer ids asked of a string map, and texts asked of an integer map.
  math::IdColumn texts = int_column(comm.rank());
  texts.to_string_mode();
  texts.dictionary.push_back("x7");
  texts.values.push_back(static_cast<std::int64_t>(texts.dictionary.size()) - 1);
  const math::IdMap int_whole = dist::build_id_map(comm, int_column(comm.rank()));
  const math::IdMap int_part = dist::partition_id_map(comm, int_column(comm.rank()));
  EXPECT_EQ(dist::to_dense(comm, texts, int_part), dist::to_dense(texts, int_whole));
  math::IdColumn plain = int_column(comm.rank());
  plain.to_string_mode();
  const math::IdMap str_whole = dist::build_id_map(comm, plain);
  const math::IdMap str_part = dist::partition_id_map(comm, plain);
  EXPECT_EQ(dist::to_dense(comm, int_column(comm.rank()), str_part),
            dist::to_dense(int_column(comm.rank()), str_whole));
}

// Names fetched for any dense indices: just those ids (the bounded cache),
// with the indices renumbered into them.
TEST(PartitionedIdMap, FetchNamesHoldsOnlyWhatWasAsked) {
  auto comm = dist::Communicator::world();
  const math::IdMap whole = dist::build_id_map(comm, string_column(comm.rank()));
  const math::IdMap part = dist::partition_id_map(comm, string_column(comm.rank()));
  const Index m = whole.size();
  std::vector<Index> asked = {m - 1, -1, comm.rank() % m, m - 1, 0};
  const std::vector<Index> original = asked;
  const math::IdMap named = dist::fetch_names(comm, part, asked);
  EXPECT_FALSE(named.partitioned());
  std::vector<Index> distinct;
  for (Index d : original)
    if (d >= 0) distinct.push_back(d);
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  EXPECT_EQ(named.held(), static_cast<Index>(distinct.size()));
  for (size_t j = 0; j < asked.size(); ++j) {
    if (original[j] < 0) {
      EXPECT_EQ(asked[j], -1);
    } else {
      EXPECT_EQ(named.name(asked[j]), whole.name(original[j]));
    }
  }
}

// The checkpoint and model checksums hash the map in dense order: the same
// value from the slices as from the whole map (resume across rank counts).
TEST(PartitionedIdMap, HashOfSlicesIsTheHashOfTheWholeMap) {
  auto comm = dist::Communicator::world();
  for (const bool strings : {false, true}) {
    const math::IdColumn column = strings ? string_column(comm.rank()) : int_column(comm.rank());
    const math::IdMap whole = dist::build_id_map(comm, column);
    const math::IdMap part = dist::partition_id_map(comm, column);
    EXPECT_EQ(io::hash_ids(comm, part), io::hash_ids(whole));
  }
}

// The real load: each rank ends with the ids of the users and items it owns
// and no others, and the dense ids of the ratings are those of the whole map
// (the rows of by_user are the users the whole map names at those indices).
TEST(PartitionedIdMap, LoadedTrainingDataHoldsOnlyTheRankRows) {
  auto comm = dist::Communicator::world();
  hpcrec::testing::SharedTempDir dir(comm);
  if (comm.rank() == 0) {
    std::ofstream f(dir.file("r.tsv"));
    for (int u = 0; u < 57; ++u)
      for (int j = 0; j < 5; ++j) f << "user" << (u * 37) % 101 << '\t' << (u * 13 + j * 29) % 83 << "\t4\n";
    std::ofstream t(dir.file("t.tsv"));
    t << "user0\t0\t3\nuser37\t13\t5\nnobody\t13\t1\nuser37\t999\t1\n";
  }
  comm.barrier();
  app::DataOptions o;
  o.ratings = dir.file("r.tsv");
  o.test = dir.file("t.tsv");
  const app::TrainingData data = app::load_training_data(comm, o);
  const int me = comm.rank();
  for (const math::IdMap* ids : {&data.user_ids, &data.item_ids}) EXPECT_TRUE(ids->partitioned());
  EXPECT_EQ(data.user_ids.first, data.users.first(me));
  EXPECT_EQ(data.user_ids.held(), data.users.count(me));
  EXPECT_EQ(data.item_ids.first, data.items.first(me));
  EXPECT_EQ(data.item_ids.held(), data.items.count(me));
  EXPECT_EQ(data.user_ids.size(), 57);
  // The whole map's order: ids sorted as text.
  o.whole_id_maps = true;
  const app::TrainingData reference = app::load_training_data(comm, o);
  EXPECT_FALSE(reference.user_ids.partitioned());
  EXPECT_EQ(dist::gather_id_map(comm, data.user_ids).strings, reference.user_ids.strings);
  EXPECT_EQ(dist::gather_id_map(comm, data.item_ids).ints, reference.item_ids.ints);
  EXPECT_EQ(data.by_user.cols, reference.by_user.cols);
  EXPECT_EQ(data.by_user.indptr, reference.by_user.indptr);
  ASSERT_EQ(data.test.size(), reference.test.size());
  for (size_t k = 0; k < data.test.size(); ++k) {
    EXPECT_EQ(data.test[k].user, reference.test[k].user);
    EXPECT_EQ(data.test[k].item, reference.test[k].item);
  }
  EXPECT_EQ(data.test_unknown, 2);
}

// The worked example of dist::balanced_partition (mpi/distribute.hpp): 64
// rows, k = 1, 40 ratings on rows 0..15, spread over the ranks.
TEST(BalancedPartition, WorkedExample) {
  auto comm = dist::Communicator::world();
  std::vector<Index> keys;
  for (int j = comm.rank(); j < 40; j += comm.size()) keys.push_back(j % 16);
  const dist::BlockPartition p = dist::balanced_partition(comm, keys, 64, 1);
  if (comm.size() == 2) {
    EXPECT_EQ(p.bounds, (std::vector<Index>{0, 16, 64}));
  }
  EXPECT_EQ(p.bounds,
            dist::BlockPartition::balanced(dist::global_row_counts(comm, keys, 64), comm.size(), 1).bounds);
}

// Skewed counts (a few heavy rows, many empty ones, -1 keys ignored), row
// counts that are and are not multiples of the chunk, more ranks than
// chunks: the same bounds as the whole-array computation, at every k tried.
TEST(BalancedPartition, BlocksOfCountsGiveTheWholeArrayPartition) {
  auto comm = dist::Communicator::world();
  for (const Index rows : {1, 15, 17, 100, 1000, 4099}) {
    std::vector<Index> keys;
    std::uint64_t x = 12345 + static_cast<std::uint64_t>(comm.rank()) * 777;
    for (int j = 0; j < 3000; ++j) {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      const auto v = static_cast<Index>((x >> 33) % static_cast<std::uint64_t>(rows));
      // Heavy rows: a quarter of the keys on the rows below rows / 10.
      keys.push_back(j % 4 == 0 ? v / 10 : j % 97 == 0 ? -1 : v);
    }
    for (const int k : {1, 8, 64}) {
      const auto whole =
          dist::BlockPartition::balanced(dist::global_row_counts(comm, keys, rows), comm.size(), k);
      EXPECT_EQ(dist::balanced_partition(comm, keys, rows, k).bounds, whole.bounds)
          << rows << " rows, k " << k;
    }
  }
}

}  // namespace
