// Hybrid recommendations: one user's ranked lists from several models,
// blended into one list. No MPI: the driver hands in the lists of a user it
// owns.
//
// Each model m gives the user a list L_m of its best M items with scores
// s_m(i) on its own scale (a rating, a cosine, a count). Scales differ, so
// each list is first mapped to [0, 1] per user (min-max):
//   s'_m(i) = (s_m(i) - min L_m) / (max L_m - min L_m)   for i in L_m
//   s'_m(i) = 1                                          if max = min
//   s'_m(i) = 0                                          for i not in L_m
// and the blend is a weighted sum with one weight per model for items with
// training interactions and another for cold items (none):
//   score(i) = sum_m w_m s'_m(i)    (i warm)
//   score(i) = sum_m c_m s'_m(i)    (i cold)
// The collaborative models (als, ials, knn, popular) cannot score a cold
// item, so their c_m is 0; content's c_m is its own weight unless chosen
// apart (--blend auto learns it on a validation split holding out items,
// since how far new items should rise against known ones is not the same
// question as how to weigh the models on known items). Candidates are the
// union of the lists; ties go to the smaller item id.
//
// Worked example: als w 0.6 (c 0), content w 0.4 (c 0.5); L_als = {(7, 4.5),
// (3, 4.0), (9, 3.5)}, L_content = {(3, 0.9), (5, 0.5), (6, 0.7)}; item 5
// is cold.
//   s'_als:     7 -> 1, 3 -> 0.5, 9 -> 0
//   s'_content: 3 -> 1, 6 -> 0.5, 5 -> 0
//   score(3) = 0.6 * 0.5 + 0.4 * 1 = 0.7;  score(7) = 0.6 * 1 = 0.6
//   score(6) = 0.4 * 0.5 = 0.2;  score(9) = 0;  score(5) = 0.5 * 0 = 0
// -> 3, 7, 6, then 5 and 9 tie at 0 and go by id: 5, 9.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "src/exact_sum.hpp"
#include "src/topn.hpp"

namespace hpcrec::math {

// One model's view of one user.
struct BlendSource {
  std::span<const ScoredItem> list;  // best first, as the model ranks them
  double weight = 0;                 // w_m
  double cold_weight = 0;            // c_m
};

// The best n items of the blend above (fewer if the lists hold fewer);
// `cold` flags items by global id (nullptr: none is cold).
std::vector<ScoredItem> blend_lists(std::span<const BlendSource> sources, const std::vector<char>* cold,
                                    int n);

// Every weight vector on the simplex grid with spacing 1/steps over `models`
// models (components in {0, 1/steps, ..., 1}, summing to 1), in
// lexicographic order of the integer steps, first component largest first:
// models = 2, steps = 2 -> (1, 0), (0.5, 0.5), (0, 1).
std::vector<std::vector<double>> simplex_grid(int models, int steps);

// "als:0.6,knn:0.2,content:0.2" -> names and weights (weights >= 0, at least
// one > 0, normalised to sum 1; names from `allowed`, each at most once).
// Throws InputError naming the option.
struct BlendSpec {
  std::vector<std::string> models;
  std::vector<double> weights;  // empty: learn them (--blend auto[:a,b,...])
};
BlendSpec parse_blend(const std::string& text, const std::vector<std::string>& allowed,
                      const std::vector<std::string>& auto_models);

// --- Rating blend (--blend-target rating) ------------------------------------
//
// Rating models (als, knn, ...) each predict a rating p_m(u, i) on the same
// scale, so they blend linearly, with an intercept:
//   r_hat(u, i) = clip(w_0 + sum_m w_m p_m(u, i), rating_min, rating_max)
// The weights are fitted by least squares on validation ratings r_j with
// x_j = (1, p_1(j), ..., p_M(j)):
//   minimise sum_j (r_j - w . x_j)^2 + ridge sum_{m >= 1} w_m^2
//   <=> (G + ridge D) w = h,  G = sum_j x_j x_j^T,  h = sum_j r_j x_j,
//       D = diag(0, 1, ..., 1)  (the intercept is not shrunk)
// with ridge = ridge_per_rating * n (n = G_00, the number of ratings): a
// small ridge keeps the system solvable when two models predict alike.
// G and h are kept as exact sums (ExactSum): the same ratings give bitwise
// the same sums in any order or partition, so ranks that merge them (exact
// reduction) solve the same system and get the same weights at any rank
// count.
//
// Worked example (one model, ridge 0): p = (1, 2, 3), r = (2, 3, 5):
//   G = [[3, 6], [6, 14]], h = (10, 23), det G = 6,
//   w_0 = (14 * 10 - 6 * 23) / 6 = 1/3, w_1 = (3 * 23 - 6 * 10) / 6 = 3/2.
class RatingBlendSums {
 public:
  explicit RatingBlendSums(int models);
  int models() const { return models_; }
  // One validation rating and the models' predictions of it (all finite).
  void add(std::span<const double> predictions, double rating);
  // The sums: G's upper triangle row by row (G_00, G_01, ..., G_MM), then h.
  std::vector<ExactSum>& sums() { return sums_; }
  const std::vector<ExactSum>& sums() const { return sums_; }
  double count() const { return sums_[0].value(); }
  // w = (w_0, w_1, ..., w_M); all zero without ratings.
  std::vector<double> solve(double ridge_per_rating) const;

 private:
  int models_;
  std::vector<ExactSum> sums_;
};

// w_0 + sum_m w_m p_m (weights as RatingBlendSums::solve gives them),
// clipped to [lo, hi]; NaN if any p_m is NaN.
double blend_rating(std::span<const double> weights, std::span<const double> predictions, double lo,
                    double hi);

}  // namespace hpcrec::math
