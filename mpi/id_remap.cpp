#include "mpi/id_remap.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace hpcrec::dist {

void agree_on_id_kind(const Communicator& comm, math::IdColumn& column) {
  const int any_string = comm.allreduce<int>(column.is_string ? 1 : 0, MPI_MAX);
  if (any_string && !column.is_string) column.to_string_mode();
}

namespace {

// Strings travel as one buffer of NUL-terminated texts.
std::vector<char> pack(std::span<const std::string> strings) {
  std::vector<char> buf;
  for (const auto& s : strings) {
    buf.insert(buf.end(), s.begin(), s.end());
    buf.push_back('\0');
  }
  return buf;
}

std::vector<std::string> unpack(const std::vector<char>& buf) {
  std::vector<std::string> out;
  for (size_t at = 0; at < buf.size();) {
    const size_t len = std::strlen(buf.data() + at);
    out.emplace_back(buf.data() + at, len);
    at += len + 1;
  }
  return out;
}

// Personalised all-to-all of keys grouped by destination (counts[r] keys
// for rank r, in order); returns what arrived, in rank order, and how many
// from each rank.
std::vector<std::int64_t> exchange(const Communicator& comm, const std::vector<std::int64_t>& send,
                                   const std::vector<std::int64_t>& counts, std::vector<std::int64_t>* from) {
  return comm.alltoallv<std::int64_t>(send, counts, from);
}

std::vector<std::string> exchange(const Communicator& comm, const std::vector<std::string>& send,
                                  const std::vector<std::int64_t>& counts, std::vector<std::int64_t>* from) {
  std::vector<std::int64_t> bytes(counts.size(), 0);
  size_t at = 0;
  for (size_t r = 0; r < counts.size(); ++r)
    for (std::int64_t j = 0; j < counts[r]; ++j) bytes[r] += static_cast<std::int64_t>(send[at++].size()) + 1;
  const std::vector<char> got = comm.alltoallv<char>(pack(send), bytes);
  std::vector<std::int64_t> got_bytes = comm.exchange_counts(bytes);
  std::vector<std::string> out = unpack(got);
  if (from) {
    // Strings per source, from the byte counts.
    from->assign(counts.size(), 0);
    size_t k = 0;
    for (size_t r = 0; r < got_bytes.size(); ++r) {
      std::int64_t b = 0;
      while (b < got_bytes[r]) b += static_cast<std::int64_t>(out[k++].size()) + 1, ++(*from)[r];
    }
  }
  return out;
}

std::vector<std::int64_t>& keys(math::IdMap& m, std::int64_t*) { return m.ints; }
std::vector<std::string>& keys(math::IdMap& m, std::string*) { return m.strings; }
const std::vector<std::int64_t>& keys(const math::IdMap& m, std::int64_t*) { return m.ints; }
const std::vector<std::string>& keys(const math::IdMap& m, std::string*) { return m.strings; }

// The sorted distinct integer ids of one rank's column, chunk by chunk: a
// full copy of the column would be the largest allocation of the whole load.
std::vector<std::int64_t> local_distinct(const math::IdColumn& column) {
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
  local.shrink_to_fit();
  return local;
}

// The distinct strings of the column (the dictionary may hold more than
// are used), sorted; with `code`, each one's dictionary index.
std::vector<std::string> local_distinct_strings(const math::IdColumn& column,
                                                std::vector<std::int64_t>* code) {
  std::vector<char> used(column.dictionary.size(), 0);
  for (auto v : column.values) used[static_cast<size_t>(v)] = 1;
  std::vector<std::int64_t> order;
  for (size_t d = 0; d < used.size(); ++d)
    if (used[d]) order.push_back(static_cast<std::int64_t>(d));
  std::sort(order.begin(), order.end(),
            [&](std::int64_t a, std::int64_t b) { return column.dictionary[a] < column.dictionary[b]; });
  // Distinct dictionary entries may repeat a text (to_string_mode keeps one
  // per integer, the reader one per text), so dedupe by text.
  std::vector<std::string> out;
  std::vector<std::int64_t> codes;
  for (std::int64_t d : order) {
    if (!out.empty() && out.back() == column.dictionary[d]) continue;
    out.push_back(column.dictionary[d]);
    codes.push_back(d);
  }
  if (code) *code = std::move(codes);
  return out;
}

// Regular sampling: P - 1 splitters from up to 4P evenly spaced samples of
// each rank's sorted keys, so that the buckets hold about 1/P of the keys.
template <class Key>
std::vector<Key> splitters(const Communicator& comm, const std::vector<Key>& sorted) {
  const int p = comm.size();
  const size_t want = std::min(sorted.size(), static_cast<size_t>(4 * p));
  std::vector<Key> sample;
  for (size_t j = 0; j < want; ++j) sample.push_back(sorted[(2 * j + 1) * sorted.size() / (2 * want)]);
  std::vector<Key> all;
  if constexpr (std::is_same_v<Key, std::string>) {
    all = unpack(comm.allgatherv<char>(pack(sample)));
  } else {
    all = comm.allgatherv<Key>(sample);
  }
  std::sort(all.begin(), all.end());
  std::vector<Key> out;
  for (int r = 1; r < p && !all.empty(); ++r) out.push_back(all[static_cast<size_t>(r) * all.size() / p]);
  return out;
}

// Counts per destination of sorted `keys`, rank r taking [cut[r-1], cut[r]).
template <class Key>
std::vector<std::int64_t> bucket_counts(const std::vector<Key>& sorted, const std::vector<Key>& cut, int p) {
  std::vector<std::int64_t> counts(static_cast<size_t>(p), 0);
  size_t r = 0;
  for (const Key& k : sorted) {
    while (r < cut.size() && !(k < cut[r])) ++r;
    ++counts[r];
  }
  return counts;
}

template <class Key>
math::IdMap partition_keys(const Communicator& comm, std::vector<Key> local, bool is_string) {
  math::IdMap map;
  map.is_string = is_string;
  std::vector<Key> mine;
  if (comm.size() == 1) {
    mine = std::move(local);
  } else {
    const std::vector<Key> cut = splitters(comm, local);
    const std::vector<std::int64_t> counts = bucket_counts(local, cut, comm.size());
    mine = exchange(comm, local, counts, nullptr);
    std::vector<Key>().swap(local);
    std::sort(mine.begin(), mine.end());
    mine.erase(std::unique(mine.begin(), mine.end()), mine.end());
  }
  mine.shrink_to_fit();
  const auto held = static_cast<math::Index>(mine.size());
  keys(map, static_cast<Key*>(nullptr)) = std::move(mine);
  map.total = comm.allreduce<math::Index>(held, MPI_SUM);
  map.first = comm.exscan_sum<math::Index>(held);
  return map;
}

// Where each rank's slice starts: the first id of every rank holding any
// (and whether it holds any), for routing a lookup to its holder.
template <class Key>
struct SliceStarts {
  std::vector<Key> first;  // per rank; meaningless where !holds[r]
  std::vector<char> holds;
};

template <class Key>
SliceStarts<Key> slice_starts(const Communicator& comm, const std::vector<Key>& held) {
  SliceStarts<Key> s;
  const std::vector<int> has = comm.allgather<int>(held.empty() ? 0 : 1);
  s.holds.assign(has.begin(), has.end());
  std::vector<Key> mine;
  if (!held.empty()) mine.push_back(held.front());
  std::vector<Key> got;
  if constexpr (std::is_same_v<Key, std::string>) {
    got = unpack(comm.allgatherv<char>(pack(mine)));
  } else {
    got = comm.allgatherv<Key>(mine);
  }
  s.first.resize(has.size());
  size_t k = 0;
  for (size_t r = 0; r < has.size(); ++r)
    if (has[r]) s.first[r] = got[k++];
  return s;
}

// Dense indices of sorted distinct `asked` keys (-1 where absent), each
// routed to the rank whose slice covers it.
template <class Key>
std::vector<math::Index> routed_lookup(const Communicator& comm, const math::IdMap& map,
                                       const std::vector<Key>& asked) {
  const std::vector<Key>& held = keys(map, static_cast<Key*>(nullptr));
  const SliceStarts<Key> starts = slice_starts(comm, held);
  const int p = comm.size();
  // `asked` is sorted and owners rise with the key: the sends are contiguous.
  // The owner of a key is the last rank holding ids whose first id is <= it
  // (-1 below every slice); keys ascend, so one pass with a moving rank.
  std::vector<std::int64_t> counts(static_cast<size_t>(p), 0);
  std::vector<int> owner(asked.size());
  std::vector<Key> send;
  send.reserve(asked.size());
  std::vector<int> holders;
  for (int r = 0; r < p; ++r)
    if (starts.holds[r]) holders.push_back(r);
  size_t next = 0;  // holders[next - 1] is the owner so far
  for (size_t j = 0; j < asked.size(); ++j) {
    while (next < holders.size() && !(asked[j] < starts.first[holders[next]])) ++next;
    owner[j] = next == 0 ? -1 : holders[next - 1];
    if (owner[j] < 0) continue;
    ++counts[static_cast<size_t>(owner[j])];
    send.push_back(asked[j]);
  }
  std::vector<std::int64_t> from;
  const std::vector<Key> questions = exchange(comm, send, counts, &from);
  std::vector<std::int64_t> answers(questions.size());
  for (size_t j = 0; j < questions.size(); ++j) {
    auto it = std::lower_bound(held.begin(), held.end(), questions[j]);
    answers[j] = it != held.end() && *it == questions[j] ? map.first + (it - held.begin()) : -1;
  }
  const std::vector<std::int64_t> replies = comm.alltoallv<std::int64_t>(answers, from);
  std::vector<math::Index> out(asked.size(), -1);
  size_t k = 0;
  for (size_t j = 0; j < asked.size(); ++j)
    if (owner[j] >= 0) out[j] = replies[k++];
  return out;
}

}  // namespace

