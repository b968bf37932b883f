#include "io/hdf5.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <stdexcept>

#include "io/atomic_file.hpp"
#include "mpi/failure.hpp"
#include "src/errors.hpp"

namespace hpcrec::io::h5 {

namespace {

herr_t innermost_message(unsigned n, const H5E_error2_t* err, void* data) {
  // Walking upward, entry 0 is where HDF5 first detected the problem: the
  // most specific message ("unable to open file", "no space available"...).
  if (n == 0 && err != nullptr) {
    auto* out = static_cast<std::string*>(data);
    if (err->desc != nullptr && *err->desc != '\0') *out = err->desc;
    if (err->func_name != nullptr) *out += std::string(" (in ") + err->func_name + ")";
  }
  return 0;
}

Dataspace simple_space(std::span<const hsize_t> dims) {
  return Dataspace(HPCREC_H5(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr)));
}

Dataspace scalar_space() { return Dataspace(HPCREC_H5(H5Screate(H5S_SCALAR))); }

std::string trim_fixed(const char* p, std::size_t size) {
  // Null-padded and null-terminated strings end at the first NUL; ids never
  // contain one.
  const char* end = std::find(p, p + size, '\0');
  return std::string(p, end);
}

Datatype variable_string_type() {
  Datatype t(HPCREC_H5(H5Tcopy(H5T_C_S1)));
  HPCREC_H5(H5Tset_size(t.get(), H5T_VARIABLE));
  HPCREC_H5(H5Tset_cset(t.get(), H5T_CSET_UTF8));
  return t;
}

void reclaim_vlen(hid_t mem_type, hid_t space, void* buf) {
#if H5_VERSION_GE(1, 12, 0)
  H5Treclaim(mem_type, space, H5P_DEFAULT, buf);
#else
  H5Dvlen_reclaim(mem_type, space, H5P_DEFAULT, buf);
#endif
}

}  // namespace

void fail_h5(const char* call, const char* file, int line) {
  std::string inner;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, innermost_message, &inner);
  H5Eclear2(H5E_DEFAULT);
  std::string what = std::string(call) + " failed at " + file + ":" + std::to_string(line);
  if (!inner.empty()) what += ": " + inner;
  throw H5Error(what);
}

void silence_errors() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

// --- files --------------------------------------------------------------

File create_parallel(const std::string& path, MPI_Comm comm) {
  silence_errors();
  PropList fapl(HPCREC_H5(H5Pcreate(H5P_FILE_ACCESS)));
  HPCREC_H5(H5Pset_fapl_mpio(fapl.get(), comm, MPI_INFO_NULL));
  return File(HPCREC_H5(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get())));
}

File open_parallel(const std::string& path, MPI_Comm comm, unsigned flags) {
  silence_errors();
  PropList fapl(HPCREC_H5(H5Pcreate(H5P_FILE_ACCESS)));
  HPCREC_H5(H5Pset_fapl_mpio(fapl.get(), comm, MPI_INFO_NULL));
  return File(HPCREC_H5(H5Fopen(path.c_str(), flags, fapl.get())));
}

File open_serial(const std::string& path) {
  silence_errors();
  return File(HPCREC_H5(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT)));
}

PropList collective_transfer() {
  PropList dxpl(HPCREC_H5(H5Pcreate(H5P_DATASET_XFER)));
  HPCREC_H5(H5Pset_dxpl_mpio(dxpl.get(), H5FD_MPIO_COLLECTIVE));
  return dxpl;
}

// --- groups, links ------------------------------------------------------

Group create_group(hid_t loc, const std::string& name) {
  return Group(HPCREC_H5(H5Gcreate2(loc, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)));
}

Group open_group(hid_t loc, const std::string& name) {
  return Group(HPCREC_H5(H5Gopen2(loc, name.c_str(), H5P_DEFAULT)));
}

