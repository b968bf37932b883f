// Item embeddings (HDF5): round trips with integer and string ids, float and
// double data, files as other tools write them (narrow integers, h5py's
// variable-length strings), alignment to a training item map with missing
// and extra items, l2 normalisation, every error with its message, and the
// planted factors of the synthetic generator driving the content model.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "io/atomic_file.hpp"
#include "io/hdf5.hpp"
#include "io/item_embeddings.hpp"
#include "src/content.hpp"
#include "src/errors.hpp"
#include "src/synthetic.hpp"

using namespace hpcrec;
using namespace hpcrec::io;
using math::Index;
using math::Matrix;

namespace {

std::filesystem::path temp_dir() {
  return std::filesystem::temp_directory_path() / ("hpcrec_item_embeddings_" + std::to_string(::getpid()));
}

std::string temp_path(const std::string& name) {
  std::filesystem::create_directories(temp_dir());
  return (temp_dir() / name).string();
}

// Removes the scratch files after each test.
class ItemEmbeddingsFile : public ::testing::Test {
 protected:
  void TearDown() override { std::filesystem::remove_all(temp_dir()); }
};

Matrix matrix(Index rows, Index cols, std::initializer_list<double> values) {
  Matrix m(rows, cols);
  std::copy(values.begin(), values.end(), m.data());
  return m;
}

std::string error_of(const std::string& path) {
  try {
    read_item_embeddings(path);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no InputError)";
}

// Raw files, for layouts write_item_embeddings does not produce.
class RawFile {
 public:
  explicit RawFile(const std::string& path) : path_(path) {
    h5::silence_errors();
    file_ = h5::File(HPCREC_H5(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT)));
    group_ = h5::create_group(file_.get(), "items");
  }
  // A dataset of `file_type` with extent `dims`, filled from `data` of `mem_type`.
  void add(const std::string& name, hid_t file_type, hid_t mem_type, std::vector<hsize_t> dims,
           const void* data) {
    h5::Dataset ds = h5::create_dataset(group_.get(), name, file_type, dims);
    hsize_t total = 1;
    for (hsize_t d : dims) total *= d;
    if (total > 0) HPCREC_H5(H5Dwrite(ds.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data));
  }
  void add_doubles(const std::string& name, std::vector<hsize_t> dims, const std::vector<double>& v) {
    add(name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, std::move(dims), v.data());
  }
  void add_ints(const std::string& name, std::vector<hsize_t> dims, const std::vector<std::int64_t>& v) {
    add(name, H5T_STD_I64LE, H5T_NATIVE_INT64, std::move(dims), v.data());
  }
  // Variable-length UTF-8 strings, as h5py writes a list of str.
  void add_vlen_strings(const std::string& name, const std::vector<std::string>& v) {
    h5::Datatype type(HPCREC_H5(H5Tcopy(H5T_C_S1)));
    HPCREC_H5(H5Tset_size(type.get(), H5T_VARIABLE));
    HPCREC_H5(H5Tset_cset(type.get(), H5T_CSET_UTF8));
    const hsize_t n = v.size();
    h5::Dataspace space(HPCREC_H5(H5Screate_simple(1, &n, nullptr)));
    h5::Dataset ds(HPCREC_H5(H5Dcreate2(group_.get(), name.c_str(), type.get(), space.get(), H5P_DEFAULT,
                                        H5P_DEFAULT, H5P_DEFAULT)));
    std::vector<const char*> ptrs;
    for (const auto& s : v) ptrs.push_back(s.c_str());
    HPCREC_H5(H5Dwrite(ds.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()));
  }
  const std::string& close() {
    group_.close();
    file_.close();
    return path_;
  }

 private:
  std::string path_;
  h5::File file_;
  h5::Group group_;
};

}  // namespace

