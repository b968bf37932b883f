// The routing plan: which factor rows each rank needs from each other rank,
// built once, so that every ALS half-step sends only those rows.
//
// Worked example, 2 ranks, items partitioned {0, 3, 5} (rank 0 owns items
// 0..2, rank 1 owns 3..4). Rank 0's users rated items {1, 3, 4}; rank 1's
// users rated items {0, 1, 4}.
//
//   needed (sorted global ids)   rank 0: {1, 3, 4}     rank 1: {0, 1, 4}
//   recv_counts[owner]           rank 0: {1, 2}        rank 1: {2, 1}
//   send_rows (local rows, per   rank 0: to 0 {1},     rank 1: to 0 {0, 1},
//   destination, ascending)              to 1 {0, 1}           to 1 {1}
//
// Rank 0 sends its local item rows 0 and 1 (items 0, 1) to rank 1; the
// gathered block at rank 1 holds items 0, 1, 4 in that order, and a rating of
// item 4 at rank 1 refers to gathered row 2 (`local_column`). Because owners
// hold ascending id ranges and each request is sorted, the concatenation in
// rank order is in ascending global id order: a row's ratings, sorted by
// global id, stay sorted by gathered row.
#pragma once

#include <span>
#include <vector>

#include "mpi/communicator.hpp"
#include "mpi/partition.hpp"
#include "src/types.hpp"

namespace hpcrec::dist {

class RoutingPlan {
 public:
  RoutingPlan() = default;

  // Collective. `needed` are the sorted distinct global ids of the
  // counterpart rows this rank needs; `owners` partitions those rows.
  static RoutingPlan build(const Communicator& comm, std::vector<Index> needed, const BlockPartition& owners);

  // Collective. Sends the planned rows of this rank's block of the
  // counterpart side, each row as [factors, bias] (bias optional), and
  // returns the gathered block: row j is global row needed()[j], with
  // factors.cols() (+ 1 with bias) columns.
  math::Matrix exchange(const Communicator& comm, const math::Matrix& factors,
                        const math::Vector* bias = nullptr) const;
  // The same into `out`, whose storage is reused from one half-step to the
  // next: no fresh pages for the largest block every iteration.
  void exchange_into(const Communicator& comm, const math::Matrix& factors, const math::Vector* bias,
                     math::Matrix& out) const;

  // Index of global id `g` in the gathered block (g must be needed).
  Index local_column(Index global_id) const;
  // Rewrites global column ids into gathered-row indices, in place.
  void localize(std::span<Index> cols) const;

  const std::vector<Index>& needed() const { return needed_; }
  // Bytes this rank sends to other ranks per exchange of `width` doubles a row.
  Offset bytes_sent(int width, int self_rank) const;

 private:
  std::vector<Index> needed_;
  std::vector<Index> send_rows_;             // local row indices, grouped by destination
  std::vector<std::int64_t> send_counts_;    // rows per destination
  std::vector<std::int64_t> recv_counts_;    // rows per source
  mutable std::vector<double> send_buffer_;  // rows for other ranks, reused across exchanges
};

}  // namespace hpcrec::dist