bool exists(hid_t loc, const std::string& path) {
  // H5Lexists fails (rather than answering false) when an intermediate
  // group is missing, so check each prefix in turn.
  std::size_t pos = path.front() == '/' ? 1 : 0;
  while (pos <= path.size()) {
    std::size_t slash = path.find('/', pos);
    if (slash == std::string::npos) slash = path.size();
    const std::string prefix = path.substr(0, slash);
    if (HPCREC_H5(H5Lexists(loc, prefix.c_str(), H5P_DEFAULT)) <= 0) return false;
    pos = slash + 1;
  }
  return true;
}

// --- datasets -----------------------------------------------------------

Dataset create_dataset(hid_t loc, const std::string& name, hid_t type, std::span<const hsize_t> dims) {
  if (dims.empty() || dims.size() > 2) throw H5Error("create_dataset " + name + ": only 1-D and 2-D data");
  Dataspace space = simple_space(dims);
  PropList dcpl(HPCREC_H5(H5Pcreate(H5P_DATASET_CREATE)));
  // Every element is written by exactly one rank: filling first would only
  // write the whole dataset twice.
  HPCREC_H5(H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_NEVER));
  return Dataset(
      HPCREC_H5(H5Dcreate2(loc, name.c_str(), type, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT)));
}

Dataset open_dataset(hid_t loc, const std::string& name) {
  return Dataset(HPCREC_H5(H5Dopen2(loc, name.c_str(), H5P_DEFAULT)));
}

std::vector<hsize_t> dataset_dims(hid_t dataset) {
  Dataspace space(HPCREC_H5(H5Dget_space(dataset)));
  int rank = HPCREC_H5(H5Sget_simple_extent_ndims(space.get()));
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  if (rank > 0) HPCREC_H5(H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr));
  return dims;
}

void write_rows(hid_t dataset, hid_t mem_type, hsize_t first, hsize_t count, const void* data, hid_t dxpl) {
  Dataspace file_space(HPCREC_H5(H5Dget_space(dataset)));
  int rank = HPCREC_H5(H5Sget_simple_extent_ndims(file_space.get()));
  if (rank < 1 || rank > 2) throw H5Error("write_rows: only 1-D and 2-D datasets");
  hsize_t dims[2] = {0, 1};
  HPCREC_H5(H5Sget_simple_extent_dims(file_space.get(), dims, nullptr));
  if (first + count > dims[0]) {
    throw H5Error("write_rows: rows [" + std::to_string(first) + ", " + std::to_string(first + count) +
                  ") outside a dataset of " + std::to_string(dims[0]) + " rows");
  }
  const hsize_t width = rank == 2 ? dims[1] : 1;
  // A dataset of no elements (a KNN model whose items have no neighbours:
  // [n, 0]) has no storage: HDF5 fails even an empty write ("addr
  // overflow"). Every rank sees the same shape, so all skip alike.
  if (dims[0] == 0 || width == 0) return;
  Dataspace mem_space;
  if (count == 0 || width == 0) {
    // Collective I/O needs every rank in the call, even one with nothing to
    // write: it joins with empty selections on both sides.
    HPCREC_H5(H5Sselect_none(file_space.get()));
    const hsize_t one = 1;
    mem_space = simple_space(std::span<const hsize_t>(&one, 1));
    HPCREC_H5(H5Sselect_none(mem_space.get()));
  } else {
    const hsize_t start[2] = {first, 0};
    const hsize_t block[2] = {count, width};
    HPCREC_H5(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, block, nullptr));
    mem_space = simple_space(std::span<const hsize_t>(block, static_cast<std::size_t>(rank)));
  }
  // HDF5 rejects a null buffer even for an empty selection in some versions.
  static const char dummy = 0;
  HPCREC_H5(H5Dwrite(dataset, mem_type, mem_space.get(), file_space.get(), dxpl, data ? data : &dummy));
}