TEST_F(ItemEmbeddingsFile, RoundTripIntegerIdsFloat) {
  const std::string path = temp_path("int_float.h5");
  const std::vector<std::int64_t> ids = {7, 3, -12};
  const Matrix v = matrix(3, 2, {3, 4, 0.1, -0.2, 1e-3, 5});
  write_item_embeddings(path, ids, v);  // float by default
  EXPECT_FALSE(std::filesystem::exists(tmp_path(path)));
  const ItemEmbeddings e = read_item_embeddings(path);
  EXPECT_TRUE(e.integer_ids);
  EXPECT_EQ(e.ids, (std::vector<std::string>{"7", "3", "-12"}));  // file order, decimal text
  ASSERT_EQ(e.size(), 3u);
  ASSERT_EQ(e.dimension(), 2);
  for (Index r = 0; r < 3; ++r) {
    for (Index c = 0; c < 2; ++c)
      EXPECT_EQ(e.vectors(r, c), static_cast<double>(static_cast<float>(v(r, c))));
  }
  const math::IdMap m = e.id_map();
  EXPECT_FALSE(m.is_string);
  EXPECT_EQ(m.ints, (std::vector<std::int64_t>{-12, 3, 7}));
}

TEST_F(ItemEmbeddingsFile, RoundTripStringIdsDouble) {
  const std::string path = temp_path("str_double.h5");
  const std::vector<std::string> ids = {"b", "a", "007", "long-id-with-more-bytes"};
  const Matrix v = matrix(4, 3, {0.1, 0.2, 0.3, -1, 0, 1, 1e-300, 1e300, 2, 0, 0, 0});
  write_item_embeddings(path, ids, v, EmbeddingPrecision::kDouble);
  const ItemEmbeddings e = read_item_embeddings(path);
  EXPECT_FALSE(e.integer_ids);  // "007" is not canonical: a string, as in a ratings file
  EXPECT_EQ(e.ids, ids);
  EXPECT_EQ(e.vectors, v);  // bit for bit
  const math::IdMap m = e.id_map();
  EXPECT_TRUE(m.is_string);
  EXPECT_EQ(m.strings, (std::vector<std::string>{"007", "a", "b", "long-id-with-more-bytes"}));
}

// Strings that are canonical integers are integer ids (they match an integer
// ratings map), like "7" in a ratings file.
TEST_F(ItemEmbeddingsFile, StringIdsThatAreIntegers) {
  const std::string path = temp_path("str_int.h5");
  write_item_embeddings(path, std::vector<std::string>{"10", "2", "-5"}, matrix(3, 1, {1, 2, 3}));
  const ItemEmbeddings e = read_item_embeddings(path);
  EXPECT_TRUE(e.integer_ids);
  EXPECT_EQ(e.id_map().ints, (std::vector<std::int64_t>{-5, 2, 10}));
}

TEST_F(ItemEmbeddingsFile, OtherToolsLayouts) {
  // Narrow unsigned ids, float32 data and h5py's variable-length strings.
  RawFile a(temp_path("u8.h5"));
  const std::vector<std::uint8_t> small = {200, 1};
  a.add("ids", H5T_STD_U8LE, H5T_NATIVE_UINT8, {2}, small.data());
  const std::vector<float> f = {1.5f, -2.f};
  a.add("embeddings", H5T_IEEE_F32BE, H5T_NATIVE_FLOAT, {2, 1}, f.data());
  ItemEmbeddings e = read_item_embeddings(a.close());
  EXPECT_EQ(e.ids, (std::vector<std::string>{"200", "1"}));
  EXPECT_EQ(e.vectors(0, 0), 1.5);
  EXPECT_EQ(e.vectors(1, 0), -2.0);

  RawFile b(temp_path("vlen.h5"));
  b.add_vlen_strings("ids", {"tt0114709", "42"});
  b.add_doubles("embeddings", {2, 2}, {1, 0, 0, 1});
  e = read_item_embeddings(b.close());
  EXPECT_FALSE(e.integer_ids);
  EXPECT_EQ(e.ids, (std::vector<std::string>{"tt0114709", "42"}));

  // uint64 ids within the int64 range are fine; beyond it they are an error.
  RawFile c(temp_path("u64.h5"));
  const std::vector<std::uint64_t> big = {5, std::uint64_t{1} << 63};
  c.add("ids", H5T_STD_U64LE, H5T_NATIVE_UINT64, {2}, big.data());
  c.add_doubles("embeddings", {2, 1}, {1, 2});
  const std::string path = c.close();
  EXPECT_EQ(error_of(path),
            path + ": /items/ids: id 9223372036854775808 at row 1 is beyond the 64-bit signed range of ids");
}

