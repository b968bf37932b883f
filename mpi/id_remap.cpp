#include "mpi/id_remap.hpp"

#include <algorithm>
#include <cstring>

namespace hpcrec::dist {

void agree_on_id_kind(const Communicator& comm, math::IdColumn& column) {
  const int any_string = comm.allreduce<int>(column.is_string ? 1 : 0, MPI_MAX);
  if (any_string && !column.is_string) column.to_string_mode();
}

namespace {

// Strings travel as one buffer of NUL-terminated texts.
std::vector<char> pack(const std::vector<std::string>& strings) {
  std::vector<char> buf;
  for (const auto& s : strings) {
    buf.insert(buf.end(), s.begin(), s.end());
    buf.push_back('\0');
  }
  return buf;
}

}  // namespace

math::IdMap build_id_map(const Communicator& comm, const math::IdColumn& column) {
  math::IdMap map;
  map.is_string = column.is_string;
  if (!column.is_string) {
    // Distinct ids chunk by chunk: a full copy of the column would be the
    // largest allocation of the whole load.
    constexpr size_t kChunk = size_t{1} << 20;
    std::vector<std::int64_t> local, chunk;
    for (size_t at = 0; at < column.values.size(); at += kChunk) {
      const size_t end = std::min(column.values.size(), at + kChunk);
      chunk.assign(column.values.begin() + static_cast<std::ptrdiff_t>(at),
                   column.values.begin() + static_cast<std::ptrdiff_t>(end));
      std::sort(chunk.begin(), chunk.end());
      chunk.erase(std::unique(chunk.begin(), chunk.end()), chunk.end());
      const auto mid = static_cast<std::ptrdiff_t>(local.size());
      local.insert(local.end(), chunk.begin(), chunk.end());
      std::inplace_merge(local.begin(), local.begin() + mid, local.end());
      local.erase(std::unique(local.begin(), local.end()), local.end());
    }
    map.ints = comm.allgatherv<std::int64_t>(local);
    std::sort(map.ints.begin(), map.ints.end());
    map.ints.erase(std::unique(map.ints.begin(), map.ints.end()), map.ints.end());
    // The gathered vector holds every rank's distinct ids, repeats across
    // ranks included (~P x the ids of one rank's slice for items): release
    // them, or each rank keeps that for the whole run (docs/SCALING.md).
    map.ints.shrink_to_fit();
    return map;
  }
  // Only the strings actually used (the dictionary may hold more).
  std::vector<char> used(column.dictionary.size(), 0);
  for (auto v : column.values) used[v] = 1;
  std::vector<std::string> local;
  for (size_t d = 0; d < used.size(); ++d)
    if (used[d]) local.push_back(column.dictionary[d]);
  std::vector<char> all = comm.allgatherv<char>(pack(local));
  for (size_t at = 0; at < all.size();) {
    size_t len = std::strlen(all.data() + at);
    map.strings.emplace_back(all.data() + at, len);
    at += len + 1;
  }
  std::sort(map.strings.begin(), map.strings.end());
  map.strings.erase(std::unique(map.strings.begin(), map.strings.end()), map.strings.end());
  map.strings.shrink_to_fit();
  return map;
}

std::vector<math::Index> to_dense(const math::IdColumn& column, const math::IdMap& map) {
  std::vector<math::Index> out(column.size(), -1);
  if (!column.is_string) {  // IdMap::find(int64) also serves string maps
    for (size_t k = 0; k < out.size(); ++k) out[k] = map.find(column.values[k]).value_or(-1);
    return out;
  }
  // Look each dictionary entry up once.
  std::vector<math::Index> code(column.dictionary.size());
  for (size_t d = 0; d < code.size(); ++d)
    code[d] = map.find(std::string_view(column.dictionary[d])).value_or(-1);
  for (size_t k = 0; k < out.size(); ++k) out[k] = code[column.values[k]];
  return out;
}

}  // namespace hpcrec::dist
