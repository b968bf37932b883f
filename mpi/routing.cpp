#include "mpi/routing.hpp"

#include <algorithm>
#include <cassert>

namespace hpcrec::dist {

RoutingPlan RoutingPlan::build(const Communicator& comm, std::vector<Index> needed,
                               const BlockPartition& owners) {
  RoutingPlan plan;
  const int p = comm.size();
  plan.recv_counts_.assign(p, 0);
  for (Index g : needed) ++plan.recv_counts_[owners.owner(g)];
  // Ask each owner for the rows we need (as global ids), learn what others ask of us.
  std::vector<std::int64_t> asked_counts;
  std::vector<Index> asked = comm.alltoallv<Index>(needed, plan.recv_counts_, &asked_counts);
  const Index first = owners.first(comm.rank());
  for (Index& g : asked) g -= first;
  plan.send_rows_ = std::move(asked);
  plan.send_counts_ = std::move(asked_counts);
  plan.needed_ = std::move(needed);
  return plan;
}

math::Matrix RoutingPlan::exchange(const Communicator& comm, const math::Matrix& factors,
                                   const math::Vector* bias) const {
  math::Matrix out;
  exchange_into(comm, factors, bias, out);
  return out;
}

void RoutingPlan::exchange_into(const Communicator& comm, const math::Matrix& factors,
                                const math::Vector* bias, math::Matrix& out) const {
  const Eigen::Index k = factors.cols(), width = k + (bias ? 1 : 0);
  const int me = comm.rank(), p = comm.size();
  // Row-major and in ascending global id order, i.e. by source rank: the
  // matrix is the receive buffer, source r's rows start at recv_displs[r].
  out.resize(static_cast<Eigen::Index>(needed_.size()), width);
  std::vector<std::int64_t> sc(send_counts_), rc(recv_counts_), rd(p);
  std::int64_t send_first = 0, recv_first = 0;  // this rank's own segment
  for (int r = 0, at = 0; r < p; at += static_cast<int>(recv_counts_[r]), ++r) rd[r] = at;
  for (int r = 0; r < me; ++r) send_first += send_counts_[r];
  recv_first = rd[me];
  // Own rows go straight into place; only other ranks' rows are packed.
  for (std::int64_t j = 0; j < send_counts_[me]; ++j) {
    const Index row = send_rows_[send_first + j];
    double* dst = out.data() + (recv_first + j) * width;
    std::copy_n(factors.row(row).data(), k, dst);
    if (bias) dst[k] = (*bias)[row];
  }
  // The buffer is kept from one exchange to the next: freeing it made every
  // exchange fault in fresh pages, which on a 10M-rating iALS run at 2 ranks
  // cost 0.2 s an iteration against 0.01 s for the exchange itself.
  send_buffer_.resize((send_rows_.size() - send_counts_[me]) * static_cast<size_t>(width));
  double* send = send_buffer_.data();
  for (size_t j = 0, packed = 0; j < send_rows_.size(); ++j) {
    if (static_cast<std::int64_t>(j) >= send_first &&
        static_cast<std::int64_t>(j) < send_first + send_counts_[me])
      continue;
    std::copy_n(factors.row(send_rows_[j]).data(), k, send + packed * width);
    if (bias) send[packed * width + k] = (*bias)[send_rows_[j]];
    ++packed;
  }
  sc[me] = rc[me] = 0;
  for (int r = 0; r < p; ++r) {
    sc[r] *= width;
    rc[r] *= width;
    rd[r] *= width;
  }
  comm.alltoallv_into<double>(send_buffer_, sc, out.data(), rc, rd);
}

Index RoutingPlan::local_column(Index global_id) const {
  auto it = std::lower_bound(needed_.begin(), needed_.end(), global_id);
  assert(it != needed_.end() && *it == global_id);
  return static_cast<Index>(it - needed_.begin());
}

void RoutingPlan::localize(std::span<Index> cols) const {
  for (Index& c : cols) c = local_column(c);
}

Offset RoutingPlan::bytes_sent(int width, int self_rank) const {
  Offset rows = 0;
  for (int r = 0; r < static_cast<int>(send_counts_.size()); ++r)
    if (r != self_rank) rows += send_counts_[r];
  return rows * width * static_cast<Offset>(sizeof(double));
}

}  // namespace hpcrec::dist