template <class T>
std::vector<T> read_all(hid_t dataset, std::vector<hsize_t>* dims) {
  std::vector<hsize_t> d = dataset_dims(dataset);
  hsize_t total = 1;
  for (hsize_t x : d) total *= x;
  std::vector<T> out(total);
  if (total > 0) HPCREC_H5(H5Dread(dataset, native_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()));
  if (dims) *dims = std::move(d);
  return out;
}

template std::vector<double> read_all<double>(hid_t, std::vector<hsize_t>*);
template std::vector<std::int64_t> read_all<std::int64_t>(hid_t, std::vector<hsize_t>*);
template std::vector<std::int32_t> read_all<std::int32_t>(hid_t, std::vector<hsize_t>*);
template std::vector<float> read_all<float>(hid_t, std::vector<hsize_t>*);

// --- strings ------------------------------------------------------------

Datatype fixed_string_type(std::size_t length) {
  Datatype t(HPCREC_H5(H5Tcopy(H5T_C_S1)));
  HPCREC_H5(H5Tset_size(t.get(), std::max<std::size_t>(length, 1)));
  // Null padding, not termination: a string of exactly `length` bytes fits.
  HPCREC_H5(H5Tset_strpad(t.get(), H5T_STR_NULLPAD));
  HPCREC_H5(H5Tset_cset(t.get(), H5T_CSET_UTF8));
  return t;
}

std::size_t global_max_length(const dist::Communicator& comm, std::span<const std::string> local) {
  std::uint64_t longest = 1;
  for (const auto& s : local) longest = std::max<std::uint64_t>(longest, s.size());
  return static_cast<std::size_t>(comm.allreduce<std::uint64_t>(longest, MPI_MAX));
}

Dataset create_string_dataset(hid_t loc, const std::string& name, std::span<const hsize_t> dims,
                              std::size_t length) {
  Datatype type = fixed_string_type(length);
  return create_dataset(loc, name, type.get(), dims);
}

void write_string_rows(hid_t dataset, std::size_t length, hsize_t first, std::span<const std::string> local,
                       hid_t dxpl) {
  length = std::max<std::size_t>(length, 1);
  std::vector<char> buf(local.size() * length, '\0');
  for (std::size_t i = 0; i < local.size(); ++i) {
    if (local[i].size() > length) {
      throw H5Error("write_string_rows: string of " + std::to_string(local[i].size()) +
                    " bytes in a field of " + std::to_string(length));
    }
    std::memcpy(buf.data() + i * length, local[i].data(), local[i].size());
  }
  const std::vector<hsize_t> dims = dataset_dims(dataset);
  const std::size_t width = dims.size() == 2 ? static_cast<std::size_t>(dims[1]) : 1;
  if (width == 0 ? !local.empty() : local.size() % width != 0) {
    throw H5Error("write_string_rows: " + std::to_string(local.size()) + " strings are not whole rows of " +
                  std::to_string(width));
  }
  Datatype type = fixed_string_type(length);
  write_rows(dataset, type.get(), first, width == 0 ? 0 : local.size() / width, buf.data(), dxpl);
}

bool is_string_dataset(hid_t dataset) {
  Datatype type(HPCREC_H5(H5Dget_type(dataset)));
  return HPCREC_H5(H5Tget_class(type.get())) == H5T_STRING;
}

std::vector<std::string> read_strings(hid_t dataset) {
  Datatype file_type(HPCREC_H5(H5Dget_type(dataset)));
  if (HPCREC_H5(H5Tget_class(file_type.get())) != H5T_STRING) throw H5Error("not a string dataset");
  Dataspace space(HPCREC_H5(H5Dget_space(dataset)));
  const auto n = static_cast<std::size_t>(HPCREC_H5(H5Sget_simple_extent_npoints(space.get())));
  std::vector<std::string> out;
  out.reserve(n);
  if (n == 0) return out;
  if (HPCREC_H5(H5Tis_variable_str(file_type.get())) > 0) {
    Datatype mem = variable_string_type();
    std::vector<char*> ptrs(n, nullptr);
    HPCREC_H5(H5Dread(dataset, mem.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()));
    for (char* p : ptrs) out.emplace_back(p ? p : "");
    reclaim_vlen(mem.get(), space.get(), ptrs.data());
  } else {
    const std::size_t size = HPCREC_H5(H5Tget_size(file_type.get()));
    Datatype mem = fixed_string_type(size);
    std::vector<char> buf(n * size);
    HPCREC_H5(H5Dread(dataset, mem.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()));
    for (std::size_t i = 0; i < n; ++i) out.push_back(trim_fixed(buf.data() + i * size, size));
  }
  return out;
}

