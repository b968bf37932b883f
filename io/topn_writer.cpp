#include "io/topn_writer.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <climits>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "io/atomic_file.hpp"
#include "io/hdf5.hpp"
#include "io/item_titles.hpp"
#include "io/text_writer.hpp"
#include "mpi/failure.hpp"
#include "mpi/id_remap.hpp"

namespace hpcrec::io {

namespace {

struct RankInfo {
  std::int64_t first_user, users, n, user_map_size;
};

// Local checks first, then (all ranks alike, from one allgather) that the
// slices tile the users in rank order with one N. Agreed on before any
// collective I/O starts, so that no rank is left waiting in one.
void validate(const dist::Communicator& comm, const TopNSlice& s, const math::IdMap& users,
              const math::IdMap& items) {
  dist::collective_phase(comm, [&] {
    const auto slots = static_cast<std::size_t>(s.users) * static_cast<std::size_t>(std::max(s.n, 0));
    if (s.users < 0 || s.n < 0 || s.items.size() != slots || s.scores.size() != slots) {
      throw std::invalid_argument("write_topn: slice sizes do not match users x n");
    }
    if (s.first_user < 0 || s.first_user + s.users > users.size()) {
      throw std::invalid_argument("write_topn: user rows outside the user id map");
    }
    for (math::Index item : s.items) {
      if (item < -1 || item >= items.size())
        throw std::invalid_argument("write_topn: item index out of range");
    }
  });
  dist::collective_phase(comm, [&] {
    const auto all = comm.allgather(RankInfo{s.first_user, s.users, s.n, users.size()});
    std::int64_t next = 0;
    for (int r = 0; r < comm.size(); ++r) {
      if (all[r].first_user != next) {
        throw std::invalid_argument("write_topn: rank " + std::to_string(r) +
                                    "'s users do not follow the previous rank's");
      }
      if (all[r].n != all[0].n || all[r].user_map_size != all[0].user_map_size) {
        throw std::invalid_argument("write_topn: ranks disagree on N or on the users");
      }
      next += all[r].users;
    }
    if (next != all[0].user_map_size)
      throw std::invalid_argument("write_topn: the ranks do not cover every user");
  });
}

void append_id(std::string& out, const math::IdMap& ids, math::Index dense) {
  if (!ids.is_string) {
    char buf[24];
    auto res = std::to_chars(buf, buf + sizeof buf, ids.int_at(dense));
    out.append(buf, res.ptr);
    return;
  }
  const std::string& id = ids.string_at(dense);
  // RFC 4180 quoting, only where needed, so that any string id survives.
  if (id.find_first_of(",\"\r\n") == std::string::npos) {
    out += id;
    return;
  }
  out += '"';
  for (char c : id) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

}  // namespace

bool any_popular(const dist::Communicator& comm, const TopNSlice& s) {
  const bool mine = std::find(s.popular.begin(), s.popular.end(), 1) != s.popular.end();
  return comm.allreduce<int>(mine ? 1 : 0, MPI_MAX) != 0;
}

std::string format_topn_csv(const TopNSlice& s, const math::IdMap& users, const math::IdMap& items,
                            bool header, bool source) {
  std::string out;
  if (header) {
    out = "user,rank,item,score";
    if (s.titles) out += ",title";
    if (source) out += ",source";
    out += '\n';
  }
  char buf[64];
  for (math::Index u = 0; u < s.users; ++u) {
    int rank = 0;
    for (int j = 0; j < s.n; ++j) {
      const std::size_t slot = static_cast<std::size_t>(u) * s.n + j;
      const math::Index item = s.items[slot];
      if (item < 0) continue;
      append_id(out, users, s.first_user + u);
      out += ',';
      auto res = std::to_chars(buf, buf + sizeof buf, ++rank);
      out.append(buf, res.ptr);
      out += ',';
      append_id(out, items, item);
      out += ',';
      // Six significant digits, as printf's %g: plenty for a ranking score.
      res = std::to_chars(buf, buf + sizeof buf, s.scores[slot], std::chars_format::general, 6);
      out.append(buf, res.ptr);
      if (s.titles) {
        out += ',';
        out += csv_field((*s.titles)[static_cast<std::size_t>(item)]);
      }
      if (source) out += !s.popular.empty() && s.popular[static_cast<std::size_t>(u)] ? ",popular" : ",model";
      out += '\n';
    }
  }
  return out;
}

namespace {

bool ends_with_ci(const std::string& s, const std::string& suffix) {
  if (s.size() < suffix.size()) return false;
  return std::equal(
      suffix.begin(), suffix.end(), s.end() - static_cast<std::ptrdiff_t>(suffix.size()),
      [](char want, char have) { return std::tolower(static_cast<unsigned char>(have)) == want; });
}

}  // namespace

void write_topn(const dist::Communicator& comm, const std::string& path, const TopNSlice& slice,
                const math::IdMap& users, const math::IdMap& items) {
  if (items.partitioned()) {
    // A rank names only the items its lists hold, fetched from the ranks
    // that hold their ids: the lists renumbered into that small map.
    validate(comm, slice, users, items);
    TopNSlice local = slice;
    const math::IdMap named = dist::fetch_names(comm, items, local.items);
    std::vector<std::string> titles;
    if (slice.titles) {
      titles.resize(static_cast<std::size_t>(named.held()));
      for (std::size_t j = 0; j < local.items.size(); ++j) {
        if (local.items[j] >= 0)
          titles[static_cast<std::size_t>(local.items[j])] =
              (*slice.titles)[static_cast<std::size_t>(slice.items[j])];
      }
      local.titles = &titles;
    }
    write_topn(comm, path, local, users, named);
    return;
  }
  if (ends_with_ci(path, ".h5") || ends_with_ci(path, ".hdf5")) {
    write_topn_h5(comm, path, slice, users, items);
  } else {
    write_topn_csv(comm, path, slice, users, items);
  }
}

void write_topn_csv(const dist::Communicator& comm, const std::string& path, const TopNSlice& slice,
                    const math::IdMap& users, const math::IdMap& items) {
  validate(comm, slice, users, items);
  const bool source = any_popular(comm, slice);
  const std::string text = format_topn_csv(slice, users, items, comm.rank() == 0, source);
  write_text_collectively(comm, path, text);
}

void write_topn_h5(const dist::Communicator& comm, const std::string& path, const TopNSlice& slice,
                   const math::IdMap& users, const math::IdMap& items) {
  validate(comm, slice, users, items);
  const bool source = any_popular(comm, slice);
  const auto m = static_cast<hsize_t>(users.size());
  const auto n = static_cast<hsize_t>(slice.n);
  const auto first = static_cast<hsize_t>(slice.first_user);
  const auto rows = static_cast<hsize_t>(slice.users);
  const std::size_t slots = slice.items.size();

  // Original ids, padded with -1 / "" and NaN scores where a user has fewer than N.
  std::vector<std::string> user_names, item_names;
  std::vector<std::int64_t> item_ints;
  std::vector<double> scores(slots);
  for (std::size_t i = 0; i < slots; ++i) {
    scores[i] = slice.items[i] < 0 ? std::numeric_limits<double>::quiet_NaN() : slice.scores[i];
  }
  if (users.is_string) {
    const auto names = users.string_rows(slice.first_user, slice.users);
    user_names.assign(names.begin(), names.end());
  }
  if (items.is_string) {
    item_names.reserve(slots);
    for (math::Index item : slice.items)
      item_names.push_back(item < 0 ? std::string() : items.string_at(item));
  } else {
    item_ints.reserve(slots);
    for (math::Index item : slice.items) item_ints.push_back(item < 0 ? -1 : items.int_at(item));
  }
  // Collective, so computed by every rank whatever its id kind (all agree).
  const std::size_t user_len = h5::global_max_length(comm, user_names);
  const std::size_t item_len = h5::global_max_length(comm, item_names);

  h5::write_atomically(
      comm, path,
      [&] {
        h5::File file = h5::create_parallel(tmp_path(path), comm.raw());
        h5::PropList dxpl = h5::collective_transfer();
        {
          h5::Group group = h5::create_group(file.get(), "topn");
          const hsize_t dims1[1] = {m};
          const hsize_t dims2[2] = {m, n};
          if (users.is_string) {
            h5::Dataset ds = h5::create_string_dataset(group.get(), "users", dims1, user_len);
            h5::write_string_rows(ds.get(), user_len, first, user_names, dxpl.get());
          } else {
            h5::Dataset ds = h5::create_dataset(group.get(), "users", H5T_STD_I64LE, dims1);
            h5::write_rows(ds.get(), first, rows, users.int_rows(slice.first_user, slice.users).data(),
                           dxpl.get());
          }
          if (items.is_string) {
            h5::Dataset ds = h5::create_string_dataset(group.get(), "items", dims2, item_len);
            h5::write_string_rows(ds.get(), item_len, first, item_names, dxpl.get());
          } else {
            h5::Dataset ds = h5::create_dataset(group.get(), "items", H5T_STD_I64LE, dims2);
            h5::write_rows(ds.get(), first, rows, item_ints.data(), dxpl.get());
          }
          {
            h5::Dataset ds = h5::create_dataset(group.get(), "scores", H5T_IEEE_F64LE, dims2);
            h5::write_rows(ds.get(), first, rows, scores.data(), dxpl.get());
          }
          if (source) {
            std::vector<std::int32_t> flags(static_cast<std::size_t>(rows), 0);
            for (std::size_t u = 0; u < flags.size() && u < slice.popular.size(); ++u)
              flags[u] = slice.popular[u];
            h5::Dataset ds = h5::create_dataset(group.get(), "popular", H5T_STD_I8LE, dims1);
            h5::write_rows(ds.get(), first, rows, flags.data(), dxpl.get());
          }
          h5::write_attribute(group.get(), "n", static_cast<std::int64_t>(n));
          for (const auto& [key, value] : slice.attributes) h5::write_attribute(group.get(), key, value);
        }
        dxpl.close();
        file.close();
      },
      h5::WriteFailure::kAbort, static_cast<std::uintmax_t>(m) * n * 16);  // items, scores
}

}  // namespace hpcrec::io
