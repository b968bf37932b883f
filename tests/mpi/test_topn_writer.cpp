// write_topn (CSV and HDF5) at 1-4 ranks: the same bytes / datasets whatever
// the rank count, including a rank with no users and a user with no rows.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "io/atomic_file.hpp"
#include "io/hdf5.hpp"
#include "io/topn_writer.hpp"
#include "mpi/communicator.hpp"
#include "tests/mpi/shared_temp_dir.hpp"

namespace fs = std::filesystem;
using hpcrec::dist::Communicator;
using namespace hpcrec;

namespace {

using TempDir = hpcrec::testing::SharedTempDir;

constexpr int kN = 3;
constexpr math::Index kUsers = 4;

// Every user's N slots (dense item, score); -1 marks an empty slot.
const std::vector<math::Index> kItemsOf = {2, 0, 4, -1, -1, -1, 1, -1, -1, 3, 2, -1};
const std::vector<double> kScoresOf = {0.5, 0.25, 1e-7, 0, 0, 0, 3.14159265358979, 0, 0, -2.5, 1234567.0, 0};

// At 3 and 4 ranks one rank holds no users; user 1 has no candidates.
io::TopNSlice make_slice(const Communicator& comm) {
  std::vector<math::Index> counts;
  switch (comm.size()) {
    case 1:
      counts = {4};
      break;
    case 2:
      counts = {1, 3};
      break;
    case 3:
      counts = {2, 0, 2};
      break;
    default:
      counts = {1, 1, 0, 2};
      break;
  }
  io::TopNSlice s;
  s.n = kN;
  for (int r = 0; r < comm.rank(); ++r) s.first_user += counts[r];
  s.users = counts[comm.rank()];
  s.items.assign(kItemsOf.begin() + s.first_user * kN, kItemsOf.begin() + (s.first_user + s.users) * kN);
  s.scores.assign(kScoresOf.begin() + s.first_user * kN, kScoresOf.begin() + (s.first_user + s.users) * kN);
  return s;
}

math::IdMap int_users() {
  math::IdMap m;
  m.ints = {3, 8, 12, 40};
  return m;
}
math::IdMap int_items() {
  math::IdMap m;
  m.ints = {100, 200, 300, 400, 500};
  return m;
}
math::IdMap string_users() {
  math::IdMap m;
  m.is_string = true;
  m.strings = {"a,b", "plain", "q\"uote", "zed"};
  return m;
}
math::IdMap string_items() {
  math::IdMap m;
  m.is_string = true;
  m.strings = {"i1", "i2", "i3", "i4", "long-item-name-5"};
  return m;
}

const char* kIntCsv =
    "user,rank,item,score\n"
    "3,1,300,0.5\n"
    "3,2,100,0.25\n"
    "3,3,500,1e-07\n"
    "12,1,200,3.14159\n"
    "40,1,400,-2.5\n"
    "40,2,300,1.23457e+06\n";

const char* kStringCsv =
    "user,rank,item,score\n"
    "\"a,b\",1,i3,0.5\n"
    "\"a,b\",2,i1,0.25\n"
    "\"a,b\",3,long-item-name-5,1e-07\n"
    "\"q\"\"uote\",1,i2,3.14159\n"
    "zed,1,i4,-2.5\n"
    "zed,2,i3,1.23457e+06\n";

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(TopNWriter, CsvIsTheSameTextAtAnyRankCount) {
  auto comm = Communicator::world();
  TempDir dir(comm);
  const std::string path = dir.file("topn.csv");
  // A longer stale .tmp must not leave its tail in the result.
  if (comm.rank() == 0) std::ofstream(io::tmp_path(path)) << std::string(10000, 'x');
  io::write_topn(comm, path, make_slice(comm), int_users(), int_items());
  comm.barrier();
  if (comm.rank() == 0) {
    EXPECT_EQ(slurp(path), kIntCsv);
    EXPECT_FALSE(fs::exists(io::tmp_path(path)));
  }
}

TEST(TopNWriter, CsvQuotesStringIdsThatNeedIt) {
  auto comm = Communicator::world();
  TempDir dir(comm);
  const std::string path = dir.file("topn.txt");
  io::write_topn_csv(comm, path, make_slice(comm), string_users(), string_items());
  comm.barrier();
  if (comm.rank() == 0) {
    EXPECT_EQ(slurp(path), kStringCsv);
  }
}

TEST(TopNWriter, CsvIntoAMissingDirectoryThrowsEverywhere) {
  auto comm = Communicator::world();
  TempDir dir(comm);
  const std::string path = dir.file("missing/topn.csv");
  int threw = 0;
  try {
    io::write_topn(comm, path, make_slice(comm), int_users(), int_items());
  } catch (const std::exception& e) {
    threw = 1;
    EXPECT_NE(std::string(e.what()).find("missing/topn.csv.tmp"), std::string::npos) << e.what();
  }
  EXPECT_EQ(comm.allgather(threw), std::vector<int>(comm.size(), 1));
  EXPECT_FALSE(fs::exists(path));
}

TEST(TopNWriter, AMismatchedSliceOnOneRankThrowsEverywhere) {
  auto comm = Communicator::world();
  TempDir dir(comm);
  const std::string path = dir.file("topn.h5");
  io::TopNSlice s = make_slice(comm);
  if (comm.rank() == comm.size() - 1) s.scores.push_back(1.0);
  int threw = 0;
  try {
    io::write_topn(comm, path, s, int_users(), int_items());
  } catch (const std::exception&) {
    threw = 1;
  }
  EXPECT_EQ(comm.allgather(threw), std::vector<int>(comm.size(), 1));
  EXPECT_FALSE(fs::exists(path));
}

void expect_scores(io::h5::Dataset& ds) {
  std::vector<hsize_t> dims;
  auto scores = io::h5::read_all<double>(ds.get(), &dims);
  EXPECT_EQ(dims, (std::vector<hsize_t>{kUsers, kN}));
  ASSERT_EQ(scores.size(), kScoresOf.size());
  for (std::size_t i = 0; i < scores.size(); ++i) {
    if (kItemsOf[i] < 0) {
      EXPECT_TRUE(std::isnan(scores[i])) << i;
    } else {
      EXPECT_EQ(scores[i], kScoresOf[i]) << i;
    }
  }
}

TEST(TopNWriter, Hdf5WithIntegerIds) {
  auto comm = Communicator::world();
  TempDir dir(comm);
  const std::string path = dir.file("topn.H5");
  io::write_topn(comm, path, make_slice(comm), int_users(), int_items());
  comm.barrier();
  if (comm.rank() != 0) return;
  EXPECT_FALSE(fs::exists(io::tmp_path(path)));
  io::h5::File f = io::h5::open_serial(path);
  io::h5::Dataset users = io::h5::open_dataset(f.get(), "/topn/users");
  EXPECT_EQ(io::h5::read_all<std::int64_t>(users.get()), int_users().ints);
  io::h5::Dataset items = io::h5::open_dataset(f.get(), "/topn/items");
  std::vector<hsize_t> dims;
  EXPECT_EQ(io::h5::read_all<std::int64_t>(items.get(), &dims),
            (std::vector<std::int64_t>{300, 100, 500, -1, -1, -1, 200, -1, -1, 400, 300, -1}));
  EXPECT_EQ(dims, (std::vector<hsize_t>{kUsers, kN}));
  io::h5::Dataset scores = io::h5::open_dataset(f.get(), "/topn/scores");
  expect_scores(scores);
  io::h5::Group topn = io::h5::open_group(f.get(), "topn");
  EXPECT_EQ(io::h5::read_attribute(topn.get(), "n"), io::h5::AttributeValue(std::int64_t{kN}));
}

TEST(TopNWriter, Hdf5WithStringIds) {
  auto comm = Communicator::world();
  TempDir dir(comm);
  const std::string path = dir.file("topn.hdf5");
  io::write_topn(comm, path, make_slice(comm), string_users(), string_items());
  comm.barrier();
  if (comm.rank() != 0) return;
  io::h5::File f = io::h5::open_serial(path);
  io::h5::Dataset users = io::h5::open_dataset(f.get(), "/topn/users");
  EXPECT_EQ(io::h5::read_strings(users.get()), string_users().strings);
  io::h5::Dataset items = io::h5::open_dataset(f.get(), "/topn/items");
  EXPECT_EQ(io::h5::dataset_dims(items.get()), (std::vector<hsize_t>{kUsers, kN}));
  EXPECT_EQ(
      io::h5::read_strings(items.get()),
      (std::vector<std::string>{"i3", "i1", "long-item-name-5", "", "", "", "i2", "", "", "i4", "i3", ""}));
  io::h5::Dataset scores = io::h5::open_dataset(f.get(), "/topn/scores");
  expect_scores(scores);
}

}  // namespace
