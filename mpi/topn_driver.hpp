// Every user's top-N, distributed: item blocks travel around the ring of
// ranks (P steps), each rank scoring its own users against the visiting
// block with dense products and keeping bounded heaps. No rank ever holds
// more than its own item block and one visiting block.
#pragma once

#include <functional>
#include <span>
#include <vector>

#include "mpi/communicator.hpp"
#include "src/csr_block.hpp"
#include "src/topn.hpp"

namespace hpcrec::dist {

struct TopNInput {
  const math::Matrix* user_factors = nullptr;  // this rank's users x k
  math::Vector user_offset;                    // per user: added to every score (mu + b_u)
  // Per user: the items to skip (sorted global ids, e.g. the training items); empty: none.
  std::vector<std::span<const math::Index>> exclusions;
  const std::vector<char>* blocked = nullptr;  // per global item: never recommended (optional)
  const math::Matrix* item_factors = nullptr;  // this rank's items x k
  const math::Vector* item_bias = nullptr;     // this rank's items
  math::Index first_item = 0;
  // Support-aware ranking (src/support_ranking.hpp): this rank's items'
  // log(n_i + 1), travelling with their block; null: rank by score. Set on
  // every rank or on none.
  const math::Vector* item_log_prior = nullptr;
  double like_threshold = 0, like_inv_sigma = 1;
  int n = 10;
  int threads = 1;
  // Called on the way with (work done, total work), if set (a progress line).
  std::function<void(double, double)> progress;
};

// Collective. The best n items of each of this rank's users (best first).
std::vector<std::vector<math::ScoredItem>> top_n_ring(const Communicator& comm, const TopNInput& in);

}  // namespace hpcrec::dist