math::IdMap build_id_map(const Communicator& comm, const math::IdColumn& column) {
  math::IdMap map;
  map.is_string = column.is_string;
  if (!column.is_string) {
    const std::vector<std::int64_t> local = local_distinct(column);
    map.ints = comm.allgatherv<std::int64_t>(local);
    std::sort(map.ints.begin(), map.ints.end());
    map.ints.erase(std::unique(map.ints.begin(), map.ints.end()), map.ints.end());
    // The gathered vector holds every rank's distinct ids, repeats across
    // ranks included (~P x the ids of one rank's slice for items): release
    // them, or each rank keeps that for the whole run (docs/SCALING.md).
    map.ints.shrink_to_fit();
    return map;
  }
  const std::vector<std::string> local = local_distinct_strings(column, nullptr);
  map.strings = unpack(comm.allgatherv<char>(pack(local)));
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

namespace hpcrec::dist {

math::IdMap partition_id_map(const Communicator& comm, const math::IdColumn& column) {
  if (!column.is_string) return partition_keys(comm, local_distinct(column), false);
  return partition_keys(comm, local_distinct_strings(column, nullptr), true);
}

namespace {

template <class Key>
void align_keys(const Communicator& comm, math::IdMap& map, const BlockPartition& part) {
  std::vector<Key>& held = keys(map, static_cast<Key*>(nullptr));
  const math::Index lo = map.first, hi = map.first + static_cast<math::Index>(held.size());
  std::vector<std::int64_t> counts(static_cast<size_t>(comm.size()), 0);
  for (int r = 0; r < comm.size(); ++r) {
    const math::Index a = std::max(lo, part.first(r)), b = std::min(hi, part.first(r) + part.count(r));
    counts[static_cast<size_t>(r)] = std::max<math::Index>(0, b - a);
  }
  // Slices are contiguous and in rank order on both sides, so the pieces for
  // ranks 0, 1, ... are consecutive runs of `held` and arrive in order.
  std::vector<Key> mine = exchange(comm, held, counts, nullptr);
  std::vector<Key>().swap(held);
  mine.shrink_to_fit();
  held = std::move(mine);
  map.first = part.first(comm.rank());
}

}  // namespace

void align_id_map(const Communicator& comm, math::IdMap& map, const BlockPartition& part) {
  if (!map.partitioned()) return;
  if (map.is_string) {
    align_keys<std::string>(comm, map, part);
  } else {
    align_keys<std::int64_t>(comm, map, part);
  }
}

math::IdMap gather_id_map(const Communicator& comm, const math::IdMap& map) {
  if (!map.partitioned()) return map;
  math::IdMap out;
  out.is_string = map.is_string;
  if (map.is_string) {
    out.strings = unpack(comm.allgatherv<char>(pack(map.strings)));
  } else {
    out.ints = comm.allgatherv<std::int64_t>(map.ints);
  }
  return out;
}

std::vector<math::Index> to_dense(const Communicator& comm, const math::IdColumn& column,
                                  const math::IdMap& map) {
  // Looked up in place where this rank holds every id (one rank): no copy
  // of the distinct ids.
  const bool holds_all = comm.allreduce<int>(map.held() == map.size() ? 1 : 0, MPI_MIN) == 1;
  if (!map.partitioned() || holds_all) return to_dense(column, map);
  std::vector<math::Index> out(column.size(), -1);
  if (map.is_string) {
    // A column of integers asks for their decimal texts.
    math::IdColumn text;
    const math::IdColumn* c = &column;
    if (!column.is_string) {
      text = column;
      text.to_string_mode();
      c = &text;
    }
    std::vector<std::int64_t> code;
    const std::vector<std::string> asked = local_distinct_strings(*c, &code);
    const std::vector<math::Index> dense = routed_lookup(comm, map, asked);
    std::vector<math::Index> by_code(c->dictionary.size(), -1);
    for (size_t j = 0; j < asked.size(); ++j) by_code[static_cast<size_t>(code[j])] = dense[j];
    // Repeated texts in the dictionary answer alike.
    for (size_t d = 0; d < by_code.size(); ++d) {
      if (by_code[d] >= 0) continue;
      auto it = std::lower_bound(asked.begin(), asked.end(), c->dictionary[d]);
      if (it != asked.end() && *it == c->dictionary[d])
        by_code[d] = dense[static_cast<size_t>(it - asked.begin())];
    }
    for (size_t k = 0; k < out.size(); ++k) out[k] = by_code[static_cast<size_t>(c->values[k])];
    return out;
  }
  // An integer map: string entries that are integers ask for their value
  // (as IdMap::find_text), the others are absent.
  math::IdColumn ints;
  const math::IdColumn* c = &column;
  if (column.is_string) {
    ints.values.assign(column.size(), 0);
    std::vector<char> parsed(column.dictionary.size(), 0);
    std::vector<std::int64_t> value(column.dictionary.size(), 0);
    for (size_t d = 0; d < column.dictionary.size(); ++d) {
      const std::string& t = column.dictionary[d];
      auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), value[d]);
      parsed[d] = ec == std::errc() && p == t.data() + t.size();
    }
    std::vector<char> valid(column.size(), 0);
    for (size_t k = 0; k < column.size(); ++k) {
      const auto d = static_cast<size_t>(column.values[k]);
      ints.values[k] = value[d];
      valid[k] = parsed[d];
    }
    const std::vector<std::int64_t> asked = local_distinct(ints);
    const std::vector<math::Index> dense = routed_lookup(comm, map, asked);
    for (size_t k = 0; k < out.size(); ++k) {
      if (!valid[k]) continue;
      out[k] = dense[static_cast<size_t>(std::lower_bound(asked.begin(), asked.end(), ints.values[k]) -
                                         asked.begin())];
    }
    return out;
  }
  const std::vector<std::int64_t> asked = local_distinct(*c);
  const std::vector<math::Index> dense = routed_lookup(comm, map, asked);
  for (size_t k = 0; k < out.size(); ++k) {
    out[k] = dense[static_cast<size_t>(std::lower_bound(asked.begin(), asked.end(), c->values[k]) -
                                       asked.begin())];
  }
  return out;
}