// The header's worked example, then the same file against a map that also
// holds the embedding-only item (cold start) and against a string map.
TEST_F(ItemEmbeddingsFile, AlignedToItemMap) {
  const std::string path = temp_path("align.h5");
  write_item_embeddings(path, std::vector<std::int64_t>{7, 3}, matrix(2, 2, {3, 4, 0, 0}));
  const ItemEmbeddings e = read_item_embeddings(path);

  Index matched = -1;
  const math::CsrBlock rows = e.aligned(math::IdMap::from_ints({3, 5, 7}), &matched);
  EXPECT_EQ(matched, 2);
  EXPECT_EQ(rows.first_row, 0);
  ASSERT_EQ(rows.rows(), 3);
  EXPECT_EQ(rows.row_nnz(0), 0);  // id 3: a zero vector has no direction
  EXPECT_EQ(rows.row_nnz(1), 0);  // id 5: no embedding
  ASSERT_EQ(rows.row_nnz(2), 2);  // id 7: (3, 4) / 5
  EXPECT_EQ(std::vector<Index>(rows.row_cols(2).begin(), rows.row_cols(2).end()), (std::vector<Index>{0, 1}));
  EXPECT_FLOAT_EQ(rows.row_values(2)[0], 0.6f);
  EXPECT_FLOAT_EQ(rows.row_values(2)[1], 0.8f);

  // Items known only from the embeddings join the map (IdMap::merged), as
  // item metadata does for TF-IDF.
  const math::IdMap ratings_items = math::IdMap::from_ints({5, 7, 9});
  const math::IdMap all = ratings_items.merged(e.id_map());
  EXPECT_EQ(all.ints, (std::vector<std::int64_t>{3, 5, 7, 9}));
  const math::CsrBlock cold = e.aligned(all, &matched);
  EXPECT_EQ(matched, 2);
  ASSERT_EQ(cold.rows(), 4);
  EXPECT_EQ(cold.row_nnz(0), 0);
  EXPECT_EQ(cold.row_nnz(1), 0);
  EXPECT_EQ(cold.row_nnz(2), 2);
  EXPECT_EQ(cold.row_nnz(3), 0);
  // Without the merge, the embedding-only item 3 is simply not there.
  EXPECT_EQ(e.aligned(ratings_items, &matched).rows(), 3);
  EXPECT_EQ(matched, 1);

  // A string map (the ratings held a non-integer id) still finds "7".
  const math::CsrBlock s = e.aligned(math::IdMap::from_strings({"7", "u1"}), &matched);
  EXPECT_EQ(matched, 1);
  ASSERT_EQ(s.rows(), 2);
  EXPECT_EQ(s.row_nnz(0), 2);
  EXPECT_EQ(s.row_nnz(1), 0);

  // The rows are what the content model takes.
  const math::ContentIndex index(cold);
  EXPECT_EQ(index.items(), 4);
  EXPECT_EQ(index.terms(), 2);
}

