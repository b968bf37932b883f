// The model file (HDF5), written collectively by all ranks, each its own rows.
//
// Layout (m users, n items, k factors, nnz training ratings):
//   /users/ids            [m]      int64, or fixed-length strings for string ids
//   /users/factors        [m, k]   float64
//   /users/bias           [m]      float64
//   /users/train_indptr   [m + 1]  int64   CSR of the items each user rated in
//   /users/train_items    [nnz]    int32   training (dense item indices, ascending):
//                                          what `recommend` excludes
//   /users/train_values   [nnz]    float32 the ratings (or counts) as trained on
//   /items/ids            [n]      int64 or strings
//   /items/factors        [n, k]   float64
//   /items/bias           [n]      float64
//   root attributes: algorithm (string), format_version (int), factors (int),
//     global_mean (double), and every hyper-parameter (lambda, iterations,
//     seed, ...) as a double, integer or string attribute.
//   A model's own further datasets and groups (content's /content, a
//   hybrid's /components/NAME/...) are written by ModelSlice::extra through
//   a ModelWriter and read back with a ModelReader.
//
// The file is written as FILE.tmp and renamed to FILE only after every rank
// has written and the file is closed, so a crash never leaves a half-written
// file under the real name.
#pragma once

#include <hdf5.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "mpi/communicator.hpp"
#include "src/csr_block.hpp"
#include "src/ids.hpp"
#include "src/types.hpp"

namespace hpcrec::io {

// 2: /users/train_values, model-specific groups (content, hybrid components).
inline constexpr int kModelFormatVersion = 2;

using Attribute = std::variant<std::int64_t, double, std::string>;
using Attributes = std::map<std::string, Attribute>;

// One side (users or items) as a rank holds it: the full id map, and the
// rows [first, first + factors.rows()) it owns.
struct SideSlice {
  const math::IdMap* ids = nullptr;
  math::Index first = 0;
  const math::Matrix* factors = nullptr;  // local rows x k
  const math::Vector* bias = nullptr;     // local rows
};

// Neighbour lists of this rank's rows of one side (KNN models): K slots a
// row, best first; id -1 (similarity NaN, support 0) pads a short list.
// Stored as /knn/ids (the rows' original ids), /knn/neighbors [rows, K]
// (original ids; -1 or "" padding), /knn/neighbor_index [rows, K] (dense
// row indices of the same side, -1 padding), /knn/similarity [rows, K]
// float64 and /knn/support [rows, K] int64, attribute `side` (written by
// ModelWriter::neighbors under a model's group).
struct NeighborSlice {
  std::string side = "items";  // "items" or "users"
  math::Index first = 0;
  math::Index rows = 0;
  int k = 0;
  std::vector<math::Index> index;  // rows * k dense ids
  std::vector<double> similarity;  // rows * k
  std::vector<std::int64_t> support;
};

// Inside write_model: a model's own datasets, written collectively (every
// rank calls every method in the same order). Paths are absolute
// ("/components/als/users/factors"); missing parent groups are created.
class ModelWriter {
 public:
  ModelWriter(const dist::Communicator& comm, hid_t file, hid_t dxpl)
      : comm_(comm), file_(file), dxpl_(dxpl) {}
  const dist::Communicator& comm() const { return comm_; }
  void attributes(const std::string& group, const Attributes& attributes);
  // Rows [first, first + local.rows()) of a [total, cols] float64 dataset
  // (every rank the same cols, or 0 rows).
  void matrix_rows(const std::string& path, math::Index first, math::Index total, const math::Matrix& local);
  void vector_rows(const std::string& path, math::Index first, math::Index total, const math::Vector& local);
  // Data every rank holds alike, written once (rank 0's copy).
  void whole(const std::string& path, const std::vector<std::int32_t>& values);
  void whole(const std::string& path, const std::vector<std::int64_t>& values);
  void whole(const std::string& path, const std::vector<float>& values);
  void whole(const std::string& path, const std::vector<double>& values);
  void whole(const std::string& path, const std::vector<std::string>& values);
  // A KNN model's lists under `group` (see NeighborSlice).
  void neighbors(const std::string& group, const NeighborSlice& slice, const math::IdMap& ids);

 private:
  // Creates the missing groups of `path` (and `path` itself if including_last).
  void make_groups(const std::string& path, bool including_last);
  const dist::Communicator& comm_;
  hid_t file_;
  hid_t dxpl_;
};

struct ModelSlice {
  Attributes attributes;  // must include "algorithm"; format_version and factors are added
  SideSlice users;
  SideSlice items;
  const math::CsrBlock* train = nullptr;  // this rank's user rows; cols are dense item indices
  // Collective: the model's own further datasets (after the common ones).
  std::function<void(ModelWriter&)> extra;
  // Written after everything else, in this order (a checkpoint's "complete").
  std::vector<std::pair<std::string, Attribute>> trailing_attributes;
};

// Collective over `comm`. Throws (on every rank) if anything fails; the
// previous file under `path`, if any, is left untouched then.
void write_model(const dist::Communicator& comm, const std::string& path, const ModelSlice& slice);

// A whole model, read by one process (for `recommend` and tests).
struct Model {
  Attributes attributes;
  math::IdMap user_ids, item_ids;
  math::Matrix user_factors, item_factors;
  math::Vector user_bias, item_bias;
  std::vector<math::Offset> train_indptr;
  std::vector<math::Index> train_items;
  std::vector<float> train_values;
  // KNN models only (knn_k == 0 otherwise): /knn/neighbor_index etc.
  std::string knn_side;
  int knn_k = 0;
  std::vector<math::Index> knn_index;
  std::vector<double> knn_similarity;
  std::vector<std::int64_t> knn_support;
  double global_mean() const;
  // A numeric root attribute (integer or double), or `fallback`.
  double number(const std::string& key, double fallback) const;
};

// Neighbour lists as stored (whole side): K slots a row, -1 / NaN padding.
struct StoredNeighbors {
  std::string side;
  int k = 0;
  std::vector<math::Index> index;  // rows * k dense ids
  std::vector<double> similarity;
  std::vector<std::int64_t> support;
};

// An open model file, read by one process: the common part (read_model's
// Model, checked) and any further dataset by path. Every accessor throws
// InputError naming the file and the missing or malformed object.
class ModelReader {
 public:
  explicit ModelReader(const std::string& path);
  ~ModelReader();
  ModelReader(ModelReader&&) noexcept;
  const std::string& path() const { return path_; }
  const Model& common() const { return model_; }
  Model& common() { return model_; }
  bool has(const std::string& object) const;
  Attributes attributes(const std::string& group) const;
  math::Matrix matrix(const std::string& path) const;
  math::Vector vector(const std::string& path) const;
  std::vector<std::int32_t> int32s(const std::string& path) const;
  std::vector<std::int64_t> int64s(const std::string& path) const;
  std::vector<float> floats(const std::string& path) const;
  std::vector<std::string> strings(const std::string& path) const;
  StoredNeighbors neighbors(const std::string& group) const;
  // "FILE: what" as an InputError.
  [[noreturn]] void fail(const std::string& what) const;

 private:
  struct Impl;
  std::string path_;
  std::unique_ptr<Impl> impl_;
  Model model_;
};

// Throws InputError naming the file and the missing or malformed object.
Model read_model(const std::string& path);

}  // namespace hpcrec::io
