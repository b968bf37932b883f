#include "io/checkpoint.hpp"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <regex>

#include "io/hdf5.hpp"
#include "mpi/failure.hpp"
#include "src/errors.hpp"
#include "src/rng.hpp"

namespace hpcrec::io {

namespace fs = std::filesystem;

namespace {

std::uint64_t bits_of(double x) {
  std::uint64_t b;
  std::memcpy(&b, &x, sizeof b);
  return b;
}

std::uint64_t hash_bytes(std::string_view s) {
  std::uint64_t h = 1469598103934665603ULL;  // FNV-1a, then mixed by hash64
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
  return math::hash64(h, s.size(), 0);
}

// Collective: reads rows [first, first + count) of a 1-D or 2-D float64
// dataset of `width` columns into `out` (count x width, row-major). A rank
// with no rows still joins, with empty selections.
void read_rows(hid_t dataset, hsize_t first, hsize_t count, hsize_t width, double* out, hid_t dxpl) {
  h5::Dataspace file_space(HPCREC_H5(H5Dget_space(dataset)));
  const int rank = HPCREC_H5(H5Sget_simple_extent_ndims(file_space.get()));
  h5::Dataspace mem_space;
  static double dummy = 0;
  if (count == 0 || width == 0) {
    HPCREC_H5(H5Sselect_none(file_space.get()));
    const hsize_t one = 1;
    mem_space = h5::Dataspace(HPCREC_H5(H5Screate_simple(1, &one, nullptr)));
    HPCREC_H5(H5Sselect_none(mem_space.get()));
    out = &dummy;
  } else {
    const hsize_t start[2] = {first, 0};
    const hsize_t block[2] = {count, width};
    HPCREC_H5(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, block, nullptr));
    mem_space = h5::Dataspace(HPCREC_H5(H5Screate_simple(rank, block, nullptr)));
  }
  HPCREC_H5(H5Dread(dataset, H5T_NATIVE_DOUBLE, mem_space.get(), file_space.get(), dxpl, out));
}

const Attribute* find_attr(const Attributes& a, const std::string& name) {
  auto it = a.find(name);
  return it == a.end() ? nullptr : &it->second;
}

std::int64_t int_attr(const Attributes& a, const std::string& name, const std::string& path) {
  const Attribute* v = find_attr(a, name);
  const auto* i = v ? std::get_if<std::int64_t>(v) : nullptr;
  if (!i) throw std::runtime_error("attribute " + name + " is missing or not an integer");
  (void)path;
  return *i;
}

std::string show(const Attribute& v) {
  if (const auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&v)) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", *d);
    return buf;
  }
  return "'" + std::get<std::string>(v) + "'";
}

std::int64_t as_int(std::uint64_t h) { return static_cast<std::int64_t>(h); }

// Continues the chain `h` over the ids held (dense indices first...).
std::uint64_t hash_id_rows(std::uint64_t h, const math::IdMap& ids) {
  for (math::Index i = ids.first; i < ids.first + ids.held(); ++i) {
    const std::uint64_t v =
        ids.is_string ? hash_bytes(ids.string_at(i)) : static_cast<std::uint64_t>(ids.int_at(i));
    h = math::hash64(h, v, static_cast<std::uint64_t>(i));
  }
  return h;
}

}  // namespace

std::uint64_t hash_ids(const math::IdMap& ids) {
  if (ids.partitioned()) throw std::logic_error("hash_ids: a partitioned map needs the communicator");
  return hash_id_rows(math::hash64(ids.is_string ? 2 : 1, static_cast<std::uint64_t>(ids.size()), 0), ids);
}

std::uint64_t hash_ids(const dist::Communicator& comm, const math::IdMap& ids) {
  if (!ids.partitioned()) return hash_ids(ids);
  // The same chain as over a whole map, continued from rank to rank.
  const std::uint64_t init = math::hash64(ids.is_string ? 2 : 1, static_cast<std::uint64_t>(ids.size()), 0);
  return comm.relay<std::uint64_t>(init, [&](std::uint64_t h) { return hash_id_rows(h, ids); });
}

