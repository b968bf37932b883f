#include "mpi/routing.hpp"

#include <algorithm>
#include <cassert>

namespace hpcrec::dist {

RoutingPlan RoutingPlan::build(const Communicator& comm, std::vector<Index> needed, const BlockPartition& owners) {
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

math::Matrix RoutingPlan::exchange(const Communicator& comm, const math::Matrix& own) const {
  const Eigen::Index width = own.cols();
  std::vector<double> send(send_rows_.size() * static_cast<size_t>(width));
  for (size_t k = 0; k < send_rows_.size(); ++k) {
    std::copy_n(own.row(send_rows_[k]).data(), width, send.data() + k * width);
  }
  std::vector<std::int64_t> sc(send_counts_);
  for (auto& c : sc) c *= width;
  std::vector<double> recv = comm.alltoallv<double>(send, sc);
  math::Matrix out(static_cast<Eigen::Index>(needed_.size()), width);
  if (!recv.empty()) std::copy(recv.begin(), recv.end(), out.data());
  return out;
}

Index RoutingPlan::local_column(Index global_id) const {
  auto it = std::lower_bound(needed_.begin(), needed_.end(), global_id);
  assert(it != needed_.end() && *it == global_id);
  return static_cast<Index>(it - needed_.begin());
}

std::vector<Index> RoutingPlan::localize(std::span<const Index> global_cols) const {
  std::vector<Index> out(global_cols.size());
  for (size_t k = 0; k < out.size(); ++k) out[k] = local_column(global_cols[k]);
  return out;
}

Offset RoutingPlan::bytes_sent(int width, int self_rank) const {
  Offset rows = 0;
  for (int r = 0; r < static_cast<int>(send_counts_.size()); ++r)
    if (r != self_rank) rows += send_counts_[r];
  return rows * width * static_cast<Offset>(sizeof(double));
}

}  // namespace hpcrec::dist
