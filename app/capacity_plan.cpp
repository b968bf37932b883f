#include "app/capacity_plan.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <numeric>

#include "src/als_explicit.hpp"
#include "src/als_implicit.hpp"
#include "src/rng.hpp"

namespace hpcrec::app {

namespace {

using dist::BlockPartition;

// The rows of one side grouped by count: (count, rows with it).
using Histogram = std::vector<std::pair<Offset, Offset>>;

Histogram histogram(const std::vector<Offset>& counts) {
  std::map<Offset, Offset> h;
  for (Offset c : counts)
    if (c > 0) ++h[c];
  return {h.begin(), h.end()};
}

// Probability that at least one of a row's `d` ratings falls on a rank holding
// a share `s` of the other side's ratings (each rating independently).
double touched(double s, Offset d) {
  if (s >= 1.0) return 1.0;
  if (s <= 0.0) return 0.0;
  return -std::expm1(static_cast<double>(d) * std::log1p(-s));
}

// What one half-step gathers, per rank: the counterpart rows it needs, how
// many of those it owns itself, and how many of its own rows it sends.
struct Gather {
  std::vector<double> needed, own, sent;
  explicit Gather(int p) : needed(p, 0), own(p, 0), sent(p, 0) {}
};

// Expected counts: rank r, holding a share s[r] of the solving side's
// ratings, needs counterpart row j with probability touched(s[r], nnz_j).
// `part` partitions the counterpart rows.
Gather expected_gather(const std::vector<double>& share, const std::vector<Offset>& nnz,
                       const BlockPartition& part) {
  const int p = static_cast<int>(share.size());
  Gather g(p);
  const Histogram hist = histogram(nnz);
  std::map<Offset, double> all_ranks;  // sum over ranks of touched(s_r, d), by d
  for (const auto& [d, rows] : hist) {
    double sum = 0;
    for (int r = 0; r < p; ++r) {
      const double t = touched(share[r], d);
      sum += t;
      g.needed[r] += static_cast<double>(rows) * t;
    }
    all_ranks[d] = sum;
  }
  for (int r = 0; r < p; ++r) {
    for (Index j = part.first(r); j < part.first(r) + part.count(r); ++j) {
      const Offset d = nnz[static_cast<size_t>(j)];
      if (d == 0) continue;
      const double self = touched(share[r], d);
      g.own[r] += self;
      g.sent[r] += all_ranks[d] - self;
    }
  }
  return g;
}

// Exact counts from the pairs (sorted by user).
void exact_gathers(const std::vector<std::pair<Index, Index>>& pairs, const BlockPartition& users,
                   const BlockPartition& items, Index n_users, Index n_items, Gather& user_half,
                   Gather& item_half) {
  const int p = users.parts();
  std::vector<int> item_owner(static_cast<size_t>(n_items));
  for (int r = 0; r < p; ++r)
    for (Index i = items.first(r); i < items.first(r) + items.count(r); ++i) item_owner[i] = r;
  // User half-step: rank r needs the items its users rated.
  std::vector<int> stamp(static_cast<size_t>(n_items), -1);
  std::vector<int> ranks_needing(static_cast<size_t>(n_items), 0);
  // Item half-step: rank r needs the users who rated its items.
  std::vector<Index> last(static_cast<size_t>(p), -1);
  (void)n_users;
  for (size_t at = 0; at < pairs.size();) {
    const Index u = pairs[at].first;
    const int ru = users.owner(u);
    int ranks_of_u = 0;
    bool own_needs_u = false;
    for (; at < pairs.size() && pairs[at].first == u; ++at) {
      const Index i = pairs[at].second;
      const int ri = item_owner[i];
      if (stamp[i] != ru) {
        stamp[i] = ru;
        ++user_half.needed[ru];
        ++ranks_needing[i];
        if (ri == ru) ++user_half.own[ru];
      }
      if (last[ri] != u) {
        last[ri] = u;
        ++item_half.needed[ri];
        ++ranks_of_u;
        if (ri == ru) {
          ++item_half.own[ri];
          own_needs_u = true;
        }
      }
    }
    item_half.sent[ru] += ranks_of_u - (own_needs_u ? 1 : 0);
  }
  for (Index i = 0; i < n_items; ++i) user_half.sent[item_owner[i]] += ranks_needing[i];
  for (int r = 0; r < p; ++r) user_half.sent[r] -= user_half.own[r];
}

// Expected distinct values among `draws` ratings spread over rows with these counts.
double expected_distinct(const Histogram& hist, Offset total, double draws) {
  if (total <= 0) return 0;
  const double f = std::min(1.0, draws / static_cast<double>(total));
  double sum = 0;
  for (const auto& [d, rows] : hist) sum += static_cast<double>(rows) * touched(f, d);
  return sum;
}

// Resident bytes of an id map whose allgathered form held `entries` ids.
double map_bytes(const PlanData& data, double entries) {
  if (!data.string_ids) return 8.0 * entries;
  // std::string: 32 bytes, plus the text on the heap past 15 characters.
  return entries * (32.0 + (data.mean_id_chars > 15 ? data.mean_id_chars + 1 : 0));
}

double flops_of_rows(const std::vector<Offset>& nnz, Index first, Index count, const PlanSettings& s) {
  const math::SolverKind solver =
      s.cholesky ? math::SolverKind::kCholesky : math::SolverKind::kConjugateGradient;
  math::ExplicitAlsConfig explicit_cfg;
  explicit_cfg.solver = solver;
  explicit_cfg.cg_steps = s.cg_steps;
  math::ImplicitAlsConfig implicit_cfg;
  implicit_cfg.solver = solver;
  implicit_cfg.cg_steps = s.cg_steps;
  double f = 0;
  for (Index j = first; j < first + count; ++j) {
    const double n = static_cast<double>(nnz[static_cast<size_t>(j)]);
    f += s.implicit ? math::implicit_row_flops(n, s.factors, implicit_cfg)
                    : math::explicit_row_flops(n, s.factors, explicit_cfg);
  }
  return f;
}

Offset sum_range(const std::vector<Offset>& v, Index first, Index count) {
  return std::accumulate(v.begin() + first, v.begin() + first + count, Offset{0});
}

}  // namespace

Plan make_plan(const PlanData& data, const PlanSettings& s) {
  Plan plan;
  plan.settings = s;
  const int p = s.ranks;
  const Index m = static_cast<Index>(data.user_nnz.size()), n = static_cast<Index>(data.item_nnz.size());
  plan.users = m;
  plan.items = n;
  plan.ratings = data.ratings;
  plan.lines = data.lines;
  plan.exact = !data.pairs.empty();
  const BlockPartition users = BlockPartition::balanced(data.user_counts, p, s.factors);
  const BlockPartition items = BlockPartition::balanced(data.item_counts, p, s.factors);

  Gather user_half(p), item_half(p);  // user half-step gathers items; item half-step gathers users
  if (plan.exact) {
    exact_gathers(data.pairs, users, items, m, n, user_half, item_half);
  } else {
    std::vector<double> user_share(p), item_share(p);
    const double total = std::max<double>(1.0, static_cast<double>(data.ratings));
    for (int r = 0; r < p; ++r) {
      user_share[r] = static_cast<double>(sum_range(data.user_nnz, users.first(r), users.count(r))) / total;
      item_share[r] = static_cast<double>(sum_range(data.item_nnz, items.first(r), items.count(r))) / total;
    }
    user_half = expected_gather(user_share, data.item_nnz, items);
    item_half = expected_gather(item_share, data.user_nnz, users);
  }

  // The id maps (mpi/id_remap.hpp), partitioned: while they are built a
  // rank holds its own distinct ids and the sample sort's bucket it
  // receives (repeats across ranks included): ids_read / P each, ids_read
  // the distinct ids of every byte range summed. Afterwards it keeps the ids
  // of its own rows.
  double user_ids = 0, item_ids = 0;
  if (static_cast<size_t>(p) <= data.user_ids_read.size() &&
      static_cast<size_t>(p) <= data.item_ids_read.size()) {
    user_ids = data.user_ids_read[p - 1];
    item_ids = data.item_ids_read[p - 1];
  } else {
    user_ids = m + (p - 1.0);
    item_ids =
        p * expected_distinct(histogram(data.item_counts), data.lines, static_cast<double>(data.lines) / p);
  }
  const double building = p == 1 ? 1.0 : 2.0;
  const double maps_building = building * (map_bytes(data, user_ids / p) + map_bytes(data, item_ids / p));
  // Routed lookups: a rank's distinct ids asked (8 B) and answered (8 B),
  // and as many asked of it.
  const double lookups = p == 1 ? 0.0 : 32.0 * (user_ids + item_ids) / p;

  const double k = s.factors;
  const double width = s.implicit ? k : k + 1;  // doubles a gathered row
  const double kpf = std::ceil(k / 16) * 16;    // CG float mirror row (padded)
  double user_half_max = 0, item_half_max = 0, user_comm_max = 0, item_comm_max = 0;
  const double per_rank_rate = std::max(s.gflops, 1e-3) * 1e9;
  for (int r = 0; r < p; ++r) {
    RankPlan rp;
    rp.rank = r;
    rp.users = users.count(r);
    rp.items = items.count(r);
    rp.user_ratings = sum_range(data.user_nnz, users.first(r), users.count(r));
    rp.item_ratings = sum_range(data.item_nnz, items.first(r), items.count(r));
    rp.read = data.lines * (r + 1) / p - data.lines * r / p;
    const double R = static_cast<double>(rp.read);
    const double nu = static_cast<double>(rp.user_ratings), ni = static_cast<double>(rp.item_ratings);
    const double nu_pre = static_cast<double>(sum_range(data.user_counts, users.first(r), users.count(r)));
    const double mu = rp.users, mi = rp.items;
    rp.gathered_items = user_half.needed[r];
    rp.gathered_users = item_half.needed[r];
    const double recv_u = user_half.needed[r] - user_half.own[r];
    const double recv_i = item_half.needed[r] - item_half.own[r];
    rp.received_rows = recv_u + recv_i;
    rp.sent_rows = user_half.sent[r] + item_half.sent[r];
    rp.bytes_sent = rp.sent_rows * width * 8;
    rp.bytes_received = rp.received_rows * width * 8;
    const double fu = flops_of_rows(data.user_nnz, users.first(r), users.count(r), s);
    const double fi = flops_of_rows(data.item_nnz, items.first(r), items.count(r), s);
    rp.flops = fu + fi;
    const double cu = recv_u * width * 8 / s.net_bytes_per_s, ci = recv_i * width * 8 / s.net_bytes_per_s;
    rp.seconds = rp.flops / per_rank_rate + cu + ci;
    user_half_max = std::max(user_half_max, fu / per_rank_rate);
    item_half_max = std::max(item_half_max, fi / per_rank_rate);
    user_comm_max = std::max(user_comm_max, cu);
    item_comm_max = std::max(item_comm_max, ci);

    // Memory, phase by phase (app/training_data.cpp, then the driver).
    using Terms = std::vector<MemoryTerm>;
    // The reader's buffer (io/ratings_reader.cpp) is thread_local: 8 MiB,
    // or the byte range when smaller, for the whole run.
    const double buffer = std::min(8.0 * 1024 * 1024, data.file_bytes / p + 4096);
    const MemoryTerm overhead{"fixed per process + read buffer", s.overhead_bytes + buffer};
    const MemoryTerm idmaps{"id maps (own rows' ids)", map_bytes(data, mu) + map_bytes(data, mi)};
    const double blocks_bytes = 8.0 * (nu + ni) + 8.0 * (mu + mi + 2);
    const MemoryTerm blocks{"CSR blocks (both orientations)", blocks_bytes};
    const MemoryTerm factors{"factors + biases (own rows)", (8 * k + 8) * (mu + mi)};
    double gathered_rows = rp.gathered_items + rp.gathered_users;
    double gathered = 0;
    if (!s.implicit)
      gathered = 8 * width * gathered_rows;  // als: gathered even at one rank
    else if (p > 1)
      gathered = 8 * width * gathered_rows;
    const MemoryTerm gath{"gathered counterpart rows", gathered};
    // The plans keep the needed rows' ids (4 B each) and the rows to send.
    const MemoryTerm plan_bytes{"routing plans + send buffers",
                                4 * gathered_rows + 4 * rp.sent_rows + 8 * width * rp.sent_rows};
    // CG's float32 copy of the counterpart rows, one buffer reused by both
    // half-steps (ials at one rank mirrors the own rows, not gathered).
    double mirror = 0;
    if (!s.cholesky)
      mirror =
          4 * kpf * (s.implicit && p == 1 ? std::max(m, n) : std::max(rp.gathered_items, rp.gathered_users));
    const MemoryTerm mirror_term{"CG float mirror", mirror};
    std::vector<std::pair<std::string, Terms>> phases;
    phases.push_back({"read", {overhead, {"parsed ratings (28 B each)", 28.0 * 1.05 * R}}});
    phases.push_back({"id maps",
                      {overhead,
                       {"id maps, own distinct ids + sample-sort bucket", maps_building},
                       {"parsed ratings (28 B each)", 28.0 * 1.05 * R},
                       {"distinct-id chunk (8 B x up to 2^20)", 8.0 * std::min(R, 1048576.0)}}});
    phases.push_back({"dense ids",
                      {overhead,
                       {"id map slices (ids / P)", map_bytes(data, m / p) + map_bytes(data, n / p)},
                       {"routed lookups", lookups},
                       {"distinct-id chunk (8 B x up to 2^20)", p == 1 ? 0.0 : 8.0 * std::min(R, 1048576.0)},
                       {"parsed ratings + dense ids", 32.0 * R}}});
    // Row counts (dist::balanced_partition): one rank counts into an array
    // per side in turn; more count their distinct rows (16 B pairs, sorted
    // a chunk at a time), send them to the rank of an even block of rows
    // and sum them there, one side at a time.
    const double chunk = std::min(R, 1048576.0);
    const double row_counts =
        p == 1 ? 8.0 * std::max(m, n)
               : std::max(2 * 16.0 * user_ids / p + 8.0 * m / p, 2 * 16.0 * item_ids / p + 8.0 * n / p) +
                     20.0 * chunk;
    phases.push_back(
        {"row counts",
         {overhead, idmaps, {"local ratings (20 B each)", 20.0 * R}, {"row counts", row_counts}}});
    phases.push_back({"shuffle to user owners",
                      {overhead,
                       idmaps,
                       {"local ratings + records (24 B each)",
                        p == 1 ? 44.0 * R : std::max(44.0 * R, 24.0 * (R + nu_pre))}}});
    phases.push_back(
        {"split", {overhead, idmaps, {"records + training ratings", 24.0 * nu_pre + 12.0 * nu}}});
    phases.push_back({"item shuffle",
                      {overhead,
                       idmaps,
                       {"user CSR", 8.0 * nu + 8.0 * mu},
                       {"ratings, send + receive (12 B each)", 24.0 * nu + 12.0 * ni}}});
    const Terms training{overhead, idmaps, blocks, factors, gath, plan_bytes, mirror_term};
    // At the end the model takes the factors and the data the blocks back by
    // moving them: no phase holds them twice.
    phases.push_back({"training", training});
    for (auto& [name, terms] : phases) {
      double total = 0;
      for (const auto& t : terms) total += t.bytes;
      if (total > rp.peak_bytes) {
        rp.peak_bytes = total;
        rp.peak_phase = name;
        rp.peak_terms = terms;
      }
    }
    plan.bytes_exchanged += rp.bytes_sent;
    plan.peak_max = std::max(plan.peak_max, rp.peak_bytes);
    plan.peak_sum += rp.peak_bytes;
    plan.ranks.push_back(std::move(rp));
  }
  plan.seconds = user_half_max + item_half_max + user_comm_max + item_comm_max;
  return plan;
}

double calibrate_gflops(int factors, bool implicit, int threads, int cg_steps, bool cholesky) {
  // A random block: 2000 rows of 40 ratings over 4000 counterpart rows.
  const Index rows = 2000, other = 4000;
  const int per_row = 40;
  math::CsrBlock block;
  std::uint64_t state = 12345;
  auto next = [&] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return state >> 33;
  };
  for (Index r = 0; r < rows; ++r) {
    for (int j = 0; j < per_row; ++j) {
      block.cols.push_back(static_cast<Index>(next() % other));
      block.values.push_back(1.0f + static_cast<float>(next() % 5));
    }
    std::sort(block.cols.end() - per_row, block.cols.end());
    block.indptr.push_back(static_cast<Offset>(block.cols.size()));
  }
  const math::CsrView view{block.indptr, block.cols, block.values};
  math::Matrix src(other, factors);
  for (Index r = 0; r < other; ++r)
    math::init_factor_row(7, math::RngStream::kItemFactors, static_cast<std::uint64_t>(r),
                          std::span<double>(src.row(r).data(), factors), 0.1);
  math::Vector bias = math::Vector::Zero(other);
  math::Matrix dst = math::Matrix::Zero(rows, factors);
  math::Vector dst_bias = math::Vector::Zero(rows);
  double best = 0;
  for (int rep = 0; rep < 3; ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
    double flops = 0;
    if (implicit) {
      math::ImplicitAlsConfig cfg;
      cfg.threads = threads;
      cfg.cg_steps = cg_steps;
      cfg.solver = cholesky ? math::SolverKind::kCholesky : math::SolverKind::kConjugateGradient;
      const math::ColMatrix yty = src.transpose() * src;
      math::solve_implicit_rows(view, src, yty, cfg, dst);
      flops = math::implicit_rows_flops(view, factors, cfg);
    } else {
      math::ExplicitAlsConfig cfg;
      cfg.threads = threads;
      cfg.lambda = 0.1;
      cfg.solver = cholesky ? math::SolverKind::kCholesky : math::SolverKind::kConjugateGradient;
      cfg.cg_steps = cg_steps;
      math::solve_explicit_rows(view, src, bias, cfg, dst, dst_bias);
      flops = math::explicit_rows_flops(view, factors, cfg);
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::max(best, flops / std::max(secs, 1e-9) / 1e9);
  }
  return best;
}

}  // namespace hpcrec::app
