// The model file (HDF5), written collectively by all ranks, each its own rows.
//
// Layout (m users, n items, k factors, nnz training ratings):
//   /users/ids            [m]      int64, or fixed-length strings for string ids
//   /users/factors        [m, k]   float64
//   /users/bias           [m]      float64
//   /users/train_indptr   [m + 1]  int64   CSR of the items each user rated in
//   /users/train_items    [nnz]    int32   training (dense item indices, ascending):
//                                          what `recommend` excludes
//   /items/ids            [n]      int64 or strings
//   /items/factors        [n, k]   float64
//   /items/bias           [n]      float64
//   root attributes: algorithm (string), format_version (int), factors (int),
//     global_mean (double), and every hyper-parameter (lambda, iterations,
//     seed, ...) as a double, integer or string attribute.
//
// The file is written as FILE.tmp and renamed to FILE only after every rank
// has written and the file is closed, so a crash never leaves a half-written
// file under the real name.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "mpi/communicator.hpp"
#include "src/csr_block.hpp"
#include "src/ids.hpp"
#include "src/types.hpp"

namespace hpcrec::io {

inline constexpr int kModelFormatVersion = 1;

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
// float64 and /knn/support [rows, K] int64, attribute `side`.
struct NeighborSlice {
  std::string side = "items";  // "items" or "users"
  math::Index first = 0;
  math::Index rows = 0;
  int k = 0;
  std::vector<math::Index> index;  // rows * k dense ids
  std::vector<double> similarity;  // rows * k
  std::vector<std::int64_t> support;
};

struct ModelSlice {
  Attributes attributes;  // must include "algorithm"; format_version and factors are added
  SideSlice users;
  SideSlice items;
  const math::CsrBlock* train = nullptr;     // this rank's user rows; cols are dense item indices
  const NeighborSlice* neighbors = nullptr;  // optional: KNN models
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
  // KNN models only (knn_k == 0 otherwise): /knn/neighbor_index etc.
  std::string knn_side;
  int knn_k = 0;
  std::vector<math::Index> knn_index;
  std::vector<double> knn_similarity;
  std::vector<std::int64_t> knn_support;
  double global_mean() const;
};

// Throws InputError naming the file and the missing or malformed object.
Model read_model(const std::string& path);

}  // namespace hpcrec::io