std::uint64_t hash_ratings(const math::CsrBlock& ratings, const std::vector<math::Index>& cols) {
  std::uint64_t sum = 0;
  for (math::Index r = 0; r < ratings.rows(); ++r) {
    const auto row = static_cast<std::uint64_t>(ratings.first_row + r);
    for (math::Offset e = ratings.indptr[r]; e < ratings.indptr[r + 1]; ++e) {
      const math::Index c = cols.empty() ? ratings.cols[e] : cols[ratings.cols[e]];
      std::uint32_t v;
      std::memcpy(&v, &ratings.values[e], sizeof v);
      sum += math::hash64(row, static_cast<std::uint64_t>(c), v);
    }
  }
  return sum;
}

std::uint64_t hash_rows(math::Index first, const math::Matrix& factors, const math::Vector& bias) {
  std::uint64_t sum = 0;
  for (Eigen::Index r = 0; r < factors.rows(); ++r) {
    std::uint64_t h = math::hash64(static_cast<std::uint64_t>(first + r), bits_of(bias[r]), factors.cols());
    for (Eigen::Index j = 0; j < factors.cols(); ++j) h = math::hash64(h, bits_of(factors(r, j)), j);
    sum += h;
  }
  return sum;
}

std::string checkpoint_path(const std::string& dir, std::int64_t iteration) {
  char name[32];
  std::snprintf(name, sizeof name, "ckpt-%06" PRId64 ".h5", iteration);
  return (fs::path(dir) / name).string();
}

std::vector<std::string> list_checkpoints(const std::string& dir) {
  static const std::regex pattern("ckpt-([0-9]+)\\.h5");
  std::vector<std::pair<long long, std::string>> found;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return {};
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::smatch m;
    const std::string name = entry.path().filename().string();
    if (std::regex_match(name, m, pattern)) found.emplace_back(std::stoll(m[1]), entry.path().string());
  }
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<std::string> out;
  for (auto& f : found) out.push_back(std::move(f.second));
  return out;
}

CheckpointWritten write_checkpoint(const dist::Communicator& comm, const std::string& dir,
                                   const CheckpointSlice& slice, int keep) {
  const double t0 = MPI_Wtime();
  CheckpointWritten out;
  out.path = checkpoint_path(dir, slice.iteration);
  dist::collective_phase(comm, [&] {
    if (comm.rank() != 0) return;
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec || !fs::is_directory(dir)) {
      throw InputError("checkpoint directory " + dir +
                       ": cannot create it: " + (ec ? ec.message() : std::string("not a directory")));
    }
  });
  std::uint64_t sums[2] = {hash_rows(slice.users.first, *slice.users.factors, *slice.users.bias),
                           hash_rows(slice.items.first, *slice.items.factors, *slice.items.bias)};
  comm.allreduce_inplace<std::uint64_t>(sums, MPI_SUM);

  ModelSlice m;
  m.attributes = slice.hyper;
  m.attributes["checkpoint_format_version"] = std::int64_t{kCheckpointFormatVersion};
  m.attributes["iteration"] = slice.iteration;
  m.attributes["iterations"] = slice.iteration;
  m.attributes["global_mean"] = slice.data.global_mean;
  m.attributes["users"] = slice.data.users;
  m.attributes["items"] = slice.data.items;
  m.attributes["ratings"] = slice.data.ratings;
  m.attributes["user_ids_hash"] = as_int(slice.data.user_ids_hash);
  m.attributes["item_ids_hash"] = as_int(slice.data.item_ids_hash);
  m.attributes["ratings_hash"] = as_int(slice.data.ratings_hash);
  m.attributes["users_checksum"] = as_int(sums[0]);
  m.attributes["items_checksum"] = as_int(sums[1]);
  m.users = slice.users;
  m.items = slice.items;
  m.trailing_attributes.emplace_back("complete", std::int64_t{1});
  write_model(comm, out.path, m);
  out.seconds = comm.allreduce<double>(MPI_Wtime() - t0, MPI_MAX);

  // Rotation only now that the new one is complete under its real name.
  if (comm.rank() == 0) {
    std::error_code ec;
    out.bytes = fs::file_size(out.path, ec);
    if (keep > 0) {
      const std::vector<std::string> all = list_checkpoints(dir);
      for (std::size_t i = static_cast<std::size_t>(keep); i < all.size(); ++i) {
        if (all[i] == out.path) continue;
        if (fs::remove(all[i], ec)) {
          out.removed.push_back(all[i]);
        } else if (ec) {
          std::cerr << "hpcrec: warning: cannot remove old checkpoint " << all[i] << ": " << ec.message()
                    << "\n";
        }
      }
    }
    // A job killed mid-write leaves its ckpt-NNNNNN.h5.TOKEN.tmp behind, and
    // one killed inside MPI_File_open also the TMP.locktest.RANK that Open
    // MPI's sharedfp/lockedfile component creates while probing the file
    // system. One numbered at or below the checkpoint just completed can only
    // be such a leftover (this job's own was renamed), so the directory does
    // not fill up with them over preemptions.
    static const std::regex stale("ckpt-([0-9]+)\\.h5(\\..*)?\\.tmp(\\.locktest\\.[0-9]+)?");
    std::vector<fs::path> leftovers;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      std::smatch m;
      const std::string name = entry.path().filename().string();
      if (std::regex_match(name, m, stale) && std::stoll(m[1]) <= slice.iteration)
        leftovers.push_back(entry.path());
    }
    for (const fs::path& p : leftovers) {
      std::error_code rm;
      if (fs::remove(p, rm)) out.removed.push_back(p.string());
    }
  }
  return out;
}

