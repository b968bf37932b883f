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

}  // namespace hpcrec::dist
