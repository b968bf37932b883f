#include "mpi/distribute.hpp"

#include <algorithm>

#include "src/errors.hpp"

namespace hpcrec::dist {

namespace {

template <class T>
void free_vector(std::vector<T>& v) {
  std::vector<T>().swap(v);
}

}  // namespace

std::vector<Record> shuffle_to_user_owners(const Communicator& comm, LocalRatings&& local,
                                           const BlockPartition& users, Offset* dropped) {
  const int p = comm.size();
  const size_t n = local.users.size();
  // Counting sort by owner straight from the columns: the send buffer is the
  // only copy, stable, so each owner's slice stays in file order.
  std::vector<std::int64_t> counts(p, 0);
  Offset bad = 0;
  // Owners are looked up twice rather than stored: 4 bytes a rating matter more here.
  for (size_t k = 0; k < n; ++k) {
    if (local.users[k] < 0 || local.items[k] < 0) {
      ++bad;
      continue;
    }
    ++counts[users.owner(local.users[k])];
  }
  std::vector<std::int64_t> next(p, 0);
  for (int r = 1; r < p; ++r) next[r] = next[r - 1] + counts[r - 1];
  std::vector<Record> send(n - static_cast<size_t>(bad));
  const bool has_ts = !local.timestamps.empty();
  for (size_t k = 0; k < n; ++k) {
    if (local.users[k] < 0 || local.items[k] < 0) continue;
    send[next[users.owner(local.users[k])]++] =
        Record{local.users[k], local.items[k], local.values[k], 0, has_ts ? local.timestamps[k] : 0};
  }
  free_vector(local.users);
  free_vector(local.items);
  free_vector(local.values);
  free_vector(local.timestamps);
  std::vector<Record> out;
  if (comm.size() == 1) {
    out = std::move(send);  // no second copy on one rank
  } else {
    out = comm.alltoallv<Record>(send, counts);
    free_vector(send);
  }
  for (size_t k = 0; k < out.size(); ++k) out[k].seq = static_cast<std::uint32_t>(k);
  if (dropped) *dropped = bad;
  return out;
}

Offset resolve_duplicates(std::vector<Record>& records, DuplicatePolicy policy, DensePair* repeated) {
  std::sort(records.begin(), records.end(), [](const Record& a, const Record& b) {
    if (a.user != b.user) return a.user < b.user;
    if (a.item != b.item) return a.item < b.item;
    if (a.timestamp != b.timestamp) return a.timestamp < b.timestamp;
    return a.seq < b.seq;
  });
  size_t out = 0;
  for (size_t lo = 0; lo < records.size();) {
    size_t hi = lo + 1;
    while (hi < records.size() && records[hi].user == records[lo].user &&
           records[hi].item == records[lo].item)
      ++hi;
    Record keep = records[hi - 1];  // latest timestamp, then latest in file order
    if (hi - lo > 1) {
      if (policy == DuplicatePolicy::kError) {
        *repeated = {keep.user, keep.item};
        return 0;
      }
      if (policy == DuplicatePolicy::kMean) {
        double sum = 0;
        for (size_t k = lo; k < hi; ++k) sum += records[k].value;
        keep.value = static_cast<float>(sum / static_cast<double>(hi - lo));
      }
    }
    records[out++] = keep;
    lo = hi;
  }
  const Offset removed = static_cast<Offset>(records.size() - out);
  records.resize(out);
  return removed;
}

std::vector<Offset> global_row_counts(const Communicator& comm, const std::vector<Index>& keys, Index rows) {
  std::vector<Offset> counts(static_cast<size_t>(rows), 0);
  for (Index k : keys)
    if (k >= 0) ++counts[k];
  comm.allreduce_inplace<Offset>(counts, MPI_SUM);
  return counts;
}

namespace {

struct RowCount {
  Index row;
  Offset count;
};

// (row, count) for each distinct row of `keys`, ascending, counted a chunk
// at a time: a sorted copy of all keys would be the load's largest array.
std::vector<RowCount> count_rows(const std::vector<Index>& keys) {
  constexpr size_t kChunk = size_t{1} << 20;
  std::vector<RowCount> out, part, merged;
  std::vector<Index> chunk;
  for (size_t at = 0; at < keys.size(); at += kChunk) {
    const size_t end = std::min(keys.size(), at + kChunk);
    chunk.assign(keys.begin() + static_cast<std::ptrdiff_t>(at),
                 keys.begin() + static_cast<std::ptrdiff_t>(end));
    std::sort(chunk.begin(), chunk.end());
    part.clear();
    for (Index key : chunk) {
      if (key < 0) continue;
      if (!part.empty() && part.back().row == key) {
        ++part.back().count;
      } else {
        part.push_back({key, 1});
      }
    }
    merged.clear();
    merged.reserve(out.size() + part.size());
    size_t i = 0, j = 0;
    while (i < out.size() || j < part.size()) {
      if (j == part.size() || (i < out.size() && out[i].row < part[j].row)) {
        merged.push_back(out[i++]);
      } else if (i == out.size() || part[j].row < out[i].row) {
        merged.push_back(part[j++]);
      } else {
        merged.push_back({out[i].row, out[i].count + part[j].count});
        ++i, ++j;
      }
    }
    out.swap(merged);
  }
  out.shrink_to_fit();
  return out;
}

}  // namespace

BlockPartition balanced_partition(const Communicator& comm, const std::vector<Index>& keys, Index rows,
                                  int k) {
  const int p = comm.size();
  if (p == 1) return BlockPartition::balanced(global_row_counts(comm, keys, rows), 1, k);
  constexpr Index kAlign = BlockPartition::kAlign;
  // Even blocks of whole chunks: rank r counts rows [start[r], start[r + 1]).
  const std::int64_t chunks = (static_cast<std::int64_t>(rows) + kAlign - 1) / kAlign;
  std::vector<Index> start(static_cast<size_t>(p) + 1);
  for (int r = 0; r <= p; ++r)
    start[r] = static_cast<Index>(std::min<std::int64_t>(rows, chunks * r / p * kAlign));
  std::vector<Offset> counts;
  {
    const std::vector<RowCount> mine = count_rows(keys);
    std::vector<std::int64_t> sends(static_cast<size_t>(p), 0);
    int r = 0;
    for (const RowCount& c : mine) {
      while (c.row >= start[r + 1]) ++r;
      ++sends[static_cast<size_t>(r)];
    }
    const std::vector<RowCount> got = comm.alltoallv<RowCount>(mine, sends);
    counts.assign(static_cast<size_t>(start[comm.rank() + 1] - start[comm.rank()]), 0);
    for (const RowCount& c : got) counts[static_cast<size_t>(c.row - start[comm.rank()])] += c.count;
  }
  // The work of each of this block's chunks, and the cumulative work before it.
  const Index first = start[comm.rank()];
  const Index block_rows = static_cast<Index>(counts.size());
  std::vector<std::int64_t> chunk_work;
  for (Index at = 0; at < block_rows; at += kAlign) {
    std::int64_t w = 0;
    for (Index i = at; i < std::min(block_rows, at + kAlign); ++i)
      w += BlockPartition::row_work(counts[i], k);
    chunk_work.push_back(w);
  }
  std::int64_t local = 0;
  for (std::int64_t w : chunk_work) local += w;
  const std::int64_t before = comm.exscan_sum<std::int64_t>(local);
  const std::int64_t total = comm.allreduce<std::int64_t>(local, MPI_SUM);
  // The cut for rank r is the first chunk boundary (over all blocks) whose
  // chunk passes r's target (BlockPartition::past_cut); rows where none does.
  std::vector<Index> cut(static_cast<size_t>(p) - 1, rows);
  std::int64_t cum = before;
  int r = 1;
  for (size_t c = 0; c < chunk_work.size() && r < p; ++c) {
    const std::int64_t next = cum + chunk_work[c];
    while (r < p && BlockPartition::past_cut(cum, next, total, r, p)) {
      cut[static_cast<size_t>(r) - 1] = first + static_cast<Index>(c) * kAlign;
      ++r;
    }
    cum = next;
  }
  comm.allreduce_inplace<Index>(cut, MPI_MIN);
  BlockPartition out;
  out.bounds.assign(static_cast<size_t>(p) + 1, 0);
  for (int j = 1; j < p; ++j) out.bounds[j] = cut[static_cast<size_t>(j) - 1];
  out.bounds[p] = rows;
  return out;
}

}  // namespace hpcrec::dist