// --- attributes ---------------------------------------------------------

namespace {

void write_scalar_attribute(hid_t loc, const std::string& name, hid_t file_type, hid_t mem_type,
                            const void* v) {
  if (HPCREC_H5(H5Aexists(loc, name.c_str())) > 0) HPCREC_H5(H5Adelete(loc, name.c_str()));
  Dataspace space = scalar_space();
  AttributeId attr(
      HPCREC_H5(H5Acreate2(loc, name.c_str(), file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT)));
  HPCREC_H5(H5Awrite(attr.get(), mem_type, v));
}

}  // namespace

void write_attribute(hid_t loc, const std::string& name, std::int64_t value) {
  write_scalar_attribute(loc, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &value);
}

void write_attribute(hid_t loc, const std::string& name, double value) {
  write_scalar_attribute(loc, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value);
}

void write_attribute(hid_t loc, const std::string& name, const std::string& value) {
  Datatype type = fixed_string_type(value.size());
  std::vector<char> buf(std::max<std::size_t>(value.size(), 1), '\0');
  std::memcpy(buf.data(), value.data(), value.size());
  write_scalar_attribute(loc, name, type.get(), type.get(), buf.data());
}

void write_attribute(hid_t loc, const std::string& name, const AttributeValue& value) {
  std::visit([&](const auto& v) { write_attribute(loc, name, v); }, value);
}

bool has_attribute(hid_t loc, const std::string& name) { return HPCREC_H5(H5Aexists(loc, name.c_str())) > 0; }

AttributeValue read_attribute(hid_t loc, const std::string& name) {
  AttributeId attr(HPCREC_H5(H5Aopen(loc, name.c_str(), H5P_DEFAULT)));
  Dataspace space(HPCREC_H5(H5Aget_space(attr.get())));
  if (HPCREC_H5(H5Sget_simple_extent_npoints(space.get())) != 1) {
    throw H5Error("attribute " + name + " is not a single value");
  }
  Datatype type(HPCREC_H5(H5Aget_type(attr.get())));
  switch (HPCREC_H5(H5Tget_class(type.get()))) {
    case H5T_INTEGER: {
      std::int64_t v = 0;
      HPCREC_H5(H5Aread(attr.get(), H5T_NATIVE_INT64, &v));
      return v;
    }
    case H5T_FLOAT: {
      double v = 0;
      HPCREC_H5(H5Aread(attr.get(), H5T_NATIVE_DOUBLE, &v));
      return v;
    }
    case H5T_STRING: {
      if (HPCREC_H5(H5Tis_variable_str(type.get())) > 0) {
        Datatype mem = variable_string_type();
        char* p = nullptr;
        HPCREC_H5(H5Aread(attr.get(), mem.get(), &p));
        std::string s = p ? p : "";
        reclaim_vlen(mem.get(), space.get(), &p);
        return s;
      }
      const std::size_t size = HPCREC_H5(H5Tget_size(type.get()));
      Datatype mem = fixed_string_type(size);
      std::vector<char> buf(size);
      HPCREC_H5(H5Aread(attr.get(), mem.get(), buf.data()));
      return trim_fixed(buf.data(), size);
    }
    default:
      throw H5Error("attribute " + name + " is neither a number nor a string");
  }
}

namespace {

herr_t collect_name(hid_t, const char* name, const H5A_info_t*, void* data) {
  static_cast<std::vector<std::string>*>(data)->emplace_back(name);
  return 0;
}

}  // namespace

