// write_model at 1-4 ranks (uneven slices, one rank empty at 4), read back
// whole with read_model; failure leaves every rank throwing and no file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "io/atomic_file.hpp"
#include "io/checkpoint.hpp"
#include "io/hdf5.hpp"
#include "io/model_file.hpp"
#include "mpi/communicator.hpp"
#include "src/errors.hpp"
#include "tests/mpi/shared_temp_dir.hpp"

namespace fs = std::filesystem;
using hpcrec::dist::Communicator;
using namespace hpcrec;

namespace {

using TempDir = hpcrec::testing::SharedTempDir;

constexpr math::Index kUsers = 7, kItems = 5, kFactors = 3;

// Uneven splits of 7 users / 5 items; at 4 ranks rank 1 owns no users and
// rank 2 no items.
std::vector<math::Index> counts(int size, bool users) {
  switch (size) {
    case 1:
      return {users ? kUsers : kItems};
    case 2:
      return users ? std::vector<math::Index>{5, 2} : std::vector<math::Index>{1, 4};
    case 3:
      return users ? std::vector<math::Index>{2, 4, 1} : std::vector<math::Index>{3, 1, 1};
    case 4:
      return users ? std::vector<math::Index>{3, 0, 2, 2} : std::vector<math::Index>{1, 2, 0, 2};
  }
  std::abort();
}

std::pair<math::Index, math::Index> range_of(const Communicator& comm, bool users) {
  auto c = counts(comm.size(), users);
  math::Index first = 0;
  for (int r = 0; r < comm.rank(); ++r) first += c[r];
  return {first, c[comm.rank()]};
}

double user_factor(math::Index u, int f) { return u * 10.0 + f + 0.25; }
double item_factor(math::Index i, int f) { return 100.0 + i * 10.0 + f + 0.125; }
double user_bias(math::Index u) { return -0.5 * u; }
double item_bias(math::Index i) { return 0.75 * i - 1; }
// User u rated item i in training: a pattern with empty rows (u = 1, 5).
bool rated(math::Index u, math::Index i) { return u % 4 != 1 && (u + i) % 3 != 0; }

struct Slice {
  math::IdMap users, items;
  math::Matrix uf, itf;
  math::Vector ub, ib;
  math::CsrBlock train;
  io::ModelSlice slice;
};

std::unique_ptr<Slice> make_slice(const Communicator& comm, math::IdMap users, math::IdMap items) {
  auto s = std::make_unique<Slice>();
  s->users = std::move(users);
  s->items = std::move(items);
  auto [uf, un] = range_of(comm, true);
  auto [if_, in] = range_of(comm, false);
  // Zero-row slices as a partitioner would hand them over: 0 x 0.
  s->uf.resize(un, un ? kFactors : 0);
  s->ub.resize(un);
  for (math::Index r = 0; r < un; ++r) {
    for (int f = 0; f < kFactors; ++f) s->uf(r, f) = user_factor(uf + r, f);
    s->ub(r) = user_bias(uf + r);
  }
  s->itf.resize(in, in ? kFactors : 0);
  s->ib.resize(in);
  for (math::Index r = 0; r < in; ++r) {
    for (int f = 0; f < kFactors; ++f) s->itf(r, f) = item_factor(if_ + r, f);
    s->ib(r) = item_bias(if_ + r);
  }
  s->train.first_row = uf;
  for (math::Index r = 0; r < un; ++r) {
    for (math::Index i = 0; i < kItems; ++i) {
      if (rated(uf + r, i)) {
        s->train.cols.push_back(i);
        s->train.values.push_back(1.0f);
      }
    }
    s->train.indptr.push_back(static_cast<math::Offset>(s->train.cols.size()));
  }
  s->slice.attributes = {{"algorithm", std::string("als-explicit")},
                         {"lambda", 0.05},
                         {"iterations", std::int64_t{10}},
                         {"seed", std::int64_t{42}},
                         {"global_mean", 3.5},
                         {"note", std::string()}};
  s->slice.users = {&s->users, uf, &s->uf, &s->ub};
  s->slice.items = {&s->items, if_, &s->itf, &s->ib};
  s->slice.train = &s->train;
  return s;
}

void expect_model(const io::Model& m, const math::IdMap& users, const math::IdMap& items) {
  EXPECT_EQ(m.user_ids.is_string, users.is_string);
  EXPECT_EQ(m.user_ids.ints, users.ints);
  EXPECT_EQ(m.user_ids.strings, users.strings);
  EXPECT_EQ(m.item_ids.is_string, items.is_string);
  EXPECT_EQ(m.item_ids.ints, items.ints);
  EXPECT_EQ(m.item_ids.strings, items.strings);
  ASSERT_EQ(m.user_factors.rows(), kUsers);
  ASSERT_EQ(m.user_factors.cols(), kFactors);
  ASSERT_EQ(m.item_factors.rows(), kItems);
  ASSERT_EQ(m.item_factors.cols(), kFactors);
  ASSERT_EQ(m.user_bias.size(), kUsers);
  ASSERT_EQ(m.item_bias.size(), kItems);
  for (math::Index u = 0; u < kUsers; ++u) {
    for (int f = 0; f < kFactors; ++f) EXPECT_EQ(m.user_factors(u, f), user_factor(u, f));
    EXPECT_EQ(m.user_bias(u), user_bias(u));
  }
  for (math::Index i = 0; i < kItems; ++i) {
    for (int f = 0; f < kFactors; ++f) EXPECT_EQ(m.item_factors(i, f), item_factor(i, f));
    EXPECT_EQ(m.item_bias(i), item_bias(i));
  }
  std::vector<math::Offset> indptr{0};
  std::vector<math::Index> items_rated;
  for (math::Index u = 0; u < kUsers; ++u) {
    for (math::Index i = 0; i < kItems; ++i)
      if (rated(u, i)) items_rated.push_back(i);
    indptr.push_back(static_cast<math::Offset>(items_rated.size()));
  }
  EXPECT_EQ(m.train_indptr, indptr);
  EXPECT_EQ(m.train_items, items_rated);

  const io::Attributes expected = {{"algorithm", std::string("als-explicit")},
                                   {"lambda", 0.05},
                                   {"iterations", std::int64_t{10}},
                                   {"seed", std::int64_t{42}},
                                   {"global_mean", 3.5},
                                   {"note", std::string()},
                                   {"format_version", std::int64_t{io::kModelFormatVersion}},
                                   {"factors", std::int64_t{kFactors}}};
  // read_model verified the checksum; the other attributes are the slice's.
  io::Attributes attributes = m.attributes;
  EXPECT_EQ(attributes.erase("model_checksum"), 1u);
  EXPECT_EQ(attributes, expected);
  EXPECT_EQ(m.global_mean(), 3.5);
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Every rank's verdict on whether `f` threw, gathered: all must agree.
template <class F>
std::vector<int> who_threw(const Communicator& comm, F&& f, std::string* message = nullptr) {
  int threw = 0;
  try {
    f();
  } catch (const std::exception& e) {
    threw = 1;
    if (message) *message = e.what();
  }
  return comm.allgather(threw);
}

math::IdMap int_users() {
  return math::IdMap::from_ints({-5, 2, 3, 10, 77, 1000000000000LL, 1000000000001LL});
}
math::IdMap int_items() { return math::IdMap::from_ints({1, 4, 9, 16, 25}); }

TEST(ModelFile, IntegerIdsRoundTripAtAnyRankCount) {
  auto comm = Communicator::world();
  TempDir dir(comm);
  const std::string path = dir.file("model.h5");
  auto s = make_slice(comm, int_users(), int_items());
  io::write_model(comm, path, s->slice);
  comm.barrier();
  if (comm.rank() == 0) {
    EXPECT_TRUE(fs::exists(path));
    EXPECT_FALSE(fs::exists(io::tmp_path(path)));
    expect_model(io::read_model(path), s->users, s->items);
  }
}

TEST(ModelFile, StringIdsRoundTripWithTheLongestIdOnOneRank) {
  auto comm = Communicator::world();
  TempDir dir(comm);
  const std::string path = dir.file("model.h5");
  // Sorted by bytes; the longest user id is the last one, the longest item
  // id the first, so the fixed length must come from an allreduce.
  auto s = make_slice(
      comm,
      math::IdMap::from_strings({"alice", "bob", "carol", "dave", "eve", "u", "zoe-with-a-very-long-name"}),
      math::IdMap::from_strings({"item-number-one", "j", "k2", "l33", "m"}));
  io::write_model(comm, path, s->slice);
  comm.barrier();
  if (comm.rank() == 0) {
    EXPECT_FALSE(fs::exists(io::tmp_path(path)));
    expect_model(io::read_model(path), s->users, s->items);
  }
}

TEST(ModelFile, RewriteReplacesTheFileAndIgnoresAStaleTmp) {
  auto comm = Communicator::world();
  TempDir dir(comm);
  const std::string path = dir.file("model.h5");
  if (comm.rank() == 0) std::ofstream(io::tmp_path(path)) << std::string(100000, 'x');
  auto s = make_slice(comm, int_users(), int_items());
  io::write_model(comm, path, s->slice);
  io::write_model(comm, path, s->slice);
  comm.barrier();
  if (comm.rank() == 0) {
    EXPECT_FALSE(fs::exists(io::tmp_path(path)));
    expect_model(io::read_model(path), s->users, s->items);
  }
}

TEST(ModelFile, MissingDirectoryThrowsOnEveryRankAndLeavesNoFile) {
  auto comm = Communicator::world();
  TempDir dir(comm);
  const std::string path = dir.file("no/such/dir/model.h5");
  auto s = make_slice(comm, int_users(), int_items());
  std::string message;
  auto threw = who_threw(
      comm, [&] { io::write_model(comm, path, s->slice); }, &message);
  EXPECT_EQ(threw, std::vector<int>(comm.size(), 1));
  EXPECT_NE(message.find("no/such/dir/model.h5.tmp"), std::string::npos) << message;
  EXPECT_FALSE(fs::exists(path));
  EXPECT_FALSE(fs::exists(io::tmp_path(path)));
}

TEST(ModelFile, ABadSliceOnOneRankThrowsEverywhereAndKeepsTheOldFile) {
  auto comm = Communicator::world();
  TempDir dir(comm);
  const std::string path = dir.file("model.h5");
  auto good = make_slice(comm, int_users(), int_items());
  io::write_model(comm, path, good->slice);
  comm.barrier();
  const std::string before = comm.rank() == 0 ? slurp(path) : std::string();

  auto bad = make_slice(comm, int_users(), int_items());
  // Only the last rank's bias is short: the others must not be left waiting.
  if (comm.rank() == comm.size() - 1) bad->ub.resize(bad->ub.size() + 1);
  std::string message;
  auto threw = who_threw(
      comm, [&] { io::write_model(comm, path, bad->slice); }, &message);
  EXPECT_EQ(threw, std::vector<int>(comm.size(), 1));
  EXPECT_NE(message.find("bias"), std::string::npos) << message;
  comm.barrier();
  if (comm.rank() == 0) {
    EXPECT_EQ(slurp(path), before);
    EXPECT_FALSE(fs::exists(io::tmp_path(path)));
  }
}

TEST(ModelFile, SlicesThatDoNotTileTheUsersAreRejectedEverywhere) {
  auto comm = Communicator::world();
  TempDir dir(comm);
  const std::string path = dir.file("model.h5");
  auto s = make_slice(comm, int_users(), int_items());
  // Every rank claims to start at 0: fine alone, overlapping with more ranks.
  s->slice.users.first = 0;
  s->train.first_row = 0;
  const bool rows_fit = s->uf.rows() <= kUsers;
  ASSERT_TRUE(rows_fit);
  auto threw = who_threw(comm, [&] { io::write_model(comm, path, s->slice); });
  const int expected = comm.size() == 1 ? 0 : 1;
  EXPECT_EQ(threw, std::vector<int>(comm.size(), expected));
}

TEST(ModelFile, ReadRejectsFilesThatAreNotModels) {
  auto comm = Communicator::world();
  TempDir dir(comm);
  if (comm.rank() != 0) return;
  const std::string missing = dir.file("missing.h5");
  EXPECT_THROW(io::read_model(missing), InputError);

  const std::string text = dir.file("text.h5");
  std::ofstream(text) << "user,item,rating\n";
  try {
    io::read_model(text);
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), text + ": not an HDF5 file");
  }

