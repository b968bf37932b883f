#include "src/hybrid.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <charconv>
#include <cmath>

#include "src/errors.hpp"
#include "src/metrics.hpp"

namespace hpcrec::math {

std::vector<ScoredItem> blend_lists(std::span<const BlendSource> sources, const std::vector<char>* cold,
                                    int n) {
  // Candidates: the union of the lists, in a deterministic order.
  std::vector<Index> candidates;
  for (const auto& s : sources)
    for (const auto& e : s.list) candidates.push_back(e.item);
  std::sort(candidates.begin(), candidates.end());
  candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
  const auto slot = [&](Index item) {
    return static_cast<size_t>(std::lower_bound(candidates.begin(), candidates.end(), item) -
                               candidates.begin());
  };

  std::vector<double> score(candidates.size(), 0.0);
  for (const auto& s : sources) {
    if (s.list.empty() || (s.weight <= 0 && s.cold_weight <= 0)) continue;
    double lo = s.list.front().score, hi = lo;
    for (const auto& e : s.list) {
      lo = std::min(lo, e.score);
      hi = std::max(hi, e.score);
    }
    for (const auto& e : s.list) {
      const double norm = hi > lo ? (e.score - lo) / (hi - lo) : 1.0;
      const bool is_cold = cold && (*cold)[e.item];
      score[slot(e.item)] += (is_cold ? s.cold_weight : s.weight) * norm;
    }
  }
  TopNHeap heap(n);
  for (size_t j = 0; j < candidates.size(); ++j) heap.push(candidates[j], score[j]);
  return heap.sorted();
}

std::vector<std::vector<double>> simplex_grid(int models, int steps) {
  std::vector<std::vector<double>> out;
  std::vector<int> parts(static_cast<size_t>(models), 0);
  // Compositions of `steps` into `models` parts, first part descending.
  auto rec = [&](auto& self, int m, int left) -> void {
    if (m == models - 1) {
      parts[m] = left;
      std::vector<double> w(parts.size());
      for (size_t j = 0; j < parts.size(); ++j) w[j] = static_cast<double>(parts[j]) / steps;
      out.push_back(std::move(w));
      return;
    }
    for (int p = left; p >= 0; --p) {
      parts[m] = p;
      self(self, m + 1, left - p);
    }
  };
  if (models > 0 && steps > 0) rec(rec, 0, steps);
  return out;
}

BlendSpec parse_blend(const std::string& text, const std::vector<std::string>& allowed,
                      const std::vector<std::string>& auto_models) {
  auto fail = [&](const std::string& why) {
    throw InputError("--blend '" + text + "': " + why +
                     " (expected e.g. als:0.6,knn:0.2,content:0.2, or auto)");
  };
  auto check_name = [&](const std::string& name, const BlendSpec& spec) {
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      fail("unknown model '" + name + "' (available: " + list + ")");
    }
    if (std::find(spec.models.begin(), spec.models.end(), name) != spec.models.end())
      fail("model '" + name + "' given twice");
  };
  auto split = [](const std::string& s) {
    std::vector<std::string> parts;
    size_t begin = 0;
    while (true) {
      const size_t comma = s.find(',', begin);
      parts.push_back(s.substr(begin, comma == std::string::npos ? std::string::npos : comma - begin));
      if (comma == std::string::npos) break;
      begin = comma + 1;
    }
    return parts;
  };
  BlendSpec spec;
  if (text == "auto" || text.rfind("auto:", 0) == 0) {
    const std::vector<std::string> names = text == "auto" ? auto_models : split(text.substr(5));
    for (const auto& name : names) {
      check_name(name, spec);
      spec.models.push_back(name);
    }
    if (spec.models.size() < 2) fail("auto needs at least two models");
    return spec;
  }
  double total = 0;
  for (const auto& part : split(text)) {
    const size_t colon = part.find(':');
    if (colon == std::string::npos) fail("'" + part + "' is not model:weight");
    const std::string name = part.substr(0, colon), w = part.substr(colon + 1);
    check_name(name, spec);
    double weight = 0;
    auto [p, ec] = std::from_chars(w.data(), w.data() + w.size(), weight);
    if (ec != std::errc() || p != w.data() + w.size() || !std::isfinite(weight) || weight < 0)
      fail("weight '" + w + "' of " + name + " is not a non-negative number");
    spec.models.push_back(name);
    spec.weights.push_back(weight);
    total += weight;
  }
  if (!(total > 0)) fail("the weights sum to 0");
  for (double& w : spec.weights) w /= total;
  return spec;
}

RatingBlendSums::RatingBlendSums(int models)
    : models_(models), sums_(static_cast<size_t>((models + 1) * (models + 2) / 2 + models + 1)) {}

void RatingBlendSums::add(std::span<const double> predictions, double rating) {
  const int d = models_ + 1;
  auto x = [&](int j) { return j == 0 ? 1.0 : predictions[static_cast<size_t>(j - 1)]; };
  size_t at = 0;
  for (int a = 0; a < d; ++a)
    for (int b = a; b < d; ++b) sums_[at++].add(x(a) * x(b));
  for (int a = 0; a < d; ++a) sums_[at++].add(rating * x(a));
}

std::vector<double> RatingBlendSums::solve(double ridge_per_rating) const {
  const int d = models_ + 1;
  std::vector<double> w(static_cast<size_t>(d), 0.0);
  const double n = count();
  if (!(n > 0)) return w;
  Eigen::MatrixXd g(d, d);
  Eigen::VectorXd h(d);
  size_t at = 0;
  for (int a = 0; a < d; ++a)
    for (int b = a; b < d; ++b) g(a, b) = g(b, a) = sums_[at++].value();
  for (int a = 0; a < d; ++a) h(a) = sums_[at++].value();
  for (int a = 1; a < d; ++a) g(a, a) += ridge_per_rating * n;
  const Eigen::VectorXd sol = g.ldlt().solve(h);
  for (int a = 0; a < d; ++a) w[static_cast<size_t>(a)] = sol(a);
  return w;
}

double blend_rating(std::span<const double> weights, std::span<const double> predictions, double lo,
                    double hi) {
  double r = weights[0];
  for (size_t m = 0; m < predictions.size(); ++m) {
    if (std::isnan(predictions[m])) return std::nan("");
    r += weights[m + 1] * predictions[m];
  }
  return clip(r, lo, hi);
}

}  // namespace hpcrec::math
