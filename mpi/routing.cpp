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
  send_buffer_.resize(send_rows_.size() * static_cast<size_t>(width));
  double* send = send_buffer_.data();
  for (size_t j = 0; j < send_rows_.size(); ++j) {
    std::copy_n(factors.row(send_rows_[j]).data(), k, send + j * width);
    if (bias) send[j * width + k] = (*bias)[send_rows_[j]];
  }
  std::vector<std::int64_t> sc(send_counts_), rc(recv_counts_);
  for (auto& c : sc) c *= width;
  for (auto& c : rc) c *= width;
  // Row-major and in ascending global id order: the matrix is the receive buffer.
  out.resize(static_cast<Eigen::Index>(needed_.size()), width);
  comm.alltoallv_into<double>(send_buffer_, sc, out.data(), rc);
  // The send buffer is a second copy of up to all own rows: hand it back
  // rather than hold it through the solve, where memory peaks.
  std::vector<double>().swap(send_buffer_);
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