LoadedCheckpoint read_checkpoint(const dist::Communicator& comm, const std::string& path,
                                 math::Index user_first, math::Index user_rows, math::Index item_first,
                                 math::Index item_rows) {
  LoadedCheckpoint out;
  out.path = path;
  h5::File file;
  h5::Dataset uf, ub, itf, ib;
  hsize_t k = 0;
  const auto user_end = comm.allreduce<std::int64_t>(user_first + user_rows, MPI_MAX);
  const auto item_end = comm.allreduce<std::int64_t>(item_first + item_rows, MPI_MAX);
  auto wrap = [&](const std::exception& e) {
    return std::runtime_error("checkpoint " + path + " is incomplete or corrupt: " + e.what());
  };
  // Phase 1: the same metadata on every rank, hence the same verdict.
  dist::collective_phase(comm, [&] {
    try {
      std::error_code ec;
      if (!fs::is_regular_file(path, ec)) throw std::runtime_error("no such file");
      h5::silence_errors();
      if (H5Fis_hdf5(path.c_str()) <= 0) throw std::runtime_error("not an HDF5 file (truncated?)");
      file = h5::open_parallel(path, comm.raw(), H5F_ACC_RDONLY);
      out.attributes = h5::read_attributes(file.get());
      if (int_attr(out.attributes, "complete", path) != 1)
        throw std::runtime_error("attribute complete is not 1");
      const std::int64_t version = int_attr(out.attributes, "checkpoint_format_version", path);
      if (version != kCheckpointFormatVersion) {
        throw std::runtime_error("checkpoint format version " + std::to_string(version) +
                                 " is not supported (this build reads version " +
                                 std::to_string(kCheckpointFormatVersion) + ")");
      }
      out.iteration = int_attr(out.attributes, "iteration", path);
      k = static_cast<hsize_t>(int_attr(out.attributes, "factors", path));
      const auto m = static_cast<hsize_t>(int_attr(out.attributes, "users", path));
      const auto n = static_cast<hsize_t>(int_attr(out.attributes, "items", path));
      auto open = [&](const char* name, hsize_t rows, hsize_t cols) {
        if (!h5::exists(file.get(), name)) throw std::runtime_error(std::string("missing ") + name);
        h5::Dataset ds = h5::open_dataset(file.get(), name);
        const std::vector<hsize_t> dims = h5::dataset_dims(ds.get());
        const bool ok = cols == 0 ? dims.size() == 1 && dims[0] == rows
                                  : dims.size() == 2 && dims[0] == rows && dims[1] == cols;
        if (!ok) throw std::runtime_error(std::string(name) + " has an unexpected shape");
        return ds;
      };
      uf = open("/users/factors", m, k);
      ub = open("/users/bias", m, 0);
      itf = open("/items/factors", n, k);
      ib = open("/items/bias", n, 0);
      // Other data (a different number of users or items) is a mismatch,
      // not corruption: an InputError, the same verdict on every rank.
      if (static_cast<std::int64_t>(m) != user_end) {
        throw InputError("checkpoint " + path + ": users differs: checkpoint " + std::to_string(m) +
                         ", this run " + std::to_string(user_end));
      }
      if (static_cast<std::int64_t>(n) != item_end) {
        throw InputError("checkpoint " + path + ": items differs: checkpoint " + std::to_string(n) +
                         ", this run " + std::to_string(item_end));
      }
    } catch (const InputError&) {
      throw;
    } catch (const std::exception& e) {
      throw wrap(e);
    }
  });
  // Phase 2: every rank its own rows of the current partition.
  dist::collective_phase(comm, [&] {
    try {
      h5::PropList dxpl = h5::collective_transfer();
      out.user_factors.resize(user_rows, static_cast<Eigen::Index>(k));
      out.user_bias.resize(user_rows);
      out.item_factors.resize(item_rows, static_cast<Eigen::Index>(k));
      out.item_bias.resize(item_rows);
      read_rows(uf.get(), user_first, user_rows, k, out.user_factors.data(), dxpl.get());
      read_rows(ub.get(), user_first, user_rows, 1, out.user_bias.data(), dxpl.get());
      read_rows(itf.get(), item_first, item_rows, k, out.item_factors.data(), dxpl.get());
      read_rows(ib.get(), item_first, item_rows, 1, out.item_bias.data(), dxpl.get());
      uf.close();
      ub.close();
      itf.close();
      ib.close();
      dxpl.close();
      file.close();
    } catch (const std::exception& e) {
      throw wrap(e);
    }
  });
  // Phase 3: the data read back is the data written.
  std::uint64_t sums[2] = {hash_rows(user_first, out.user_factors, out.user_bias),
                           hash_rows(item_first, out.item_factors, out.item_bias)};
  comm.allreduce_inplace<std::uint64_t>(sums, MPI_SUM);
  dist::collective_phase(comm, [&] {
    try {
      if (as_int(sums[0]) != int_attr(out.attributes, "users_checksum", path))
        throw std::runtime_error("user factors do not match their checksum");
      if (as_int(sums[1]) != int_attr(out.attributes, "items_checksum", path))
        throw std::runtime_error("item factors do not match their checksum");
    } catch (const std::exception& e) {
      throw wrap(e);
    }
  });
  return out;
}

