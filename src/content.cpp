#include "src/content.hpp"

#include <algorithm>
#include <cmath>

#include "src/errors.hpp"
#include "src/first_error.hpp"

namespace hpcrec::math {

ContentIndex::ContentIndex(const CsrBlock& items) : items_(items) {
  if (items_.first_row != 0) throw std::invalid_argument("ContentIndex: item rows must start at 0");
  for (Index c : items_.cols) terms_ = std::max(terms_, c + 1);
  term_ptr_.assign(static_cast<size_t>(terms_) + 1, 0);
  for (Index c : items_.cols) ++term_ptr_[static_cast<size_t>(c) + 1];
  for (size_t t = 0; t < static_cast<size_t>(terms_); ++t) term_ptr_[t + 1] += term_ptr_[t];
  term_items_.resize(items_.cols.size());
  term_values_.resize(items_.cols.size());
  std::vector<Offset> next(term_ptr_.begin(), term_ptr_.end() - 1);
  for (Index i = 0; i < items_.rows(); ++i) {  // ascending items within each term
    auto cols = items_.row_cols(i);
    auto vals = items_.row_values(i);
    for (size_t k = 0; k < cols.size(); ++k) {
      const Offset at = next[static_cast<size_t>(cols[k])]++;
      term_items_[static_cast<size_t>(at)] = i;
      term_values_[static_cast<size_t>(at)] = vals[k];
    }
  }
}

std::vector<std::pair<Index, double>> ContentIndex::profile(std::span<const Index> items,
                                                            std::span<const float> values,
                                                            ProfileWeight weight) const {
  std::vector<double> w(items.size(), 1.0);
  if (weight == ProfileWeight::kConfidence) {
    for (size_t k = 0; k < items.size(); ++k) w[k] = values[k];
  } else if (!items.empty()) {
    double sum = 0;
    for (float v : values) sum += v;
    const double mean = sum / static_cast<double>(items.size());
    bool all_zero = true;
    for (size_t k = 0; k < items.size(); ++k) {
      w[k] = values[k] - mean;
      all_zero = all_zero && w[k] == 0;
    }
    if (all_zero) std::fill(w.begin(), w.end(), 1.0);
  }
  // Accumulate sum_i w_i x_i in ascending item order into a term -> value list.
  std::vector<std::pair<Index, double>> acc;
  for (size_t k = 0; k < items.size(); ++k) {
    const Index i = items[k];
    if (i < 0 || i >= items_.rows() || w[k] == 0) continue;
    auto cols = items_.row_cols(i);
    auto vals = items_.row_values(i);
    for (size_t j = 0; j < cols.size(); ++j) acc.emplace_back(cols[j], w[k] * static_cast<double>(vals[j]));
  }
  // Stable sort by term keeps each term's contributions in item order.
  std::stable_sort(acc.begin(), acc.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::pair<Index, double>> p;
  for (const auto& [t, v] : acc) {
    if (!p.empty() && p.back().first == t) {
      p.back().second += v;
    } else {
      p.emplace_back(t, v);
    }
  }
  double ss = 0;
  for (const auto& e : p) ss += e.second * e.second;
  if (ss == 0) return {};
  const double norm = std::sqrt(ss);
  std::vector<std::pair<Index, double>> out;
  for (const auto& [t, v] : p) {
    if (v != 0) out.emplace_back(t, v / norm);
  }
  return out;
}

void ContentIndex::score(const std::vector<std::pair<Index, double>>& profile, std::vector<double>& scores,
                         std::vector<Index>& touched) const {
  scores.assign(static_cast<size_t>(items_.rows()), 0.0);
  std::vector<char> seen(static_cast<size_t>(items_.rows()), 0);
  for (const auto& [t, pv] : profile) {  // ascending terms: each item's sum in term order
    for (Offset k = term_ptr_[static_cast<size_t>(t)]; k < term_ptr_[static_cast<size_t>(t) + 1]; ++k) {
      const Index i = term_items_[static_cast<size_t>(k)];
      scores[static_cast<size_t>(i)] += pv * static_cast<double>(term_values_[static_cast<size_t>(k)]);
      if (!seen[static_cast<size_t>(i)]) {
        seen[static_cast<size_t>(i)] = 1;
        touched.push_back(i);
      }
    }
  }
}

std::vector<std::vector<ScoredItem>> content_top_n(const ContentIndex& index, const CsrBlock& user_rows,
                                                   const ContentOptions& options, int n,
                                                   const std::vector<char>* blocked, bool include_seen) {
  const Index users = user_rows.rows();
  std::vector<std::vector<ScoredItem>> out(static_cast<size_t>(users));
  FirstError errors;  // the bodies allocate: nothing may be thrown out of the region
#pragma omp parallel num_threads(std::max(1, options.threads))
  {
    std::vector<double> scores;
    std::vector<Index> touched;
#pragma omp for schedule(dynamic, 16)
    for (Index u = 0; u < users; ++u) {
      errors.run([&] {
        auto items = user_rows.row_cols(u);
        const auto profile = index.profile(items, user_rows.row_values(u), options.weight);
        touched.clear();
        index.score(profile, scores, touched);
        TopNHeap heap(n);
        for (Index i : touched) {
          if (!include_seen && std::binary_search(items.begin(), items.end(), i)) continue;
          if (blocked && (*blocked)[static_cast<size_t>(i)]) continue;
          const double s = scores[static_cast<size_t>(i)];
          if (s != 0 && heap.admits(i, s)) heap.push(i, s);
        }
        out[static_cast<size_t>(u)] = heap.sorted();
      });
    }
  }
  errors.rethrow();
  return out;
}

NeighborLists content_neighbors(const CsrBlock& items, const SimilarityOptions& similarity, int threads) {
  if (similarity.kind != SimilarityKind::kCosine) throw InputError("content similarity must be cosine");
  const auto lists = all_neighbors(to_sparse_rows(items), similarity, threads);
  std::vector<NeighborHeap> heaps;
  heaps.reserve(lists.size());
  for (const auto& l : lists) {
    NeighborHeap h(0);
    for (const Neighbor& nb : l) h.push(nb);
    heaps.push_back(std::move(h));
  }
  return to_neighbor_lists(items.first_row, heaps);
}

}  // namespace hpcrec::math