// "007" is a string id: it must not match integer item 7 (a ratings file
// with "007" would not have given item 7 either), but matches "007" itself.
TEST_F(ItemEmbeddingsFile, NonCanonicalIntegerIsAString) {
  const std::string path = temp_path("leading_zero.h5");
  write_item_embeddings(path, std::vector<std::string>{"007", "8"}, matrix(2, 1, {1, 1}));
  const ItemEmbeddings e = read_item_embeddings(path);
  Index matched = -1;
  const math::CsrBlock rows = e.aligned(math::IdMap::from_ints({7, 8}), &matched);
  EXPECT_EQ(matched, 1);
  EXPECT_EQ(rows.row_nnz(0), 0);
  EXPECT_EQ(rows.row_nnz(1), 1);
  e.aligned(math::IdMap::from_strings({"007", "7", "8"}), &matched);
  EXPECT_EQ(matched, 2);
}

TEST_F(ItemEmbeddingsFile, Normalisation) {
  ItemEmbeddings e;
  e.ids = {"1", "2", "3", "4", "5"};
  e.vectors = matrix(5, 3,
                     {
                         3, 4, 0,          // (0.6, 0.8), the exact 0 left out
                         -2, 0, 0,         // (-1)
                         1e200, 1e200, 0,  // no overflow: (1/sqrt 2, 1/sqrt 2)
                         1e-200, 0, 0,     // no underflow: (1)
                         1, 2, 2,          // (1/3, 2/3, 2/3)
                     });
  const math::CsrBlock r = e.aligned(math::IdMap::from_ints({1, 2, 3, 4, 5}));
  ASSERT_EQ(r.rows(), 5);
  auto row = [&](Index i) {
    std::vector<std::pair<Index, float>> out;
    for (std::size_t k = 0; k < r.row_cols(i).size(); ++k)
      out.emplace_back(r.row_cols(i)[k], r.row_values(i)[k]);
    return out;
  };
  EXPECT_EQ(row(0), (std::vector<std::pair<Index, float>>{{0, 0.6f}, {1, 0.8f}}));
  EXPECT_EQ(row(1), (std::vector<std::pair<Index, float>>{{0, -1.f}}));
  const auto s = static_cast<float>(1 / std::sqrt(2.0));
  EXPECT_EQ(row(2), (std::vector<std::pair<Index, float>>{{0, s}, {1, s}}));
  EXPECT_EQ(row(3), (std::vector<std::pair<Index, float>>{{0, 1.f}}));
  EXPECT_EQ(row(4), (std::vector<std::pair<Index, float>>{{0, 1.f / 3}, {1, 2.f / 3}, {2, 2.f / 3}}));
}

