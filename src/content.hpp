// Content-based recommendation over item TF-IDF rows (src/tfidf.hpp): user
// profiles, cosine scores and top-N, cold-start items included. No MPI.
//
// Item vectors x_i: the rows of the item x term TF-IDF matrix (l2-normalised,
// so |x_i| = 1 or x_i = 0 for an item without terms).
//
// User profile, over the user's training items I_u in ascending item order:
//   p_u = sum_{i in I_u} w_ui x_i,
//   w_ui = r_ui - mean_u   (ProfileWeight::kCentered, explicit ratings;
//                           if every w_ui is 0 (all ratings equal) w_ui = 1)
//   w_ui = r_ui            (ProfileWeight::kConfidence, implicit: the
//                           confidence/count as stored)
// then p_u / |p_u| (a zero profile stays zero: no recommendations).
//
// Score: score(u, i) = cos(p_u, x_i) = p_u . x_i (both unit length), summed
// over the shared terms in ascending term order, in double: the same for
// any partition of users and any thread count. Candidates are the items
// sharing at least one term with p_u (others score 0 and are not ranked),
// minus I_u. An item with no ratings at all still has its x_i, so it is
// scored like any other (cold start).
//
// Item-item similarity: cos(x_i, x_j) = x_i . x_j. The KNN kernels already
// compute it: math::all_neighbors(to_sparse_rows(tfidf), {kCosine, ...})
// here, and dist::compute_neighbors (mpi/knn_driver.hpp) with
// KnnMatrix{by_item = this rank's slice of the TF-IDF rows} across ranks
// (their cosine divides by the full row norms, 1 here; support = number of
// shared terms). See content_neighbors below.
//
// Memory: every rank holds the whole item x term matrix (metadata-sized:
// ml-latest-small is 9.7k items x ~10k terms, ~100k non-zeros) plus its
// column-major transpose and one dense score vector per thread (n_items
// doubles).
//
// Worked example: items 0 = (a 1), 1 = (b 1), 2 = (a .6, b .8) (unit rows
// over terms a, b), item 2 unrated. A user rated item 0 with 5 and item 1
// with 3 (mean 4): w = (+1, -1), p = (1, -1)/sqrt 2. score(2) = (.6 - .8)
// / sqrt 2 = -0.1414: item 2 is the only candidate, and it is recommended
// with that score. With ratings 5 and 5: w = (1, 1) (the all-equal rule),
// p = (1, 1)/sqrt 2, score(2) = 1.4/sqrt 2 = 0.9899.
#pragma once

#include <span>
#include <utility>
#include <vector>

#include "src/csr_block.hpp"
#include "src/similarity.hpp"
#include "src/topn.hpp"

namespace hpcrec::math {

enum class ProfileWeight { kCentered, kConfidence };

struct ContentOptions {
  ProfileWeight weight = ProfileWeight::kCentered;
  int threads = 1;
};

// The item x term matrix with its column-major transpose, ready for scoring.
class ContentIndex {
 public:
  // `items`: every item's TF-IDF row (first_row 0, row = dense item id).
  explicit ContentIndex(const CsrBlock& items);
  Index items() const { return items_.rows(); }
  Index terms() const { return terms_; }
  const CsrBlock& rows() const { return items_; }

  // The normalised profile of one user from their training items (global
  // item ids, ascending) and values; an empty result for a zero profile.
  std::vector<std::pair<Index, double>> profile(std::span<const Index> items, std::span<const float> values,
                                                ProfileWeight weight) const;
  // score(u, i) for every item i into `scores` (size items(), zeroed first);
  // the items with a non-zero contribution are appended to `touched`.
  void score(const std::vector<std::pair<Index, double>>& profile, std::vector<double>& scores,
             std::vector<Index>& touched) const;

 private:
  CsrBlock items_;
  Index terms_ = 0;
  std::vector<Offset> term_ptr_;  // transpose: items of term t at [term_ptr_[t], term_ptr_[t+1])
  std::vector<Index> term_items_;
  std::vector<float> term_values_;
};

// The best n items of each user row of `user_rows` (a rank's by_user block:
// cols = global item ids, values = ratings or confidences), best first, ties
// to the smaller item id, the user's own items excluded (unless
// `include_seen`), items flagged in `blocked` (per global item, optional)
// never. OpenMP over users.
std::vector<std::vector<ScoredItem>> content_top_n(const ContentIndex& index, const CsrBlock& user_rows,
                                                   const ContentOptions& options, int n,
                                                   const std::vector<char>* blocked = nullptr,
                                                   bool include_seen = false);

// Single-process item-item cosine neighbours of every item (the KNN kernel
// on the TF-IDF rows); `similarity.kind` must be kCosine.
NeighborLists content_neighbors(const CsrBlock& items, const SimilarityOptions& similarity, int threads = 1);

}  // namespace hpcrec::math