math::IdMap fetch_names(const Communicator& comm, const math::IdMap& map, std::vector<math::Index>& dense) {
  std::vector<math::Index> wanted;
  for (math::Index d : dense)
    if (d >= 0) wanted.push_back(d);
  std::sort(wanted.begin(), wanted.end());
  wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
  for (math::Index& d : dense)
    if (d >= 0)
      d = static_cast<math::Index>(std::lower_bound(wanted.begin(), wanted.end(), d) - wanted.begin());
  math::IdMap out;
  out.is_string = map.is_string;
  if (!map.partitioned()) {
    for (math::Index d : wanted) {
      if (map.is_string) {
        out.strings.push_back(map.string_at(d));
      } else {
        out.ints.push_back(map.int_at(d));
      }
    }
    return out;
  }
  // Route each index to the rank whose slice covers it (the slices' bounds:
  // P numbers), which answers with the id.
  const std::vector<math::Index> firsts = comm.allgather<math::Index>(map.first);
  const std::vector<math::Index> helds = comm.allgather<math::Index>(map.held());
  std::vector<std::int64_t> counts(static_cast<size_t>(comm.size()), 0);
  {
    size_t r = 0;
    for (math::Index d : wanted) {
      while (r < firsts.size() && !(d >= firsts[r] && d < firsts[r] + helds[r])) ++r;
      if (r == firsts.size()) throw std::logic_error("fetch_names: dense index outside the map");
      ++counts[r];
    }
  }
  std::vector<std::int64_t> from;
  const std::vector<math::Index> asked = comm.alltoallv<math::Index>(wanted, counts, &from);
  if (map.is_string) {
    std::vector<std::string> names;
    names.reserve(asked.size());
    for (math::Index d : asked) names.push_back(map.string_at(d));
    out.strings = exchange(comm, names, from, nullptr);
  } else {
    std::vector<std::int64_t> names;
    names.reserve(asked.size());
    for (math::Index d : asked) names.push_back(map.int_at(d));
    out.ints = comm.alltoallv<std::int64_t>(names, from);
  }
  return out;
}

}  // namespace hpcrec::dist