std::map<std::string, AttributeValue> read_attributes(hid_t loc) {
  std::vector<std::string> names;
  HPCREC_H5(H5Aiterate2(loc, H5_INDEX_NAME, H5_ITER_INC, nullptr, collect_name, &names));
  std::map<std::string, AttributeValue> out;
  for (const auto& name : names) {
    // An attribute another tool added (an array, a compound) is not ours to
    // interpret; skipping it keeps an annotated file readable.
    try {
      out.emplace(name, read_attribute(loc, name));
    } catch (const H5Error&) {
    }
  }
  return out;
}

// --- collective atomic replace -----------------------------------------

namespace {

bool g_abort_on_failure = false;  // see abort_pending_on_unwind

// The directory holding `path`, and the bytes free on its file system
// (nullopt when that cannot be asked).
struct Room {
  std::string dir;
  std::optional<std::uintmax_t> available;
};
Room room_for(const std::string& path) {
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (dir.empty()) dir = ".";
  std::error_code ec;
  const std::filesystem::space_info s = std::filesystem::space(dir, ec);
  return {dir.string(), ec ? std::nullopt : std::optional<std::uintmax_t>(s.available)};
}

// "; DIR has N bytes free (no space left on device?)" when the file system
// holding `path` has under 1 MiB left, else "".
std::string space_hint(const std::string& path) {
  const Room r = room_for(path);
  if (!r.available || *r.available >= (std::uintmax_t{1} << 20)) return "";
  return "; " + r.dir + " has " + std::to_string(*r.available) + " bytes free (no space left on device?)";
}

}  // namespace

bool abort_pending_on_unwind() noexcept { return g_abort_on_failure; }

void write_atomically(const dist::Communicator& comm, const std::string& path,
                      const std::function<void()>& write, WriteFailure on_failure,
                      std::uintmax_t expected_bytes) {
  const std::string tmp = tmp_path(path);
  try {
    dist::collective_phase(comm, [&] {
      if (comm.rank() != 0) return;
      std::FILE* f = std::fopen(tmp.c_str(), "wb");
      if (f == nullptr) throw InputError("cannot create " + tmp + ": " + std::strerror(errno));
      std::fclose(f);
      if (expected_bytes == 0) return;
      // Ids, HDF5 metadata and attributes come on top of the raw data.
      const std::uintmax_t needed = expected_bytes + expected_bytes / 16 + (std::uintmax_t{1} << 20);
      const Room r = room_for(tmp);
      if (r.available && *r.available < needed)
        throw InputError(path + ": needs about " + std::to_string(needed) + " bytes, " + r.dir + " has " +
                         std::to_string(*r.available) + " free (no space left on device)");
    });
    dist::collective_phase(comm, [&] {
      const bool abort = on_failure == WriteFailure::kAbort && comm.size() > 1;
      try {
        g_abort_on_failure = abort;
        write();
        g_abort_on_failure = false;
      } catch (const std::exception& e) {
        g_abort_on_failure = false;
        const std::string what = tmp + ": " + e.what() + space_hint(tmp);
        if (abort) {
          std::fprintf(stderr, "rank %d: %s\n", comm.rank(), what.c_str());
          std::remove(tmp.c_str());  // the job ends here: nobody else will
          std::fflush(stderr);
          MPI_Abort(comm.raw(), kExitFailure);
        }
        if (dynamic_cast<const InputError*>(&e)) throw InputError(what);
        throw std::runtime_error(what);
      }
    });
    // The agreement above doubles as the barrier the rename needs: every
    // rank has closed the file before rank 0 gives it its final name.
    dist::collective_phase(comm, [&] {
      if (comm.rank() == 0) commit_tmp(path);
    });
  } catch (...) {
    if (comm.rank() == 0) discard_tmp(path);
    throw;
  }
}

}  // namespace hpcrec::io::h5
