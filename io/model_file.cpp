#include "io/model_file.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <filesystem>
#include <stdexcept>

#include "io/atomic_file.hpp"
#include "io/checkpoint.hpp"
#include "io/hdf5.hpp"
#include "mpi/failure.hpp"
#include "mpi/id_remap.hpp"
#include "src/errors.hpp"
#include "src/rng.hpp"

namespace hpcrec::io {

namespace {

// What each rank holds, gathered once so that every rank checks the same
// facts and therefore reaches the same verdict without further messages.
struct RankInfo {
  std::int64_t user_first, user_rows, user_cols, user_map_size;
  std::int64_t item_first, item_rows, item_cols, item_map_size;
  std::int64_t nnz;
  std::int64_t user_strings, item_strings;
  std::int64_t user_max_len, item_max_len;
};

// The global shape of the model and this rank's place in it.
struct Layout {
  hsize_t m = 0, n = 0, k = 0, nnz = 0;
  hsize_t nnz_offset = 0;
  bool user_strings = false, item_strings = false;
  std::size_t user_len = 1, item_len = 1;
};

std::int64_t rows_of(const SideSlice& s) { return s.factors ? s.factors->rows() : 0; }

std::size_t longest_local_id(const SideSlice& s) {
  std::size_t longest = 0;
  if (s.ids && s.ids->is_string) {
    for (std::int64_t r = 0; r < rows_of(s); ++r)
      longest = std::max(longest, s.ids->string_at(s.first + r).size());
  }
  return longest;
}

void check_side(const SideSlice& s, const char* side) {
  const std::string name(side);
  if (!s.ids || !s.factors || !s.bias)
    throw std::invalid_argument("write_model: " + name + " slice is incomplete");
  if (s.bias->size() != s.factors->rows()) {
    throw std::invalid_argument("write_model: " + name + " bias has " + std::to_string(s.bias->size()) +
                                " rows but factors have " + std::to_string(s.factors->rows()));
  }
  if (s.first < 0 || s.first + s.factors->rows() > s.ids->size()) {
    throw std::invalid_argument("write_model: " + name + " rows [" + std::to_string(s.first) + ", " +
                                std::to_string(s.first + s.factors->rows()) + ") outside the id map of " +
                                std::to_string(s.ids->size()));
  }
}

void check_local(const ModelSlice& slice) {
  check_side(slice.users, "users");
  check_side(slice.items, "items");
  auto alg = slice.attributes.find("algorithm");
  if (alg == slice.attributes.end() || !std::holds_alternative<std::string>(alg->second)) {
    throw std::invalid_argument("write_model: attribute \"algorithm\" (a string) is required");
  }
  if (const math::CsrBlock* t = slice.train) {
    if (t->rows() != slice.users.factors->rows() || t->first_row != slice.users.first) {
      throw std::invalid_argument("write_model: training rows do not match the user rows");
    }
    if (t->indptr.front() != 0 || static_cast<std::size_t>(t->nnz()) != t->cols.size() ||
        t->values.size() != t->cols.size()) {
      throw std::invalid_argument("write_model: malformed training CSR");
    }
    const math::Index n = slice.items.ids->size();
    for (math::Index r = 0; r < t->rows(); ++r) {
      auto cols = t->row_cols(r);
      for (std::size_t j = 0; j < cols.size(); ++j) {
        if (cols[j] < 0 || cols[j] >= n || (j > 0 && cols[j] <= cols[j - 1])) {
          throw std::invalid_argument("write_model: training items of user " +
                                      std::to_string(t->first_row + r) +
                                      " are not ascending dense item indices");
        }
      }
    }
  }
}

// Checks that the ranks' slices tile both sides in rank order, with one k.
Layout plan(const dist::Communicator& comm, const ModelSlice& slice) {
  RankInfo mine{};
  mine.user_first = slice.users.first;
  mine.user_rows = rows_of(slice.users);
  mine.user_cols = slice.users.factors->cols();
  mine.user_map_size = slice.users.ids->size();
  mine.item_first = slice.items.first;
  mine.item_rows = rows_of(slice.items);
  mine.item_cols = slice.items.factors->cols();
  mine.item_map_size = slice.items.ids->size();
  mine.nnz = slice.train ? slice.train->nnz() : 0;
  mine.user_strings = slice.users.ids->is_string;
  mine.item_strings = slice.items.ids->is_string;
  mine.user_max_len = static_cast<std::int64_t>(longest_local_id(slice.users));
  mine.item_max_len = static_cast<std::int64_t>(longest_local_id(slice.items));
  const std::vector<RankInfo> all = comm.allgather(mine);

  Layout out;
  std::int64_t user_next = 0, item_next = 0, nnz = 0, k = -1, max_cols = 0;
  std::int64_t user_len = 1, item_len = 1;
  for (int r = 0; r < comm.size(); ++r) {
    const RankInfo& x = all[r];
    if (x.user_first != user_next || x.item_first != item_next) {
      throw std::invalid_argument("write_model: rank " + std::to_string(r) +
                                  "'s rows do not follow the previous rank's (slices must tile the users and "
                                  "items in rank order)");
    }
    if (x.user_map_size != all[0].user_map_size || x.item_map_size != all[0].item_map_size ||
        x.user_strings != all[0].user_strings || x.item_strings != all[0].item_strings) {
      throw std::invalid_argument("write_model: ranks hold different id maps");
    }
    for (auto [rows, cols] : {std::pair{x.user_rows, x.user_cols}, std::pair{x.item_rows, x.item_cols}}) {
      max_cols = std::max(max_cols, cols);
      if (rows == 0) continue;  // an empty Eigen matrix may well be 0 x 0
      if (k >= 0 && cols != k) throw std::invalid_argument("write_model: factor matrices differ in width");
      k = cols;
    }
    if (r < comm.rank()) out.nnz_offset += static_cast<hsize_t>(x.nnz);
    user_next += x.user_rows;
    item_next += x.item_rows;
    nnz += x.nnz;
    user_len = std::max(user_len, x.user_max_len);
    item_len = std::max(item_len, x.item_max_len);
  }
  if (user_next != all[0].user_map_size || item_next != all[0].item_map_size) {
    throw std::invalid_argument("write_model: the ranks' rows do not cover every user and item");
  }
  out.m = static_cast<hsize_t>(user_next);
  out.n = static_cast<hsize_t>(item_next);
  out.k = static_cast<hsize_t>(k >= 0 ? k : max_cols);
  out.nnz = static_cast<hsize_t>(nnz);
  out.user_strings = all[0].user_strings != 0;
  out.item_strings = all[0].item_strings != 0;
  out.user_len = static_cast<std::size_t>(user_len);
  out.item_len = static_cast<std::size_t>(item_len);
  return out;
}

void write_side(hid_t file, hid_t dxpl, const char* group_name, const SideSlice& s, hsize_t total, hsize_t k,
                bool strings, std::size_t len) {
  h5::Group group = h5::create_group(file, group_name);
  const auto first = static_cast<hsize_t>(s.first);
  const auto rows = static_cast<hsize_t>(rows_of(s));
  {
    const hsize_t dims[1] = {total};
    if (strings) {
      h5::Dataset ids = h5::create_string_dataset(group.get(), "ids", dims, len);
      h5::write_string_rows(ids.get(), len, first, s.ids->string_rows(s.first, rows_of(s)), dxpl);
    } else {
      h5::Dataset ids = h5::create_dataset(group.get(), "ids", H5T_STD_I64LE, dims);
      h5::write_rows(ids.get(), first, rows, s.ids->int_rows(s.first, rows_of(s)).data(), dxpl);
    }
  }
  {
    const hsize_t dims[2] = {total, k};
    h5::Dataset factors = h5::create_dataset(group.get(), "factors", H5T_IEEE_F64LE, dims);
    // Bias-only models (popular, KNN) have k = 0: no storage to write to.
    if (k > 0) h5::write_rows(factors.get(), first, rows, s.factors->data(), dxpl);
  }
  {
    const hsize_t dims[1] = {total};
    h5::Dataset bias = h5::create_dataset(group.get(), "bias", H5T_IEEE_F64LE, dims);
    h5::write_rows(bias.get(), first, rows, s.bias->data(), dxpl);
  }
}

void write_train(const dist::Communicator& comm, hid_t file, hid_t dxpl, const ModelSlice& slice,
                 const Layout& l) {
  h5::Group users = h5::open_group(file, "users");
  const auto first = static_cast<hsize_t>(slice.users.first);
  const auto rows = static_cast<std::size_t>(rows_of(slice.users));
  // Global indptr = local indptr shifted by the nnz of all earlier ranks; the
  // final element (the total) belongs to the last rank, whose rows end at m.
  std::vector<std::int64_t> indptr;
  indptr.reserve(rows + 1);
  for (std::size_t r = 0; r < rows; ++r) {
    indptr.push_back(static_cast<std::int64_t>(l.nnz_offset) + (slice.train ? slice.train->indptr[r] : 0));
  }
  if (comm.rank() == comm.size() - 1) indptr.push_back(static_cast<std::int64_t>(l.nnz));
  {
    const hsize_t dims[1] = {l.m + 1};
    h5::Dataset ds = h5::create_dataset(users.get(), "train_indptr", H5T_STD_I64LE, dims);
    h5::write_rows(ds.get(), first, indptr.size(), indptr.data(), dxpl);
  }
  {
    const hsize_t dims[1] = {l.nnz};
    h5::Dataset ds = h5::create_dataset(users.get(), "train_items", H5T_STD_I32LE, dims);
    const std::size_t local = slice.train ? slice.train->cols.size() : 0;
    // An empty contiguous dataset has no storage to write to (HDF5 fails).
    if (l.nnz > 0) {
      h5::write_rows(ds.get(), l.nnz_offset, local, slice.train ? slice.train->cols.data() : nullptr, dxpl);
    }
  }
  {
    const hsize_t dims[1] = {l.nnz};
    h5::Dataset ds = h5::create_dataset(users.get(), "train_values", H5T_IEEE_F32LE, dims);
    const std::size_t local = slice.train ? slice.train->values.size() : 0;
    if (l.nnz > 0) {
      h5::write_rows(ds.get(), l.nnz_offset, local, slice.train ? slice.train->values.data() : nullptr, dxpl);
    }
  }
}

void write_neighbors(const dist::Communicator& comm, hid_t file, hid_t dxpl, const NeighborSlice& nb,
                     const math::IdMap& ids, const std::string& group_name) {
  const auto total = static_cast<hsize_t>(ids.size());
  const hsize_t k = static_cast<hsize_t>(comm.allreduce<int>(nb.k, MPI_MAX));
  if (static_cast<hsize_t>(nb.k) != k) throw std::runtime_error("write_model: neighbour lists differ in K");
  // The neighbours' ids, fetched from the ranks that hold them when the map
  // is partitioned.
  std::vector<math::Index> at = nb.index;
  const math::IdMap named = dist::fetch_names(comm, ids, at);
  h5::Group group = h5::create_group(file, group_name);
  h5::write_attribute(group.get(), "side", nb.side);
  const auto first = static_cast<hsize_t>(nb.first);
  const auto rows = static_cast<hsize_t>(nb.rows);
  const hsize_t dims1[1] = {total}, dims2[2] = {total, k};
  if (ids.is_string) {
    const std::span<const std::string> local = ids.string_rows(nb.first, nb.rows);
    const std::size_t len = h5::global_max_length(comm, local);
    h5::Dataset d = h5::create_string_dataset(group.get(), "ids", dims1, len);
    h5::write_string_rows(d.get(), len, first, local, dxpl);
    std::vector<std::string> names(at.size());
    for (std::size_t j = 0; j < names.size(); ++j) names[j] = at[j] >= 0 ? named.string_at(at[j]) : "";
    h5::Dataset n = h5::create_string_dataset(group.get(), "neighbors", dims2, len);
    h5::write_string_rows(n.get(), len, first, names, dxpl);
  } else {
    h5::Dataset d = h5::create_dataset(group.get(), "ids", H5T_STD_I64LE, dims1);
    h5::write_rows(d.get(), first, rows, ids.int_rows(nb.first, nb.rows).data(), dxpl);
    std::vector<std::int64_t> names(at.size());
    for (std::size_t j = 0; j < names.size(); ++j) names[j] = at[j] >= 0 ? named.int_at(at[j]) : -1;
    h5::Dataset n = h5::create_dataset(group.get(), "neighbors", H5T_STD_I64LE, dims2);
    h5::write_rows(n.get(), first, rows, names.data(), dxpl);
  }
  h5::Dataset idx = h5::create_dataset(group.get(), "neighbor_index", H5T_STD_I32LE, dims2);
  h5::write_rows(idx.get(), first, rows, nb.index.data(), dxpl);
  h5::Dataset sim = h5::create_dataset(group.get(), "similarity", H5T_IEEE_F64LE, dims2);
  h5::write_rows(sim.get(), first, rows, nb.similarity.data(), dxpl);
  h5::Dataset sup = h5::create_dataset(group.get(), "support", H5T_STD_I64LE, dims2);
  h5::write_rows(sup.get(), first, rows, nb.support.data(), dxpl);
}

InputError bad_file(const std::string& path, const std::string& what) {
  return InputError(path + ": " + what);
}

// Root attribute: a checksum of what serving trusts (both id maps, factors,
// biases and the training matrix), so that a file damaged on disk is
// refused on load instead of answering from garbage. Files written before
// it existed have none and load unchecked.
constexpr const char* kChecksumAttribute = "model_checksum";

std::uint64_t combine_checksum(std::uint64_t users, std::uint64_t items, std::uint64_t user_rows,
                               std::uint64_t item_rows, std::uint64_t train) {
  std::uint64_t h = math::hash64(users, items, 1);
  h = math::hash64(h, user_rows, 2);
  h = math::hash64(h, item_rows, 3);
  return math::hash64(h, train, 4);
}

}  // namespace

void write_model(const dist::Communicator& comm, const std::string& path, const ModelSlice& slice) {
  // Every check that could fail on one rank alone runs, and is agreed on,
  // before the first collective HDF5 call: a rank leaving a collective
  // HDF5 operation early would leave the others waiting forever.
  dist::collective_phase(comm, [&] { check_local(slice); });
  Layout layout;
  dist::collective_phase(comm, [&] { layout = plan(comm, slice); });
  // Partition-independent sums (ModelReader recomputes them from the whole file).
  std::uint64_t sums[3] = {hash_rows(slice.users.first, *slice.users.factors, *slice.users.bias),
                           hash_rows(slice.items.first, *slice.items.factors, *slice.items.bias),
                           slice.train ? hash_ratings(*slice.train) : 0};
  comm.allreduce_inplace<std::uint64_t>(sums, MPI_SUM);
  const auto checksum = static_cast<std::int64_t>(combine_checksum(
      hash_ids(comm, *slice.users.ids), hash_ids(comm, *slice.items.ids), sums[0], sums[1], sums[2]));

  h5::write_atomically(
      comm, path,
      [&] {
        h5::File file = h5::create_parallel(tmp_path(path), comm.raw());
        h5::PropList dxpl = h5::collective_transfer();
        write_side(file.get(), dxpl.get(), "users", slice.users, layout.m, layout.k, layout.user_strings,
                   layout.user_len);
        write_side(file.get(), dxpl.get(), "items", slice.items, layout.n, layout.k, layout.item_strings,
                   layout.item_len);
        write_train(comm, file.get(), dxpl.get(), slice, layout);
        if (slice.extra) {
          ModelWriter writer(comm, file.get(), dxpl.get());
          slice.extra(writer);
        }
        for (const auto& [name, value] : slice.attributes) h5::write_attribute(file.get(), name, value);
        h5::write_attribute(file.get(), "format_version", std::int64_t{kModelFormatVersion});
        h5::write_attribute(file.get(), "factors", static_cast<std::int64_t>(layout.k));
        h5::write_attribute(file.get(), kChecksumAttribute, checksum);
        for (const auto& [name, value] : slice.trailing_attributes)
          h5::write_attribute(file.get(), name, value);
        dxpl.close();
        file.close();
      },
      h5::WriteFailure::kAbort,
      // factors and biases of both sides, the training matrix's items and values
      (layout.m + layout.n) * (layout.k + 1) * sizeof(double) + layout.nnz * 8);
}

double Model::number(const std::string& key, double fallback) const {
  auto it = attributes.find(key);
  if (it == attributes.end()) return fallback;
  if (const double* d = std::get_if<double>(&it->second)) return *d;
  if (const std::int64_t* i = std::get_if<std::int64_t>(&it->second)) return static_cast<double>(*i);
  return fallback;
}

double Model::global_mean() const {
  // Models without a baseline (content) have no global mean: 0 adds nothing.
  return number("global_mean", 0.0);
}

// --- ModelWriter ---------------------------------------------------------

void ModelWriter::make_groups(const std::string& path, bool including_last) {
  // Each missing group along the path, in order (all ranks alike: collective).
  for (std::size_t slash = path.find('/', 1);; slash = path.find('/', slash + 1)) {
    if (slash == std::string::npos && !including_last) break;
    const std::string group = path.substr(0, slash);
    if (!h5::exists(file_, group)) h5::create_group(file_, group);
    if (slash == std::string::npos) break;
  }
}

void ModelWriter::attributes(const std::string& group, const Attributes& attributes) {
  make_groups(group, true);
  h5::Group g = h5::open_group(file_, group);
  for (const auto& [name, value] : attributes) h5::write_attribute(g.get(), name, value);
}

void ModelWriter::matrix_rows(const std::string& path, math::Index first, math::Index total,
                              const math::Matrix& local) {
  const std::int64_t cols = comm_.allreduce<std::int64_t>(local.rows() > 0 ? local.cols() : 0, MPI_MAX);
  make_groups(path, false);
  const hsize_t dims[2] = {static_cast<hsize_t>(total), static_cast<hsize_t>(cols)};
  h5::Dataset ds = h5::create_dataset(file_, path, H5T_IEEE_F64LE, dims);
  if (cols > 0 && total > 0)
    h5::write_rows(ds.get(), static_cast<hsize_t>(first), static_cast<hsize_t>(local.rows()), local.data(),
                   dxpl_);
}

void ModelWriter::vector_rows(const std::string& path, math::Index first, math::Index total,
                              const math::Vector& local) {
  make_groups(path, false);
  const hsize_t dims[1] = {static_cast<hsize_t>(total)};
  h5::Dataset ds = h5::create_dataset(file_, path, H5T_IEEE_F64LE, dims);
  if (total > 0)
    h5::write_rows(ds.get(), static_cast<hsize_t>(first), static_cast<hsize_t>(local.size()), local.data(),
                   dxpl_);
}

namespace {

template <class T>
void write_whole(const dist::Communicator& comm, hid_t file, hid_t dxpl, const std::string& path, hid_t type,
                 const std::vector<T>& values) {
  const hsize_t dims[1] = {static_cast<hsize_t>(values.size())};
  h5::Dataset ds = h5::create_dataset(file, path, type, dims);
  if (!values.empty()) h5::write_rows(ds.get(), 0, comm.rank() == 0 ? values.size() : 0, values.data(), dxpl);
}

}  // namespace

void ModelWriter::whole(const std::string& path, const std::vector<std::int32_t>& values) {
  make_groups(path, false);
  write_whole(comm_, file_, dxpl_, path, H5T_STD_I32LE, values);
}
void ModelWriter::whole(const std::string& path, const std::vector<std::int64_t>& values) {
  make_groups(path, false);
  write_whole(comm_, file_, dxpl_, path, H5T_STD_I64LE, values);
}
void ModelWriter::whole(const std::string& path, const std::vector<float>& values) {
  make_groups(path, false);
  write_whole(comm_, file_, dxpl_, path, H5T_IEEE_F32LE, values);
}
void ModelWriter::whole(const std::string& path, const std::vector<double>& values) {
  make_groups(path, false);
  write_whole(comm_, file_, dxpl_, path, H5T_IEEE_F64LE, values);
}
void ModelWriter::whole(const std::string& path, const std::vector<std::string>& values) {
  make_groups(path, false);
  std::size_t len = 1;
  for (const auto& v : values) len = std::max(len, v.size());
  const hsize_t dims[1] = {static_cast<hsize_t>(values.size())};
  h5::Dataset ds = h5::create_string_dataset(file_, path, dims, len);
  if (!values.empty()) {
    std::span<const std::string> mine(values.data(), comm_.rank() == 0 ? values.size() : 0);
    h5::write_string_rows(ds.get(), len, 0, mine, dxpl_);
  }
}

void ModelWriter::neighbors(const std::string& group, const NeighborSlice& slice, const math::IdMap& ids) {
  make_groups(group, false);
  write_neighbors(comm_, file_, dxpl_, slice, ids, group);
}

// --- ModelReader ---------------------------------------------------------

struct ModelReader::Impl {
  h5::File file;
};

ModelReader::~ModelReader() = default;
ModelReader::ModelReader(ModelReader&&) noexcept = default;

void ModelReader::fail(const std::string& what) const { throw bad_file(path_, what); }

bool ModelReader::has(const std::string& object) const { return h5::exists(impl_->file.get(), object); }

Attributes ModelReader::attributes(const std::string& group) const {
  if (group.empty() || group == "/") return h5::read_attributes(impl_->file.get());
  if (!has(group)) fail("missing group " + group);
  try {
    h5::Group g = h5::open_group(impl_->file.get(), group);
    return h5::read_attributes(g.get());
  } catch (const h5::H5Error& e) {
    fail("cannot read the attributes of " + group + ": " + e.what());
  }
}

namespace {

template <class T>
std::vector<T> read_numbers(const ModelReader& r, hid_t file, const std::string& path,
                            std::vector<hsize_t>* dims = nullptr) {
  if (!r.has(path)) r.fail("not a complete hpcrec model (missing " + path + ")");
  try {
    h5::Dataset ds = h5::open_dataset(file, path);
    return h5::read_all<T>(ds.get(), dims);
  } catch (const h5::H5Error& e) {
    r.fail("cannot read " + path + ": " + e.what());
  }
}

}  // namespace

math::Matrix ModelReader::matrix(const std::string& path) const {
  std::vector<hsize_t> dims;
  std::vector<double> values = read_numbers<double>(*this, impl_->file.get(), path, &dims);
  if (dims.size() != 2) fail(path + " is not 2-D");
  return Eigen::Map<const math::Matrix>(values.data(), static_cast<Eigen::Index>(dims[0]),
                                        static_cast<Eigen::Index>(dims[1]));
}

math::Vector ModelReader::vector(const std::string& path) const {
  std::vector<hsize_t> dims;
  std::vector<double> values = read_numbers<double>(*this, impl_->file.get(), path, &dims);
  if (dims.size() != 1) fail(path + " is not 1-D");
  return Eigen::Map<const math::Vector>(values.data(), static_cast<Eigen::Index>(values.size()));
}

std::vector<std::int32_t> ModelReader::int32s(const std::string& path) const {
  return read_numbers<std::int32_t>(*this, impl_->file.get(), path);
}
std::vector<std::int64_t> ModelReader::int64s(const std::string& path) const {
  return read_numbers<std::int64_t>(*this, impl_->file.get(), path);
}
std::vector<float> ModelReader::floats(const std::string& path) const {
  return read_numbers<float>(*this, impl_->file.get(), path);
}
std::vector<std::string> ModelReader::strings(const std::string& path) const {
  if (!has(path)) fail("not a complete hpcrec model (missing " + path + ")");
  try {
    h5::Dataset ds = h5::open_dataset(impl_->file.get(), path);
    return h5::read_strings(ds.get());
  } catch (const h5::H5Error& e) {
    fail("cannot read " + path + ": " + e.what());
  }
}

StoredNeighbors ModelReader::neighbors(const std::string& group) const {
  StoredNeighbors out;
  const std::string base = group.empty() ? "/knn" : group;
  const Attributes a = attributes(base);
  const auto side = a.find("side");
  if (side == a.end() || !std::holds_alternative<std::string>(side->second))
    fail(base + " has no string attribute side");
  out.side = std::get<std::string>(side->second);
  std::vector<hsize_t> dims;
  out.index = read_numbers<std::int32_t>(*this, impl_->file.get(), base + "/neighbor_index", &dims);
  if (dims.size() != 2) fail(base + "/neighbor_index is not 2-D");
  out.k = static_cast<int>(dims[1]);
  out.similarity = read_numbers<double>(*this, impl_->file.get(), base + "/similarity");
  out.support = read_numbers<std::int64_t>(*this, impl_->file.get(), base + "/support");
  if (out.similarity.size() != out.index.size() || out.support.size() != out.index.size())
    fail(base + ": neighbour datasets differ in shape");
  return out;
}

ModelReader::ModelReader(const std::string& path) : path_(path), impl_(std::make_unique<Impl>()) {
  h5::silence_errors();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw bad_file(path, "no such model file");
  if (H5Fis_hdf5(path.c_str()) <= 0) throw bad_file(path, "not an HDF5 file");
  Model& model = model_;
  try {
    impl_->file = h5::open_serial(path);
    const hid_t f = impl_->file.get();
    auto require = [&](const char* object) {
      if (!h5::exists(f, object))
        throw bad_file(path, std::string("not an hpcrec model file (missing ") + object + ")");
    };
    require("/users/factors");
    if (!h5::has_attribute(f, "format_version")) {
      throw bad_file(path, "not an hpcrec model file (missing attribute format_version)");
    }
    model.attributes = h5::read_attributes(f);
    const auto version_attr = model.attributes.find("format_version");
    const auto* version =
        version_attr == model.attributes.end() ? nullptr : std::get_if<std::int64_t>(&version_attr->second);
    if (!version || *version != kModelFormatVersion) {
      throw bad_file(path, "model format version " +
                               (version ? std::to_string(*version) : std::string("(not an integer)")) +
                               " is not supported (this build reads version " +
                               std::to_string(kModelFormatVersion) + "; train the model again)");
    }
    for (const char* object : {"/users/ids", "/users/bias", "/users/train_indptr", "/users/train_items",
                               "/users/train_values", "/items/ids", "/items/factors", "/items/bias"}) {
      require(object);
    }
    auto read_ids = [&](const char* name, math::IdMap& ids) {
      h5::Dataset ds = h5::open_dataset(f, name);
      if (h5::dataset_dims(ds.get()).size() != 1) throw bad_file(path, std::string(name) + " is not 1-D");
      ids.is_string = h5::is_string_dataset(ds.get());
      if (ids.is_string) {
        ids.strings = h5::read_strings(ds.get());
      } else {
        ids.ints = h5::read_all<std::int64_t>(ds.get());
      }
    };
    read_ids("/users/ids", model.user_ids);
    read_ids("/items/ids", model.item_ids);
    model.user_factors = matrix("/users/factors");
    model.item_factors = matrix("/items/factors");
    model.user_bias = vector("/users/bias");
    model.item_bias = vector("/items/bias");
    model.train_indptr = int64s("/users/train_indptr");
    model.train_items = int32s("/users/train_items");
    model.train_values = floats("/users/train_values");
    if (h5::exists(f, "/knn/neighbor_index")) {
      StoredNeighbors nb = neighbors("/knn");
      model.knn_side = nb.side;
      model.knn_k = nb.k;
      model.knn_index = std::move(nb.index);
      model.knn_similarity = std::move(nb.similarity);
      model.knn_support = std::move(nb.support);
    }

    const auto m = static_cast<std::int64_t>(model.user_ids.size());
    const auto n = static_cast<std::int64_t>(model.item_ids.size());
    if (model.user_factors.rows() != m || model.user_bias.size() != m) {
      throw bad_file(path, "/users/ids, /users/factors and /users/bias disagree on the number of users");
    }
    if (model.item_factors.rows() != n || model.item_bias.size() != n) {
      throw bad_file(path, "/items/ids, /items/factors and /items/bias disagree on the number of items");
    }
    if (model.user_factors.cols() != model.item_factors.cols()) {
      throw bad_file(path, "/users/factors and /items/factors differ in width");
    }
    const auto factors_attr = model.attributes.find("factors");
    if (const auto* k = factors_attr == model.attributes.end()
                            ? nullptr
                            : std::get_if<std::int64_t>(&factors_attr->second);
        k && *k != model.user_factors.cols()) {
      throw bad_file(path, "attribute factors = " + std::to_string(*k) + " but the factor matrices are " +
                               std::to_string(model.user_factors.cols()) + " wide");
    }
    const auto& ip = model.train_indptr;
    bool indptr_ok = static_cast<std::int64_t>(ip.size()) == m + 1 && ip.front() == 0 &&
                     ip.back() == static_cast<std::int64_t>(model.train_items.size());
    for (std::size_t i = 1; indptr_ok && i < ip.size(); ++i) indptr_ok = ip[i] >= ip[i - 1];
    if (!indptr_ok) throw bad_file(path, "/users/train_indptr is not a valid CSR row index");
    if (model.train_values.size() != model.train_items.size())
      throw bad_file(path, "/users/train_values and /users/train_items differ in length");
    for (math::Index item : model.train_items) {
      if (item < 0 || item >= n) throw bad_file(path, "/users/train_items holds an item index out of range");
    }
    // NaN first: a non-finite factor would rank nothing (an empty list, silently).
    auto require_finite = [&](const auto& values, const char* name) {
      for (Eigen::Index i = 0; i < values.size(); ++i) {
        if (!std::isfinite(values.data()[i]))
          throw bad_file(path, std::string(name) + " holds a non-finite value (" +
                                   std::to_string(values.data()[i]) +
                                   "): the model is damaged; train it again");
      }
    };
    require_finite(model.user_factors, "/users/factors");
    require_finite(model.item_factors, "/items/factors");
    require_finite(model.user_bias, "/users/bias");
    require_finite(model.item_bias, "/items/bias");
    if (const auto it = model.attributes.find(kChecksumAttribute); it != model.attributes.end()) {
      math::CsrBlock train;
      train.indptr = model.train_indptr;
      train.cols = model.train_items;
      train.values = model.train_values;
      const std::uint64_t expected =
          combine_checksum(hash_ids(model.user_ids), hash_ids(model.item_ids),
                           hash_rows(0, model.user_factors, model.user_bias),
                           hash_rows(0, model.item_factors, model.item_bias), hash_ratings(train));
      const auto* stored = std::get_if<std::int64_t>(&it->second);
      if (!stored || static_cast<std::uint64_t>(*stored) != expected)
        throw bad_file(
            path,
            "ids, factors or training ratings do not match the stored checksum: the file is damaged "
            "(write it again)");
    }
  } catch (const h5::H5Error& e) {
    throw bad_file(path, std::string("cannot read the model: ") + e.what());
  }
}

Model read_model(const std::string& path) { return std::move(ModelReader(path).common()); }

}  // namespace hpcrec::io