  // A valid HDF5 file without the model's datasets.
  const std::string other = dir.file("other.h5");
  {
    auto self = Communicator::self();
    io::h5::File f = io::h5::create_parallel(other, self.raw());
    io::h5::write_attribute(f.get(), "format_version", std::int64_t{1});
    f.close();
  }
  try {
    io::read_model(other);
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), other + ": not an hpcrec model file (missing /users/factors)");
  }
}

// Overwrites element 0 of /users/factors in place (rank 0, serial access).
void poke_first_user_factor(const std::string& path, double value) {
  auto self = Communicator::self();
  io::h5::File f = io::h5::open_parallel(path, self.raw(), H5F_ACC_RDWR);
  io::h5::Dataset ds = io::h5::open_dataset(f.get(), "/users/factors");
  std::vector<double> all = io::h5::read_all<double>(ds.get());
  all[0] = value;
  HPCREC_H5(H5Dwrite(ds.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, all.data()));
  ds = io::h5::Dataset();
  f.close();
}

std::string read_error(const std::string& path) {
  try {
    io::read_model(path);
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

TEST(ModelFile, ReadRejectsAFileChangedOnDiskByItsChecksum) {
  auto comm = Communicator::world();
  TempDir dir(comm);
  const std::string path = dir.file("model.h5");
  auto s = make_slice(comm, int_users(), int_items());
  io::write_model(comm, path, s->slice);
  comm.barrier();
  if (comm.rank() != 0) return;
  poke_first_user_factor(path, 0.5);
  EXPECT_EQ(read_error(path),
            path +
                ": ids, factors or training ratings do not match the stored checksum: the file "
                "is damaged (write it again)");
  // Files written before the checksum existed load unchecked.
  {
    auto self = Communicator::self();
    io::h5::File f = io::h5::open_parallel(path, self.raw(), H5F_ACC_RDWR);
    HPCREC_H5(H5Adelete(f.get(), "model_checksum"));
    f.close();
  }
  EXPECT_EQ(io::read_model(path).user_factors(0, 0), 0.5);
  // A non-finite factor is refused with or without a checksum.
  poke_first_user_factor(path, std::nan(""));
  EXPECT_NE(read_error(path).find(path + ": /users/factors holds a non-finite value"), std::string::npos)
      << read_error(path);
}

TEST(ModelFile, ReadRejectsAnotherFormatVersion) {
  auto comm = Communicator::world();
  TempDir dir(comm);
  const std::string path = dir.file("model.h5");
  auto s = make_slice(comm, int_users(), int_items());
  io::write_model(comm, path, s->slice);
  comm.barrier();
  if (comm.rank() != 0) return;
  {
    auto self = Communicator::self();
    io::h5::File f = io::h5::open_parallel(path, self.raw(), H5F_ACC_RDWR);
    io::h5::write_attribute(f.get(), "format_version", std::int64_t{99});
    f.close();
  }
  try {
    io::read_model(path);
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("version 99 is not supported"), std::string::npos) << e.what();
  }
}

// Rotation keeps the newest two and removes what a job killed mid-write left
// (ckpt-000002.h5.vm-1.tmp, and Open MPI's probe file beside it,
// ckpt-000002.h5.vm-1.tmp.locktest.1), but not a .tmp numbered above the checkpoint
// just written, nor files that are not checkpoints.
TEST(Checkpoint, RotationKeepsTheNewestAndRemovesLeftoverTmpFiles) {
  auto comm = Communicator::world();
  TempDir dir(comm);
  const std::string ck = dir.file("ck");
  if (comm.rank() == 0) {
    fs::create_directories(ck);
    for (const char* name : {"ckpt-000002.h5.vm-1.tmp", "ckpt-000002.h5.vm-1.tmp.locktest.1",
                             "ckpt-000003.h5.tmp", "ckpt-000009.h5.vm-1.tmp", "notes.tmp"})
      std::ofstream(ck + "/" + name) << "partial";
  }
  comm.barrier();
  auto s = make_slice(comm, int_users(), int_items());
  io::CheckpointSlice c;
  c.hyper = {{"algorithm", std::string("als-explicit")}, {"factors", std::int64_t{kFactors}}};
  c.users = s->slice.users;
  c.items = s->slice.items;
  for (std::int64_t it = 1; it <= 4; ++it) {
    c.iteration = it;
    io::write_checkpoint(comm, ck, c, 2);
  }
  comm.barrier();
  if (comm.rank() != 0) return;
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(ck)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"ckpt-000003.h5", "ckpt-000004.h5", "ckpt-000009.h5.vm-1.tmp",
                                             "notes.tmp"}));
}

}  // namespace