std::vector<std::string> check_compatible(const LoadedCheckpoint& ckpt, const CheckpointData& data,
                                          const Attributes& hyper, bool force) {
  const std::string where = "checkpoint " + ckpt.path + ": ";
  auto mismatch = [&](const std::string& field, const std::string& theirs, const std::string& ours) {
    return InputError(where + field + " differs: checkpoint " + theirs + ", this run " + ours);
  };
  auto check_int = [&](const char* field, std::int64_t ours) {
    const Attribute* v = find_attr(ckpt.attributes, field);
    if (!v) throw InputError(where + "attribute " + field + " is missing");
    if (!(*v == Attribute{ours})) throw mismatch(field, show(*v), std::to_string(ours));
  };
  // The data: not negotiable (the factors would mean nothing).
  check_int("users", data.users);
  check_int("items", data.items);
  check_int("user_ids_hash", as_int(data.user_ids_hash));
  check_int("item_ids_hash", as_int(data.item_ids_hash));
  check_int("ratings", data.ratings);
  check_int("ratings_hash", as_int(data.ratings_hash));
  const Attribute* mu = find_attr(ckpt.attributes, "global_mean");
  if (!mu || !(*mu == Attribute{data.global_mean})) {
    throw mismatch("global_mean", mu ? show(*mu) : "(missing)", show(Attribute{data.global_mean}));
  }
  std::vector<std::string> accepted;
  for (const auto& [name, ours] : hyper) {
    const Attribute* theirs = find_attr(ckpt.attributes, name);
    if (theirs && *theirs == ours) continue;
    const std::string t = theirs ? show(*theirs) : "(missing)";
    if (!force || name == "algorithm" || name == "factors") {
      InputError e = mismatch(name, t, show(ours));
      if (name == "algorithm" || name == "factors") throw e;
      throw InputError(std::string(e.what()) + " (--resume-force continues with this run's value)");
    }
    accepted.push_back(name + ": checkpoint " + t + ", continuing with " + show(ours));
  }
  return accepted;
}

}  // namespace hpcrec::io
