#include "io/item_embeddings.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <numeric>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string_view>

#include "io/atomic_file.hpp"
#include "io/hdf5.hpp"
#include "src/errors.hpp"

namespace hpcrec::io {

namespace {

constexpr const char* kIds = "/items/ids";
constexpr const char* kEmbeddings = "/items/embeddings";

// The ratings reader's integer ids: only the canonical decimal form, so
// "007", "+7" and "-0" stay strings (see io/ratings_reader.cpp).
std::optional<std::int64_t> canonical_int(std::string_view s) {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  if (std::to_string(v) != s) return std::nullopt;
  return v;
}

std::string shape(const std::vector<hsize_t>& dims) {
  std::string s = std::to_string(dims.size()) + "-D [";
  for (std::size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

std::string format_value(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

[[noreturn]] void bad(const std::string& path, const std::string& what) {
  throw InputError(path + ": " + what);
}

// Integer ids of any HDF5 integer type, as decimal text.
std::vector<std::string> read_integer_ids(const std::string& path, hid_t dataset, hid_t type, std::size_t n) {
  const std::size_t size = HPCREC_H5(H5Tget_size(type));
  const bool is_unsigned = HPCREC_H5(H5Tget_sign(type)) == H5T_SGN_NONE;
  if (size > 8) bad(path, std::string(kIds) + ": integers wider than 64 bits");
  std::vector<std::string> ids;
  ids.reserve(n);
  if (n == 0) return ids;
  if (is_unsigned && size == 8) {
    // Read as unsigned: converting to int64 would clip large values silently.
    std::vector<std::uint64_t> v(n);
    HPCREC_H5(H5Dread(dataset, H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()));
    for (std::size_t k = 0; k < n; ++k) {
      if (v[k] > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        bad(path, std::string(kIds) + ": id " + std::to_string(v[k]) + " at row " + std::to_string(k) +
                      " is beyond the 64-bit signed range of ids");
      }
      ids.push_back(std::to_string(v[k]));
    }
    return ids;
  }
  const std::vector<std::int64_t> v = h5::read_all<std::int64_t>(dataset);
  for (std::int64_t x : v) ids.push_back(std::to_string(x));
  return ids;
}

// Throws for an empty or repeated id; rows are 0-based file rows.
void check_ids(const std::string& path, const std::vector<std::string>& ids) {
  std::vector<std::size_t> order(ids.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return ids[a] < ids[b]; });
  for (std::size_t k = 0; k < order.size(); ++k) {
    const std::string& id = ids[order[k]];
    if (id.empty()) bad(path, std::string(kIds) + ": empty id at row " + std::to_string(order[k]));
    if (k > 0 && id == ids[order[k - 1]]) {
      bad(path, std::string(kIds) + ": duplicate id '" + id + "' at rows " + std::to_string(order[k - 1]) +
                    " and " + std::to_string(order[k]));
    }
  }
}

ItemEmbeddings read_checked(const std::string& path) {
  h5::silence_errors();
#if H5_VERSION_GE(1, 12, 0)
  const htri_t is_hdf5 = H5Fis_accessible(path.c_str(), H5P_DEFAULT);
#else
  const htri_t is_hdf5 = H5Fis_hdf5(path.c_str());
#endif
  if (is_hdf5 <= 0) bad(path, "not an HDF5 file");
  h5::File file = h5::open_serial(path);
  for (const char* name : {kIds, kEmbeddings}) {
    if (!h5::exists(file.get(), name)) bad(path, std::string("missing dataset ") + name);
  }
  ItemEmbeddings out;

  // Ids.
  h5::Dataset ids = h5::open_dataset(file.get(), kIds);
  const std::vector<hsize_t> id_dims = h5::dataset_dims(ids.get());
  if (id_dims.size() != 1) bad(path, std::string(kIds) + " must be 1-D [items], got " + shape(id_dims));
  const auto n = static_cast<std::size_t>(id_dims[0]);
  if (n == 0) bad(path, std::string(kIds) + " holds no items");
  if (n > static_cast<std::size_t>(std::numeric_limits<math::Index>::max())) {
    bad(path, std::string(kIds) + ": " + std::to_string(n) + " items, more than hpcrec's item index holds");
  }
  {
    h5::Datatype type(HPCREC_H5(H5Dget_type(ids.get())));
    const H5T_class_t kind = HPCREC_H5(H5Tget_class(type.get()));
    if (kind == H5T_INTEGER) {
      out.ids = read_integer_ids(path, ids.get(), type.get(), n);
    } else if (kind == H5T_STRING) {
      out.ids = h5::read_strings(ids.get());
      out.integer_ids = std::all_of(out.ids.begin(), out.ids.end(),
                                    [](const std::string& s) { return canonical_int(s).has_value(); });
    } else {
      bad(path, std::string(kIds) + " must hold integers or strings");
    }
  }
  check_ids(path, out.ids);

  // Vectors.
  h5::Dataset emb = h5::open_dataset(file.get(), kEmbeddings);
  const std::vector<hsize_t> dims = h5::dataset_dims(emb.get());
  if (dims.size() != 2)
    bad(path, std::string(kEmbeddings) + " must be 2-D [items, dimensions], got " + shape(dims));
  {
    h5::Datatype type(HPCREC_H5(H5Dget_type(emb.get())));
    if (HPCREC_H5(H5Tget_class(type.get())) != H5T_FLOAT) {
      bad(path, std::string(kEmbeddings) + " must hold float or double values");
    }
  }
  if (dims[0] != n) {
    bad(path, std::string(kEmbeddings) + " has " + std::to_string(dims[0]) + " rows but " + kIds + " has " +
                  std::to_string(n) + " ids");
  }
  if (dims[1] == 0) bad(path, std::string(kEmbeddings) + " has 0 dimensions (d must be at least 1)");
  if (dims[1] > static_cast<hsize_t>(std::numeric_limits<math::Index>::max())) {
    bad(path, std::string(kEmbeddings) + ": " + std::to_string(dims[1]) + " dimensions are too many");
  }
  const auto d = static_cast<Eigen::Index>(dims[1]);
  out.vectors.resize(static_cast<Eigen::Index>(n), d);
  // Row-major, like the dataset: one read, HDF5 converts float to double.
  HPCREC_H5(H5Dread(emb.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.vectors.data()));
  for (Eigen::Index r = 0; r < out.vectors.rows(); ++r) {
    for (Eigen::Index c = 0; c < d; ++c) {
      const double v = out.vectors(r, c);
      if (!std::isfinite(v)) {
        bad(path, std::string(kEmbeddings) + ": non-finite value " + format_value(v) + " at row " +
                      std::to_string(r) + " (id '" + out.ids[static_cast<std::size_t>(r)] + "'), column " +
                      std::to_string(c));
      }
    }
  }
  emb.close();
  ids.close();
  file.close();
  return out;
}

// Dense index of an embedding id in `items`, by the same rule as the
// ratings: an integer map holds only integer ids ("007" is not 7).
std::optional<math::Index> find_item(const math::IdMap& items, const std::string& id) {
  if (items.is_string) return items.find(std::string_view(id));
  const auto v = canonical_int(id);
  if (!v) return std::nullopt;
  return items.find(*v);
}

void write_file(const std::string& path, std::size_t id_count, const math::Matrix& vectors,
                EmbeddingPrecision precision, const std::function<void(hid_t group)>& write_ids) {
  if (id_count != static_cast<std::size_t>(vectors.rows())) {
    throw std::invalid_argument("write_item_embeddings " + path + ": " + std::to_string(id_count) +
                                " ids for " + std::to_string(vectors.rows()) + " rows");
  }
  const std::string tmp = tmp_path(path);
  try {
    // Created first with stdio, so that a bad directory is reported with the
    // OS's reason (as h5::write_atomically does); HDF5 then truncates it.
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    if (f == nullptr) throw InputError("cannot create " + tmp + ": " + std::strerror(errno));
    std::fclose(f);
    h5::silence_errors();
    h5::File file(HPCREC_H5(H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT)));
    h5::Group group = h5::create_group(file.get(), "items");
    write_ids(group.get());
    const auto rows = static_cast<hsize_t>(vectors.rows());
    const hsize_t dims[2] = {rows, static_cast<hsize_t>(vectors.cols())};
    const bool single = precision == EmbeddingPrecision::kFloat;
    h5::Dataset emb =
        h5::create_dataset(group.get(), "embeddings", single ? H5T_IEEE_F32LE : H5T_IEEE_F64LE, dims);
    if (single) {
      std::vector<float> buf(static_cast<std::size_t>(vectors.size()));
      std::transform(vectors.data(), vectors.data() + vectors.size(), buf.begin(),
                     [](double v) { return static_cast<float>(v); });
      h5::write_rows(emb.get(), H5T_NATIVE_FLOAT, 0, rows, buf.data(), H5P_DEFAULT);
    } else {
      h5::write_rows(emb.get(), H5T_NATIVE_DOUBLE, 0, rows, vectors.data(), H5P_DEFAULT);
    }
    emb.close();
    group.close();
    file.close();  // reports a failed final flush
    commit_tmp(path);
  } catch (...) {
    discard_tmp(path);
    throw;
  }
}

}  // namespace

math::CsrBlock ItemEmbeddings::aligned(const math::IdMap& items, math::Index* matched) const {
  // row_of[i]: the file row of dense item i's embedding, or -1.
  std::vector<std::ptrdiff_t> row_of(static_cast<std::size_t>(items.size()), -1);
  math::Index found = 0;
  for (std::size_t k = 0; k < ids.size(); ++k) {
    const auto dense = find_item(items, ids[k]);
    if (!dense || row_of[static_cast<std::size_t>(*dense)] >= 0) continue;
    row_of[static_cast<std::size_t>(*dense)] = static_cast<std::ptrdiff_t>(k);
    ++found;
  }
  math::CsrBlock out;
  out.first_row = 0;
  out.indptr.reserve(row_of.size() + 1);
  out.cols.reserve(static_cast<std::size_t>(found) * static_cast<std::size_t>(vectors.cols()));
  out.values.reserve(out.cols.capacity());
  for (std::ptrdiff_t k : row_of) {
    if (k >= 0 && vectors.cols() > 0) {
      const auto x = vectors.row(k);
      // Scaled by the largest magnitude first, so that neither huge (> 1e154)
      // nor tiny (< 1e-154) components overflow or underflow when squared.
      const double scale = x.cwiseAbs().maxCoeff();
      if (scale > 0) {
        double sum = 0;
        for (Eigen::Index j = 0; j < x.size(); ++j) sum += (x[j] / scale) * (x[j] / scale);
        const double norm = std::sqrt(sum);
        for (Eigen::Index j = 0; j < x.size(); ++j) {
          const auto v = static_cast<float>(x[j] / scale / norm);
          if (v == 0) continue;
          out.cols.push_back(static_cast<math::Index>(j));
          out.values.push_back(v);
        }
      }
    }
    out.indptr.push_back(static_cast<math::Offset>(out.cols.size()));
  }
  if (matched) *matched = found;
  return out;
}

math::IdMap ItemEmbeddings::id_map() const {
  if (!integer_ids) return math::IdMap::from_strings(ids);
  std::vector<std::int64_t> ints;
  for (const std::string& id : ids) {
    const auto v = canonical_int(id);
    if (!v) throw std::invalid_argument("ItemEmbeddings: integer_ids with the non-integer id '" + id + "'");
    ints.push_back(*v);
  }
  return math::IdMap::from_ints(std::move(ints));
}

ItemEmbeddings read_item_embeddings(const std::string& path) {
  // The OS's reason for a missing or unreadable file; HDF5's would be vaguer.
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) bad(path, std::string("cannot open: ") + std::strerror(errno));
  std::fclose(f);
  try {
    return read_checked(path);
  } catch (const h5::H5Error& e) {
    // A corrupt file or an object of the wrong kind: still the user's input.
    bad(path, e.what());
  }
}

void write_item_embeddings(const std::string& path, std::span<const std::int64_t> ids,
                           const math::Matrix& vectors, EmbeddingPrecision precision) {
  write_file(path, ids.size(), vectors, precision, [&](hid_t group) {
    const hsize_t dims[1] = {static_cast<hsize_t>(ids.size())};
    h5::Dataset ds = h5::create_dataset(group, "ids", H5T_STD_I64LE, dims);
    h5::write_rows(ds.get(), 0, ids.size(), ids.data(), H5P_DEFAULT);
    ds.close();
  });
}

void write_item_embeddings(const std::string& path, std::span<const std::string> ids,
                           const math::Matrix& vectors, EmbeddingPrecision precision) {
  write_file(path, ids.size(), vectors, precision, [&](hid_t group) {
    std::size_t length = 1;
    for (const std::string& id : ids) length = std::max(length, id.size());
    const hsize_t dims[1] = {static_cast<hsize_t>(ids.size())};
    h5::Dataset ds = h5::create_string_dataset(group, "ids", dims, length);
    h5::write_string_rows(ds.get(), length, 0, ids, H5P_DEFAULT);
    ds.close();
  });
}

}  // namespace hpcrec::io