TEST_F(ItemEmbeddingsFile, Errors) {
  const std::string missing = temp_path("does_not_exist.h5");
  EXPECT_EQ(error_of(missing), missing + ": cannot open: No such file or directory");

  const std::string text = temp_path("not_hdf5.h5");
  std::ofstream(text) << "id,x\n1,2\n";
  EXPECT_EQ(error_of(text), text + ": not an HDF5 file");

  RawFile no_ids(temp_path("no_ids.h5"));
  no_ids.add_doubles("embeddings", {1, 1}, {1});
  std::string p = no_ids.close();
  EXPECT_EQ(error_of(p), p + ": missing dataset /items/ids");

  RawFile no_emb(temp_path("no_emb.h5"));
  no_emb.add_ints("ids", {1}, {1});
  p = no_emb.close();
  EXPECT_EQ(error_of(p), p + ": missing dataset /items/embeddings");

  RawFile ids_2d(temp_path("ids_2d.h5"));
  ids_2d.add_ints("ids", {1, 2}, {1, 2});
  ids_2d.add_doubles("embeddings", {1, 1}, {1});
  p = ids_2d.close();
  EXPECT_EQ(error_of(p), p + ": /items/ids must be 1-D [items], got 2-D [1, 2]");

  RawFile emb_1d(temp_path("emb_1d.h5"));
  emb_1d.add_ints("ids", {2}, {1, 2});
  emb_1d.add_doubles("embeddings", {2}, {1, 2});
  p = emb_1d.close();
  EXPECT_EQ(error_of(p), p + ": /items/embeddings must be 2-D [items, dimensions], got 1-D [2]");

  RawFile mismatch(temp_path("mismatch.h5"));
  mismatch.add_ints("ids", {3}, {1, 2, 3});
  mismatch.add_doubles("embeddings", {2, 1}, {1, 2});
  p = mismatch.close();
  EXPECT_EQ(error_of(p), p + ": /items/embeddings has 2 rows but /items/ids has 3 ids");

  RawFile float_ids(temp_path("float_ids.h5"));
  float_ids.add_doubles("ids", {1}, {1});
  float_ids.add_doubles("embeddings", {1, 1}, {1});
  p = float_ids.close();
  EXPECT_EQ(error_of(p), p + ": /items/ids must hold integers or strings");

  RawFile int_values(temp_path("int_values.h5"));
  int_values.add_ints("ids", {1}, {1});
  int_values.add_ints("embeddings", {1, 1}, {1});
  p = int_values.close();
  EXPECT_EQ(error_of(p), p + ": /items/embeddings must hold float or double values");

  RawFile empty(temp_path("empty.h5"));
  empty.add_ints("ids", {0}, {});
  empty.add_doubles("embeddings", {0, 4}, {});
  p = empty.close();
  EXPECT_EQ(error_of(p), p + ": /items/ids holds no items");

  p = temp_path("d0.h5");
  write_item_embeddings(p, std::vector<std::int64_t>{1, 2}, Matrix(2, 0));
  EXPECT_EQ(error_of(p), p + ": /items/embeddings has 0 dimensions (d must be at least 1)");

  p = temp_path("dup_int.h5");
  write_item_embeddings(p, std::vector<std::int64_t>{4, 9, 4}, matrix(3, 1, {1, 2, 3}));
  EXPECT_EQ(error_of(p), p + ": /items/ids: duplicate id '4' at rows 0 and 2");

  p = temp_path("dup_str.h5");
  write_item_embeddings(p, std::vector<std::string>{"x", "y", "y"}, matrix(3, 1, {1, 2, 3}));
  EXPECT_EQ(error_of(p), p + ": /items/ids: duplicate id 'y' at rows 1 and 2");

  p = temp_path("empty_id.h5");
  write_item_embeddings(p, std::vector<std::string>{"x", ""}, matrix(2, 1, {1, 2}));
  EXPECT_EQ(error_of(p), p + ": /items/ids: empty id at row 1");

  p = temp_path("nan.h5");
  write_item_embeddings(p, std::vector<std::string>{"a", "b"},
                        matrix(2, 2, {1, 2, 3, std::numeric_limits<double>::quiet_NaN()}));
  EXPECT_EQ(error_of(p), p + ": /items/embeddings: non-finite value nan at row 1 (id 'b'), column 1");

  p = temp_path("inf.h5");
  write_item_embeddings(p, std::vector<std::int64_t>{5},
                        matrix(1, 2, {-std::numeric_limits<double>::infinity(), 0}),
                        EmbeddingPrecision::kDouble);
  EXPECT_EQ(error_of(p), p + ": /items/embeddings: non-finite value -inf at row 0 (id '5'), column 0");

  // A dataset where a group should be: HDF5's own complaint, still an
  // InputError starting with the path.
  RawFile group_as_ids(temp_path("group_ids.h5"));
  group_as_ids.add_doubles("embeddings", {1, 1}, {1});
  p = group_as_ids.close();
  {
    h5::File f(HPCREC_H5(H5Fopen(p.c_str(), H5F_ACC_RDWR, H5P_DEFAULT)));
    h5::Group items = h5::open_group(f.get(), "items");
    h5::create_group(items.get(), "ids");
  }
  const std::string msg = error_of(p);
  EXPECT_EQ(msg.rfind(p + ": ", 0), 0u) << msg;
  EXPECT_NE(msg.find("H5Dopen2"), std::string::npos) << msg;
}

