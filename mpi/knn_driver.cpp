#include "mpi/knn_driver.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "mpi/distribute.hpp"
#include "mpi/routing.hpp"
#include "src/errors.hpp"

namespace hpcrec::dist {

using math::CsrBlock;
using math::NeighborLists;
using math::SparseRows;

KnnOn parse_knn_on(const std::string& text) {
  if (text == "items") return KnnOn::kItems;
  if (text == "users") return KnnOn::kUsers;
  throw InputError("--knn-on: expected items or users, got '" + text + "'");
}

KnnMean parse_knn_mean(const std::string& text) {
  if (text == "none") return KnnMean::kNone;
  if (text == "baseline") return KnnMean::kBaseline;
  if (text == "mean") return KnnMean::kMean;
  throw InputError("--knn-mean: expected none, baseline or mean, got '" + text + "'");
}

namespace {

// The two sides as this rank holds them.
struct Sides {
  const CsrBlock* s_rows;
  const BlockPartition* s_part;
  const math::Vector* s_bias;
  const CsrBlock* o_rows;
  const BlockPartition* o_part;
  const math::Vector* o_bias;
};

Sides sides(const KnnMatrix& m, const KnnBaselines& b, KnnOn on) {
  if (on == KnnOn::kItems) return {m.by_item, &m.items, &b.item_bias, m.by_user, &m.users, &b.user_bias};
  return {m.by_user, &m.users, &b.user_bias, m.by_item, &m.items, &b.item_bias};
}

std::vector<Index> distinct_sorted(std::vector<Index> ids) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

std::vector<double> row_means(const CsrBlock& b) {
  std::vector<double> out(static_cast<size_t>(b.rows()), 0.0);
  for (Index r = 0; r < b.rows(); ++r) {
    double s = 0;
    for (float v : b.row_values(r)) s += v;
    if (b.row_nnz(r) > 0) out[r] = s / static_cast<double>(b.row_nnz(r));
  }
  return out;
}

// Values of the rows `plan` names, one double per row, from this rank's `own`.
std::vector<double> exchange_values(const Communicator& comm, const RoutingPlan& plan,
                                    const std::vector<double>& own) {
  math::Matrix m(static_cast<Eigen::Index>(own.size()), 1);
  for (size_t r = 0; r < own.size(); ++r) m(static_cast<Eigen::Index>(r), 0) = own[r];
  math::Matrix got = plan.exchange(comm, m);
  return std::vector<double>(got.data(), got.data() + got.size());
}

// --- The ring -------------------------------------------------------------

template <class T>
void append(std::vector<char>& buf, const T* data, size_t count) {
  const size_t at = buf.size();
  buf.resize(at + count * sizeof(T));
  if (count) std::memcpy(buf.data() + at, data, count * sizeof(T));
}

std::vector<char> pack(const SparseRows& b) {
  std::vector<char> buf;
  const std::int64_t head[3] = {b.first_row, b.rows(), b.nnz()};
  append(buf, head, 3);
  append(buf, b.indptr.data(), b.indptr.size());
  append(buf, b.cols.data(), b.cols.size());
  append(buf, b.values.data(), b.values.size());
  return buf;
}

// Copies v.size() elements from p into v and advances p. An empty vector's
// data() may be null, and memcpy from or to null is undefined even for 0
// bytes (UBSan reported it for a rank whose block has no ratings).
template <class T>
void take(const char*& p, std::vector<T>& v) {
  if (v.empty()) return;
  std::memcpy(v.data(), p, v.size() * sizeof(T));
  p += v.size() * sizeof(T);
}

SparseRows unpack(const std::vector<char>& buf) {
  std::int64_t head[3];
  std::memcpy(head, buf.data(), sizeof(head));
  SparseRows b;
  b.first_row = static_cast<Index>(head[0]);
  b.indptr.resize(static_cast<size_t>(head[1]) + 1);
  b.cols.resize(static_cast<size_t>(head[2]));
  b.values.resize(static_cast<size_t>(head[2]));
  const char* p = buf.data() + sizeof(head);
  take(p, b.indptr);
  take(p, b.cols);
  take(p, b.values);
  return b;
}

// Sends `block` to rank - 1 and replaces it by the one from rank + 1, in
// pieces of at most 1 GiB. Returns the bytes sent.
Offset ring_shift(const Communicator& comm, SparseRows& block) {
  const int p = comm.size(), rank = comm.rank();
  const int next = (rank + 1) % p, prev = (rank + p - 1) % p;
  std::vector<char> out = pack(block);
  std::int64_t out_size = static_cast<std::int64_t>(out.size()), in_size = 0;
  HPCREC_MPI(MPI_Sendrecv(&out_size, 1, MPI_INT64_T, prev, 21, &in_size, 1, MPI_INT64_T, next, 21, comm.raw(),
                          MPI_STATUS_IGNORE));
  std::vector<char> in(static_cast<size_t>(in_size));
  constexpr std::int64_t kPiece = std::int64_t{1} << 30;
  for (std::int64_t done_out = 0, done_in = 0; done_out < out_size || done_in < in_size;) {
    const std::int64_t so = std::min(kPiece, out_size - done_out), si = std::min(kPiece, in_size - done_in);
    HPCREC_MPI(MPI_Sendrecv(out.data() + done_out, static_cast<int>(so), MPI_BYTE, prev, 22,
                            in.data() + done_in, static_cast<int>(si), MPI_BYTE, next, 22, comm.raw(),
                            MPI_STATUS_IGNORE));
    done_out += so;
    done_in += si;
  }
  block = unpack(in);
  return out_size;
}

}  // namespace

// --- Baselines ------------------------------------------------------------

KnnBaselines fit_baselines(const Communicator& comm, const KnnMatrix& m, double mu,
                           const BaselineOptions& options) {
  KnnBaselines b;
  b.mu = mu;
  b.user_bias = math::Vector::Zero(m.by_user->rows());
  b.item_bias = math::Vector::Zero(m.by_item->rows());
  // Per side: the plan for the other side's biases and each rating's gathered row.
  auto plan_for = [&](const CsrBlock& rows, const BlockPartition& other, std::vector<Index>& local) {
    RoutingPlan plan = RoutingPlan::build(comm, distinct_sorted(rows.cols), other);
    local.resize(rows.cols.size());
    for (size_t k = 0; k < rows.cols.size(); ++k) local[k] = plan.local_column(rows.cols[k]);
    return plan;
  };
  std::vector<Index> item_local, user_local;
  const RoutingPlan item_plan = plan_for(*m.by_item, m.users, item_local);
  const RoutingPlan user_plan = plan_for(*m.by_user, m.items, user_local);
  auto half = [&](const CsrBlock& rows, const std::vector<Index>& local, const std::vector<double>& other,
                  double reg, math::Vector& bias) {
    for (Index r = 0; r < rows.rows(); ++r) {
      double s = 0;
      for (Offset k = rows.indptr[r]; k < rows.indptr[r + 1]; ++k) s += rows.values[k] - mu - other[local[k]];
      bias[r] = s / (reg + static_cast<double>(rows.row_nnz(r)));
    }
  };
  for (int sweep = 0; sweep < options.sweeps; ++sweep) {
    std::vector<double> ub(b.user_bias.data(), b.user_bias.data() + b.user_bias.size());
    half(*m.by_item, item_local, exchange_values(comm, item_plan, ub), options.reg_item, b.item_bias);
    std::vector<double> ib(b.item_bias.data(), b.item_bias.data() + b.item_bias.size());
    half(*m.by_user, user_local, exchange_values(comm, user_plan, ib), options.reg_user, b.user_bias);
  }
  return b;
}

// --- Similarities -----------------------------------------------------------

NeighborLists compute_neighbors(const Communicator& comm, const KnnMatrix& m, const KnnBaselines& baselines,
                                const KnnOptions& options, KnnStats* stats) {
  const double t0 = MPI_Wtime();
  const Sides sd = sides(m, baselines, options.on);
  const math::SimilarityKind kind = options.similarity.kind;
  // Column values for centring: O rows' means or biases, where the S rows need them.
  std::vector<Index> col_ids;
  std::vector<double> col_values, row_bias;
  if (kind == math::SimilarityKind::kAdjustedCosine || kind == math::SimilarityKind::kPearsonBaseline) {
    col_ids = distinct_sorted(sd.s_rows->cols);
    RoutingPlan plan = RoutingPlan::build(comm, col_ids, *sd.o_part);
    std::vector<double> own;
    if (kind == math::SimilarityKind::kAdjustedCosine) {
      own = row_means(*sd.o_rows);
    } else {
      own.assign(sd.o_bias->data(), sd.o_bias->data() + sd.o_bias->size());
      row_bias.assign(sd.s_bias->data(), sd.s_bias->data() + sd.s_bias->size());
    }
    col_values = exchange_values(comm, plan, own);
  }
  math::Centering centering;
  centering.mu = baselines.mu;
  centering.row_bias = row_bias;
  centering.col_ids = col_ids;
  centering.col_values = col_values;
  const SparseRows own = math::prepare_rows(*sd.s_rows, kind, centering);
  SparseRows visiting = own;
  std::vector<math::NeighborHeap> heaps(static_cast<size_t>(own.rows()),
                                        math::NeighborHeap(options.similarity.neighbors));
  double compute = 0;
  Offset sent = 0;
  for (int step = 0; step < comm.size(); ++step) {
    const double c0 = MPI_Wtime();
    math::accumulate_neighbors(own, visiting, options.similarity, heaps, options.threads);
    compute += MPI_Wtime() - c0;
    if (step + 1 < comm.size()) sent += ring_shift(comm, visiting);
    if (options.progress) options.progress(step + 1, comm.size());
  }
  NeighborLists out = math::to_neighbor_lists(own.first_row, heaps);
  if (stats) {
    stats->compute_seconds = comm.allreduce<double>(compute, MPI_MAX);
    stats->bytes_sent = comm.allreduce<Offset>(sent, MPI_SUM);
    stats->seconds = comm.allreduce<double>(MPI_Wtime() - t0, MPI_MAX);
  }
  return out;
}

// --- Prediction -------------------------------------------------------------

namespace {

struct ListHead {
  double offset;       // the S row's offset (b_s or its mean)
  std::int64_t count;  // neighbours that follow
};

struct ListEntry {
  Index id;
  double sim;
  double offset;  // the neighbour's offset
};

}  // namespace

std::vector<KnnPrediction> predict_knn(const Communicator& comm, const KnnMatrix& m,
                                       const KnnBaselines& baselines, const NeighborLists& neighbors,
                                       const KnnOptions& options, const std::vector<math::Rating>& test,
                                       const PredictOptions& predict) {
  const int p = comm.size();
  const Sides sd = sides(m, baselines, options.on);
  const bool items = options.on == KnnOn::kItems;
  auto o_of = [&](const math::Rating& r) { return items ? r.user : r.item; };
  auto s_of = [&](const math::Rating& r) { return items ? r.item : r.user; };

  // This rank's S rows' offsets, and their neighbours' (a plan among S owners).
  std::vector<double> s_off(static_cast<size_t>(sd.s_rows->rows()), 0.0);
  if (predict.mean == KnnMean::kBaseline) {
    for (size_t r = 0; r < s_off.size(); ++r) s_off[r] = (*sd.s_bias)[static_cast<Eigen::Index>(r)];
  } else if (predict.mean == KnnMean::kMean) {
    s_off = row_means(*sd.s_rows);
  }
  std::vector<Index> nb_ids;
  nb_ids.reserve(neighbors.entries.size());
  for (const auto& e : neighbors.entries) nb_ids.push_back(e.id);
  const RoutingPlan nb_plan = RoutingPlan::build(comm, distinct_sorted(std::move(nb_ids)), *sd.s_part);
  const std::vector<double> nb_off = exchange_values(comm, nb_plan, s_off);

  // Test ratings to the owner of o (else of s, else stay).
  std::vector<math::Rating> mine = shuffle_ratings_by(comm, test, [&](const math::Rating& r) {
    if (o_of(r) >= 0) return sd.o_part->owner(o_of(r));
    if (s_of(r) >= 0) return sd.s_part->owner(s_of(r));
    return comm.rank();
  });

  // Ask the S owners for the lists of the distinct s needed here.
  std::vector<Index> wanted;
  for (const auto& r : mine)
    if (s_of(r) >= 0) wanted.push_back(s_of(r));
  wanted = distinct_sorted(std::move(wanted));
  std::vector<std::int64_t> want_counts(p, 0);
  for (Index s : wanted) ++want_counts[sd.s_part->owner(s)];
  std::vector<std::int64_t> asked_counts;
  const std::vector<Index> asked = comm.alltoallv<Index>(wanted, want_counts, &asked_counts);

  // Answer: a head per asked row, then its neighbours.
  std::vector<ListHead> heads;
  std::vector<ListEntry> entries;
  std::vector<std::int64_t> entry_counts(p, 0);
  {
    size_t k = 0;
    for (int r = 0; r < p; ++r) {
      for (std::int64_t j = 0; j < asked_counts[r]; ++j, ++k) {
        const Index local = asked[k] - neighbors.first_row;
        // Lists without this row (e.g. none computed): no neighbours.
        auto list =
            local >= 0 && local < neighbors.rows() ? neighbors.row(local) : std::span<const math::Neighbor>{};
        heads.push_back({s_off[asked[k] - sd.s_rows->first_row], static_cast<std::int64_t>(list.size())});
        for (const auto& nb : list) entries.push_back({nb.id, nb.sim, nb_off[nb_plan.local_column(nb.id)]});
        entry_counts[r] += static_cast<std::int64_t>(list.size());
      }
    }
  }
  const std::vector<ListHead> got_heads = comm.alltoallv<ListHead>(heads, asked_counts);
  const std::vector<ListEntry> got_entries = comm.alltoallv<ListEntry>(entries, entry_counts);
  // Requests were sorted and owners hold ascending ranges: the answers are in `wanted` order.
  std::vector<std::int64_t> start(wanted.size() + 1, 0);
  for (size_t k = 0; k < wanted.size(); ++k) start[k + 1] = start[k] + got_heads[k].count;

  std::vector<KnnPrediction> out;
  out.reserve(mine.size());
  const CsrBlock& orows = *sd.o_rows;
  for (const math::Rating& r : mine) {
    const Index o = o_of(r), s = s_of(r);
    const Index w =
        s >= 0 ? static_cast<Index>(std::lower_bound(wanted.begin(), wanted.end(), s) - wanted.begin()) : -1;
    const double o_off = (o >= 0 && predict.mean == KnnMean::kBaseline)
                             ? baselines.mu + (*sd.o_bias)[o - orows.first_row]
                             : 0.0;
    double pred;
    switch (predict.mean) {
      case KnnMean::kBaseline:
        pred = (o >= 0 ? o_off : baselines.mu) + (w >= 0 ? got_heads[w].offset : 0.0);
        break;
      case KnnMean::kMean:
        pred = w >= 0 ? got_heads[w].offset : baselines.mu;
        break;
      default:
        pred = baselines.mu;
    }
    if (o >= 0 && w >= 0) {
      const Index lo = o - orows.first_row;
      auto cols = orows.row_cols(lo);
      auto vals = orows.row_values(lo);
      double num = 0, den = 0;
      int used = 0;
      for (std::int64_t e = start[w]; e < start[w + 1] && used < predict.k_predict; ++e) {
        const ListEntry& nb = got_entries[e];
        auto it = std::lower_bound(cols.begin(), cols.end(), nb.id);
        if (it == cols.end() || *it != nb.id) continue;
        const double rating = vals[static_cast<size_t>(it - cols.begin())];
        num += nb.sim * (rating - (o_off + nb.offset));
        den += std::abs(nb.sim);
        ++used;
      }
      if (den > 0) pred = o_off + got_heads[w].offset + num / den;
    }
    out.push_back({r, math::clip(pred, predict.clip_min, predict.clip_max)});
  }
  return out;
}

math::ErrorSums evaluate_knn(const Communicator& comm, const KnnMatrix& m, const KnnBaselines& baselines,
                             const NeighborLists& neighbors, const KnnOptions& options,
                             const std::vector<math::Rating>& test, const PredictOptions& predict) {
  math::ErrorSums e;
  for (const auto& p : predict_knn(comm, m, baselines, neighbors, options, test, predict))
    e.add(p.predicted, p.rating.value);
  double sums[2] = {e.squared, e.absolute};
  comm.allreduce_inplace<double>(sums, MPI_SUM);
  e.squared = sums[0];
  e.absolute = sums[1];
  e.count = comm.allreduce<std::int64_t>(e.count, MPI_SUM);
  return e;
}

// --- Top-N --------------------------------------------------------------------

std::vector<std::vector<math::ScoredItem>> knn_top_n(const Communicator& comm, const KnnMatrix& m,
                                                     const NeighborLists& neighbors,
                                                     const KnnOptions& options, int n,
                                                     const std::vector<std::span<const Index>>* exclusions,
                                                     const std::vector<char>* blocked) {
  const CsrBlock& users = *m.by_user;
  SparseRows own, visiting;
  if (options.on == KnnOn::kItems) {
    own = math::to_sparse_rows(users, /*binary=*/true);  // u's rated items
    visiting = math::neighbor_rows(neighbors);           // items' neighbour lists
  } else {
    own = math::neighbor_rows(neighbors);                          // u's neighbours
    visiting = math::to_sparse_rows(*m.by_item, /*binary=*/true);  // items' raters
  }
  std::vector<std::span<const Index>> seen;
  if (!exclusions) {
    seen.resize(static_cast<size_t>(users.rows()));
    for (Index u = 0; u < users.rows(); ++u) seen[u] = users.row_cols(u);
    exclusions = &seen;
  }
  std::vector<math::TopNHeap> heaps(static_cast<size_t>(users.rows()), math::TopNHeap(n));
  for (int step = 0; step < comm.size(); ++step) {
    math::accumulate_scores(own, visiting, *exclusions, heaps, options.threads, blocked);
    if (step + 1 < comm.size()) ring_shift(comm, visiting);
    if (options.progress) options.progress(step + 1, comm.size());
  }
  std::vector<std::vector<math::ScoredItem>> out;
  out.reserve(heaps.size());
  for (const auto& h : heaps) out.push_back(h.sorted());
  return out;
}

}  // namespace hpcrec::dist
