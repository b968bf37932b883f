#include "src/similarity.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "src/errors.hpp"
#include "src/first_error.hpp"

namespace hpcrec::math {

SimilarityKind parse_similarity(const std::string& name) {
  if (name == "cosine") return SimilarityKind::kCosine;
  if (name == "pearson") return SimilarityKind::kPearson;
  if (name == "adjusted-cosine") return SimilarityKind::kAdjustedCosine;
  if (name == "jaccard") return SimilarityKind::kJaccard;
  if (name == "pearson-baseline") return SimilarityKind::kPearsonBaseline;
  throw InputError(
      "--similarity: expected cosine, pearson, adjusted-cosine, jaccard or pearson-baseline, got '" + name +
      "'");
}

const char* similarity_name(SimilarityKind kind) {
  switch (kind) {
    case SimilarityKind::kCosine:
      return "cosine";
    case SimilarityKind::kPearson:
      return "pearson";
    case SimilarityKind::kAdjustedCosine:
      return "adjusted-cosine";
    case SimilarityKind::kJaccard:
      return "jaccard";
    case SimilarityKind::kPearsonBaseline:
      return "pearson-baseline";
  }
  return "?";
}

bool NeighborHeap::admits(Index id, double sim) const {
  if (std::isnan(sim)) return false;
  if (k_ <= 0 || static_cast<int>(heap_.size()) < k_) return true;
  return better(Neighbor{id, sim, 0}, heap_.front());
}

void NeighborHeap::push(const Neighbor& n) {
  if (!admits(n.id, n.sim)) return;
  if (k_ <= 0 || static_cast<int>(heap_.size()) < k_) {
    heap_.push_back(n);
    std::push_heap(heap_.begin(), heap_.end(),
                   [](const Neighbor& a, const Neighbor& b) { return better(a, b); });
    return;
  }
  auto cmp = [](const Neighbor& a, const Neighbor& b) { return better(a, b); };
  std::pop_heap(heap_.begin(), heap_.end(), cmp);
  heap_.back() = n;
  std::push_heap(heap_.begin(), heap_.end(), cmp);
}

std::vector<Neighbor> NeighborHeap::sorted() const {
  std::vector<Neighbor> out = heap_;
  std::sort(out.begin(), out.end(), [](const Neighbor& a, const Neighbor& b) { return better(a, b); });
  return out;
}

SparseRows to_sparse_rows(const CsrBlock& block, bool binary) {
  SparseRows out;
  out.first_row = block.first_row;
  out.indptr = block.indptr;
  out.cols = block.cols;
  out.values.resize(block.values.size());
  for (size_t e = 0; e < block.values.size(); ++e) out.values[e] = binary ? 1.0 : block.values[e];
  return out;
}

SparseRows prepare_rows(const CsrBlock& block, SimilarityKind kind, const Centering& centering) {
  SparseRows out = to_sparse_rows(block, kind == SimilarityKind::kJaccard);
  auto col_value = [&](Index c) {
    auto it = std::lower_bound(centering.col_ids.begin(), centering.col_ids.end(), c);
    if (it == centering.col_ids.end() || *it != c)
      throw std::logic_error("prepare_rows: column without a value");
    return centering.col_values[static_cast<size_t>(it - centering.col_ids.begin())];
  };
  for (Index r = 0; r < out.rows(); ++r) {
    const Offset b = out.indptr[r], e = out.indptr[r + 1];
    if (b == e) continue;
    switch (kind) {
      case SimilarityKind::kPearson: {
        double sum = 0;
        for (Offset k = b; k < e; ++k) sum += out.values[k];
        const double mean = sum / static_cast<double>(e - b);
        for (Offset k = b; k < e; ++k) out.values[k] -= mean;
        break;
      }
      case SimilarityKind::kAdjustedCosine:
        for (Offset k = b; k < e; ++k) out.values[k] -= col_value(out.cols[k]);
        break;
      case SimilarityKind::kPearsonBaseline: {
        const double base = centering.mu + centering.row_bias[r];
        for (Offset k = b; k < e; ++k) out.values[k] -= base + col_value(out.cols[k]);
        break;
      }
      default:
        break;
    }
  }
  return out;
}

namespace {

// The visiting block by column: for global column c (0 <= c <= max_col),
// entries [ptr[c], ptr[c+1]) of (row, value), rows ascending.
// Example: rows {0: cols {1, 3}, 1: cols {3}} -> ptr = {0, 0, 1, 1, 3},
// row = {0, 0, 1}.
struct Transposed {
  std::vector<Offset> ptr;
  std::vector<Index> row;
  std::vector<double> value;
  Index max_col = -1;
};

Transposed transpose(const SparseRows& m) {
  Transposed t;
  for (Index c : m.cols) t.max_col = std::max(t.max_col, c);
  t.ptr.assign(static_cast<size_t>(t.max_col) + 2, 0);
  for (Index c : m.cols) ++t.ptr[static_cast<size_t>(c) + 1];
  for (size_t c = 1; c < t.ptr.size(); ++c) t.ptr[c] += t.ptr[c - 1];
  std::vector<Offset> next(t.ptr.begin(), t.ptr.end() - 1);
  t.row.resize(m.cols.size());
  t.value.resize(m.cols.size());
  for (Index r = 0; r < m.rows(); ++r) {
    for (Offset k = m.indptr[r]; k < m.indptr[r + 1]; ++k) {
      const Offset at = next[m.cols[k]]++;
      t.row[at] = r;
      t.value[at] = m.values[k];
    }
  }
  return t;
}

std::vector<double> row_norms(const SparseRows& m) {
  std::vector<double> out(static_cast<size_t>(m.rows()));
  for (Index r = 0; r < m.rows(); ++r) {
    double s = 0;
    for (Offset k = m.indptr[r]; k < m.indptr[r + 1]; ++k) s += m.values[k] * m.values[k];
    out[r] = std::sqrt(s);
  }
  return out;
}

struct AccDot {
  double sxy;
  Index n;
};
struct AccCo {
  double sxy, sxx, syy;
  Index n;
};
struct AccPearson {
  double sxy, sxx, syy, sx, sy;
  Index n;
};

template <SimilarityKind K>
using AccFor = std::conditional_t<
    K == SimilarityKind::kPearson, AccPearson,
    std::conditional_t<K == SimilarityKind::kAdjustedCosine || K == SimilarityKind::kPearsonBaseline, AccCo,
                       AccDot>>;

// Relative size below which a centred sum of squares counts as zero: the row
// is constant over the co-ratings (pearson undefined -> 0).
constexpr double kConstantEps = 1e-12;

template <SimilarityKind K>
void neighbors_kernel(const SparseRows& own, const SparseRows& visiting, const SimilarityOptions& o,
                      std::vector<NeighborHeap>& heaps, int threads) {
  using Acc = AccFor<K>;
  const Transposed t = transpose(visiting);
  const Index vrows = visiting.rows();
  std::vector<double> own_norm, vis_norm;
  if constexpr (K == SimilarityKind::kCosine) {
    own_norm = row_norms(own);
    vis_norm = row_norms(visiting);
  }
  const Index min_support = std::max(1, o.min_support);
  const Index self_shift = own.first_row - visiting.first_row;  // visiting local id of own row a: a + shift

  // Each thread's accumulators; an allocation failure is rethrown after the
  // region (first_error.hpp). touched never outgrows its reservation.
  FirstError errors;
#pragma omp parallel num_threads(threads)
  {
    std::vector<Acc> acc;
    std::vector<Index> touched;
    bool ready = false;
    errors.run([&] {
      acc.assign(static_cast<size_t>(vrows), Acc{});
      touched.reserve(static_cast<size_t>(vrows));
      ready = true;
    });
#pragma omp for schedule(dynamic, 8)
    for (Index a = 0; a < own.rows(); ++a) {
      if (!ready) continue;  // its allocation failed: rethrown below
      errors.run([&] {
        for (Offset k = own.indptr[a]; k < own.indptr[a + 1]; ++k) {
          const Index c = own.cols[k];
          if (c > t.max_col) break;  // columns ascend: nothing further is shared
          const double x = own.values[k];
          for (Offset q = t.ptr[c]; q < t.ptr[c + 1]; ++q) {
            Acc& s = acc[t.row[q]];
            const double y = t.value[q];
            if (s.n == 0) touched.push_back(t.row[q]);
            ++s.n;
            s.sxy += x * y;
            if constexpr (!std::is_same_v<Acc, AccDot>) {
              s.sxx += x * x;
              s.syy += y * y;
            }
            if constexpr (std::is_same_v<Acc, AccPearson>) {
              s.sx += x;
              s.sy += y;
            }
          }
        }
        NeighborHeap& heap = heaps[a];
        const Index self = a + self_shift;
        for (Index b : touched) {
          const Acc s = acc[b];
          acc[b] = Acc{};
          if (s.n < min_support || b == self) continue;
          const double n = s.n;
          double sim = 0;
          if constexpr (K == SimilarityKind::kCosine) {
            const double den = own_norm[a] * vis_norm[b];
            sim = den > 0 ? s.sxy / den : 0.0;
          } else if constexpr (K == SimilarityKind::kJaccard) {
            const double na = static_cast<double>(own.indptr[a + 1] - own.indptr[a]);
            const double nb = static_cast<double>(visiting.indptr[b + 1] - visiting.indptr[b]);
            sim = n / (na + nb - n);
          } else if constexpr (K == SimilarityKind::kPearson) {
            const double vx = s.sxx - s.sx * s.sx / n, vy = s.syy - s.sy * s.sy / n;
            if (vx > kConstantEps * s.sxx && vy > kConstantEps * s.syy) {
              sim = (s.sxy - s.sx * s.sy / n) / std::sqrt(vx * vy);
            }
          } else {
            const double den = s.sxx * s.syy;
            sim = den > 0 ? s.sxy / std::sqrt(den) : 0.0;
          }
          sim = std::clamp(sim, -1.0, 1.0);
          if (o.shrink > 0) sim *= n / (n + o.shrink);
          if (o.positive_only && !(sim > 0)) continue;
          const Index id = visiting.first_row + b;
          if (heap.admits(id, sim)) heap.push(Neighbor{id, sim, s.n});
        }
        touched.clear();
      });
    }
  }
  errors.rethrow();
}

}  // namespace

void accumulate_neighbors(const SparseRows& own, const SparseRows& visiting, const SimilarityOptions& options,
                          std::vector<NeighborHeap>& heaps, int threads) {
  if (static_cast<Index>(heaps.size()) != own.rows())
    throw std::invalid_argument("accumulate_neighbors: one heap per own row");
  if (own.rows() == 0 || visiting.rows() == 0) return;
  switch (options.kind) {
    case SimilarityKind::kCosine:
      return neighbors_kernel<SimilarityKind::kCosine>(own, visiting, options, heaps, threads);
    case SimilarityKind::kPearson:
      return neighbors_kernel<SimilarityKind::kPearson>(own, visiting, options, heaps, threads);
    case SimilarityKind::kAdjustedCosine:
      return neighbors_kernel<SimilarityKind::kAdjustedCosine>(own, visiting, options, heaps, threads);
    case SimilarityKind::kJaccard:
      return neighbors_kernel<SimilarityKind::kJaccard>(own, visiting, options, heaps, threads);
    case SimilarityKind::kPearsonBaseline:
      return neighbors_kernel<SimilarityKind::kPearsonBaseline>(own, visiting, options, heaps, threads);
  }
}

std::vector<std::vector<Neighbor>> all_neighbors(const SparseRows& rows, const SimilarityOptions& options,
                                                 int threads) {
  std::vector<NeighborHeap> heaps(static_cast<size_t>(rows.rows()), NeighborHeap(options.neighbors));
  accumulate_neighbors(rows, rows, options, heaps, threads);
  std::vector<std::vector<Neighbor>> out;
  out.reserve(heaps.size());
  for (const auto& h : heaps) out.push_back(h.sorted());
  return out;
}

void accumulate_scores(const SparseRows& own, const SparseRows& visiting,
                       const std::vector<std::span<const Index>>& exclusions, std::vector<TopNHeap>& heaps,
                       int threads, const std::vector<char>* blocked) {
  if (static_cast<Index>(heaps.size()) != own.rows() || exclusions.size() != heaps.size())
    throw std::invalid_argument("accumulate_scores: one heap and one exclusion list per own row");
  if (own.rows() == 0 || visiting.rows() == 0) return;
  const Transposed t = transpose(visiting);
  const Index vrows = visiting.rows(), vfirst = visiting.first_row;
  // Each thread's accumulators, as in neighbors_kernel.
  FirstError errors;
#pragma omp parallel num_threads(threads)
  {
    std::vector<double> acc;
    std::vector<char> seen;  // 1 touched, 2 excluded
    std::vector<Index> touched;
    bool ready = false;
    errors.run([&] {
      acc.assign(static_cast<size_t>(vrows), 0.0);
      seen.assign(static_cast<size_t>(vrows), 0);
      touched.reserve(static_cast<size_t>(vrows));
      ready = true;
    });
#pragma omp for schedule(dynamic, 16)
    for (Index a = 0; a < own.rows(); ++a) {
      if (!ready) continue;  // its allocation failed: rethrown below
      errors.run([&] {
        const auto& ex = exclusions[a];
        auto lo = std::lower_bound(ex.begin(), ex.end(), vfirst);
        auto hi = std::lower_bound(lo, ex.end(), vfirst + vrows);
        for (auto it = lo; it != hi; ++it) seen[*it - vfirst] = 2;
        for (Offset k = own.indptr[a]; k < own.indptr[a + 1]; ++k) {
          const Index c = own.cols[k];
          if (c > t.max_col) break;
          const double x = own.values[k];
          for (Offset q = t.ptr[c]; q < t.ptr[c + 1]; ++q) {
            const Index b = t.row[q];
            if (seen[b] != 1) {
              if (seen[b] == 2) continue;  // excluded
              seen[b] = 1;
              touched.push_back(b);
            }
            acc[b] += x * t.value[q];
          }
        }
        TopNHeap& heap = heaps[a];
        for (Index b : touched) {
          if ((!blocked || !(*blocked)[vfirst + b]) && heap.admits(vfirst + b, acc[b]))
            heap.push(vfirst + b, acc[b]);
          acc[b] = 0;
          seen[b] = 0;
        }
        for (auto it = lo; it != hi; ++it) seen[*it - vfirst] = 0;
        touched.clear();
      });
    }
  }
  errors.rethrow();
}

NeighborLists to_neighbor_lists(Index first_row, const std::vector<NeighborHeap>& heaps) {
  NeighborLists out;
  out.first_row = first_row;
  out.indptr.reserve(heaps.size() + 1);
  for (const auto& h : heaps) {
    std::vector<Neighbor> s = h.sorted();
    out.entries.insert(out.entries.end(), s.begin(), s.end());
    out.indptr.push_back(static_cast<Offset>(out.entries.size()));
  }
  return out;
}

SparseRows neighbor_rows(const NeighborLists& lists) {
  SparseRows out;
  out.first_row = lists.first_row;
  out.indptr = lists.indptr;
  out.cols.resize(lists.entries.size());
  out.values.resize(lists.entries.size());
  std::vector<Neighbor> row;
  for (Index r = 0; r < lists.rows(); ++r) {
    auto span = lists.row(r);
    row.assign(span.begin(), span.end());
    std::sort(row.begin(), row.end(), [](const Neighbor& a, const Neighbor& b) { return a.id < b.id; });
    for (size_t j = 0; j < row.size(); ++j) {
      out.cols[lists.indptr[r] + j] = row[j].id;
      out.values[lists.indptr[r] + j] = row[j].sim;
    }
  }
  return out;
}

}  // namespace hpcrec::math