TEST_F(ItemEmbeddingsFile, WriterChecksShapeAndLeavesNothingOnFailure) {
  const std::string p = temp_path("shape.h5");
  EXPECT_THROW(write_item_embeddings(p, std::vector<std::int64_t>{1, 2}, matrix(1, 1, {1})),
               std::invalid_argument);
  EXPECT_FALSE(std::filesystem::exists(p));
  const std::string bad_dir = temp_path("no_such_dir") + "/x.h5";
  EXPECT_THROW(write_item_embeddings(bad_dir, std::vector<std::int64_t>{1}, matrix(1, 1, {1})), InputError);
  EXPECT_FALSE(std::filesystem::exists(tmp_path(bad_dir)));
  // Replacing a file goes through PATH.tmp: the old content survives a failure.
  write_item_embeddings(p, std::vector<std::int64_t>{1}, matrix(1, 1, {2}));
  EXPECT_THROW(write_item_embeddings(p, std::vector<std::int64_t>{1, 2}, matrix(1, 1, {1})),
               std::invalid_argument);
  EXPECT_EQ(read_item_embeddings(p).vectors(0, 0), 2.0);
}

// What `hpcrec generate --item-embeddings-out` writes (ids = item + 1, rows =
// the planted item factors) drives the content model towards the planted
// preferences: the recommended items' planted scores x_u . y_i are well
// above those of an average unseen item.
TEST_F(ItemEmbeddingsFile, PlantedFactorsRecommendSensibly) {
  math::SyntheticConfig config;
  config.users = 300;
  config.items = 200;
  config.ratings = 9000;
  config.rank = 6;
  config.seed = 5;
  const math::SyntheticGenerator gen(config);
  ItemEmbeddings e;
  e.vectors.resize(config.items, config.rank);
  for (Index i = 0; i < config.items; ++i) {
    e.ids.push_back(std::to_string(i + 1));
    for (Index j = 0; j < config.rank; ++j)
      e.vectors(i, j) = gen.item_factors(i)[static_cast<std::size_t>(j)];
  }
  math::IdMap items;
  for (Index i = 0; i < config.items; ++i) items.ints.push_back(i + 1);
  const math::ContentIndex index(e.aligned(items));

  std::vector<math::Rating> ratings;
  gen.generate([&](std::span<const math::SyntheticRating> chunk) {
    for (const auto& r : chunk) ratings.push_back({r.user, r.item, static_cast<float>(r.value)});
  });
  const math::CsrBlock by_user = math::build_csr(ratings, 0, config.users, false);
  const auto top = math::content_top_n(index, by_user, math::ContentOptions{}, 10);

  double recommended = 0, unseen = 0;
  long n_recommended = 0, n_unseen = 0;
  for (Index u = 0; u < config.users; ++u) {
    const std::vector<double> x = gen.user_factors(u);
    auto dot = [&](Index i) {
      double s = 0;
      for (Index j = 0; j < config.rank; ++j) s += x[static_cast<std::size_t>(j)] * gen.item_factors(i)[j];
      return s;
    };
    for (const auto& s : top[static_cast<std::size_t>(u)]) {
      recommended += dot(s.item);
      ++n_recommended;
    }
    const auto seen = by_user.row_cols(u);
    for (Index i = 0; i < config.items; ++i) {
      if (std::find(seen.begin(), seen.end(), i) == seen.end()) {
        unseen += dot(i);
        ++n_unseen;
      }
    }
  }
  ASSERT_GT(n_recommended, 0);
  recommended /= static_cast<double>(n_recommended);
  unseen /= static_cast<double>(n_unseen);
  // x_u . y_i has standard deviation signal_std = 0.9 over all pairs (the
  // gap is 1.2 for this seed).
  EXPECT_GT(recommended - unseen, 0.8) << "recommended " << recommended << ", unseen " << unseen;
}
