// Distributed KNN collaborative filtering (item-based or user-based): the
// similarity ring, rating prediction with its evaluation, and top-N.
//
// Terms. The KNN side S is the side whose rows get neighbours (items for
// item-based, users for user-based); the other side O is the one whose rows
// are the columns of S's rows (users for item-based). Each rank holds its
// block of S rows (S-major CSR, global O ids as columns) and its block of O
// rows (O-major CSR): the TrainingData pieces by_item and by_user.
//
// Similarity ring (compute_neighbors). Each rank prepares its own S rows
// (centred as the similarity needs, see src/similarity.hpp) and passes them
// around the ring of P ranks: at step t rank r compares its own rows with
// the block of rank r + t (mod P) and keeps a bounded top-K heap per own row,
// then hands the visiting block to rank r - 1 (MPI_Sendrecv). Memory: the own
// block, one visiting block, its column-major transpose, the heaps, and
// O(columns) offsets. Results (ids, similarities bitwise, supports) are the
// same at any rank count and thread count.
//
// Prediction (predict_knn / evaluate_knn), for a test rating of o in O and
// s in S, with N_k(s; o) the first k_predict neighbours t of s (best first
// among the stored K) that o rated:
//
//   r_hat = b_os + sum_t sim(s,t) (r_ot - b_ot) / sum_t |sim(s,t)|
//
//   KnnMean::kBaseline (KNNBaseline)  b_os = mu + b_o + b_s
//   KnnMean::kMean     (KNNWithMeans) b_os = mean of s's ratings
//   KnnMean::kNone     (KNNBasic)     b_os = 0
//
// Without such neighbours (or an unknown id), the fallback: kBaseline
// mu + the known biases, kMean the mean of s (mu if s is unknown), kNone mu.
// Predictions are clipped to [clip_min, clip_max].
// Distribution: each test rating goes to the owner of o (which holds o's
// ratings and b_o); that rank asks the owners of the distinct s it needs for
// their neighbour lists, which come back with each neighbour's offset (b_t
// or the mean of t, learnt beforehand through a routing plan among S
// owners). Two all-to-alls; nothing is replicated.
//
// Top-N (knn_top_n), for each user u and candidate item i, seen items excluded:
//   item-based  score(u,i) = sum_{j in I_u} sim(i,j)   over i's stored neighbours j
//   user-based  score(u,i) = sum_{v in N(u), v rated i} sim(u,v)
// Both are "sum over shared columns" products (math::accumulate_scores) of a
// rank's own rows (u's rated items, or u's neighbour list) with item blocks
// travelling around the ring (items' neighbour lists, or items' raters).
// Items with no contributing neighbour are not candidates.
//
// Usage (what `hpcrec train --algo knn` does):
//
//   app::TrainingData data = app::load_training_data(comm, data_options);
//   dist::KnnMatrix m{&data.by_user, &data.by_item, data.users, data.items};
//   dist::KnnBaselines base = dist::fit_baselines(comm, m, data.global_mean);
//   dist::KnnOptions o;  // on, similarity {kind, shrink, min_support, neighbors, positive_only}, threads
//   math::NeighborLists nb = dist::compute_neighbors(comm, m, base, o);
//   dist::PredictOptions p{dist::KnnMean::kBaseline, 40, data.min_rating, data.max_rating};
//   math::ErrorSums test = dist::evaluate_knn(comm, m, base, nb, o, data.test, p);
//   auto top = dist::knn_top_n(comm, m, nb, o, /*n=*/10);  // this rank's users, best first
#pragma once

#include <functional>
#include <span>
#include <string>
#include <vector>

#include "mpi/communicator.hpp"
#include "mpi/partition.hpp"
#include "src/csr_block.hpp"
#include "src/metrics.hpp"
#include "src/similarity.hpp"
#include "src/topn.hpp"

namespace hpcrec::dist {

enum class KnnOn { kItems, kUsers };
enum class KnnMean { kNone, kBaseline, kMean };

// "items" | "users"; "none" | "baseline" | "mean". Throw InputError otherwise.
KnnOn parse_knn_on(const std::string& text);
KnnMean parse_knn_mean(const std::string& text);

// The training matrix as a rank holds it (app::TrainingData's pieces; not owned).
struct KnnMatrix {
  const math::CsrBlock* by_user = nullptr;  // this rank's users; cols = global item ids
  const math::CsrBlock* by_item = nullptr;  // this rank's items; cols = global user ids
  BlockPartition users, items;
};

// r ~ mu + b_u + b_i. Biases of this rank's rows (by_user / by_item).
struct KnnBaselines {
  double mu = 0;
  math::Vector user_bias;
  math::Vector item_bias;
};

// Surprise's ALS baseline: `sweeps` times, items then users,
//   b_i = sum_{u in U_i} (r_ui - mu - b_u) / (reg_item + |U_i|)
//   b_u = sum_{i in I_u} (r_ui - mu - b_i) / (reg_user + |I_u|)
// each sum in ascending id order (the same at any rank count).
struct BaselineOptions {
  int sweeps = 10;
  double reg_user = 15;
  double reg_item = 10;
};

// Collective.
KnnBaselines fit_baselines(const Communicator& comm, const KnnMatrix& m, double mu,
                           const BaselineOptions& options = {});

struct KnnOptions {
  KnnOn on = KnnOn::kItems;
  math::SimilarityOptions similarity;
  int threads = 1;
  // Called after each ring step with (steps done, steps), if set (a progress line).
  std::function<void(double, double)> progress;
};

struct KnnStats {
  double seconds = 0;          // wall time of the ring (max over ranks)
  double compute_seconds = 0;  // time in the kernel (max over ranks)
  Offset bytes_sent = 0;       // ring traffic, all ranks
};

// Collective. The neighbours of this rank's S rows (by_item's items for
// KnnOn::kItems, by_user's users for kUsers), global S ids, best first, at
// most similarity.neighbors each. `baselines` are read for pearson-baseline
// only (mu, b of both sides).
math::NeighborLists compute_neighbors(const Communicator& comm, const KnnMatrix& m,
                                      const KnnBaselines& baselines, const KnnOptions& options,
                                      KnnStats* stats = nullptr);

struct PredictOptions {
  KnnMean mean = KnnMean::kBaseline;
  int k_predict = 40;
  double clip_min = 1.0;
  double clip_max = 5.0;
};

struct KnnPrediction {
  math::Rating rating;  // dense ids (-1: unknown to training)
  double predicted;     // clipped
};

// Collective. Predicts `test` (this rank's share, any placement, dense ids,
// -1 unknown). Returns the predictions evaluated here (at the owners of the
// O side, in arrival order); every test rating is predicted exactly once
// over all ranks.
std::vector<KnnPrediction> predict_knn(const Communicator& comm, const KnnMatrix& m,
                                       const KnnBaselines& baselines, const math::NeighborLists& neighbors,
                                       const KnnOptions& options, const std::vector<math::Rating>& test,
                                       const PredictOptions& predict);

// Collective. RMSE/MAE sums of predict_knn, reduced over ranks (same on every rank).
math::ErrorSums evaluate_knn(const Communicator& comm, const KnnMatrix& m, const KnnBaselines& baselines,
                             const math::NeighborLists& neighbors, const KnnOptions& options,
                             const std::vector<math::Rating>& test, const PredictOptions& predict);

// Collective. The best n unseen items of each of this rank's users (by_user
// rows; for user-based, `neighbors` holds the same rows), best first, ties
// to the smaller item id. `exclusions` (one sorted list per by_user row)
// replaces the users' training items as the items to skip; items flagged in
// `blocked` (per global item) are never recommended.
std::vector<std::vector<math::ScoredItem>> knn_top_n(
    const Communicator& comm, const KnnMatrix& m, const math::NeighborLists& neighbors,
    const KnnOptions& options, int n, const std::vector<std::span<const Index>>* exclusions = nullptr,
    const std::vector<char>* blocked = nullptr);

}  // namespace hpcrec::dist
