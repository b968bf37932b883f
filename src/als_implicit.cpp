#include "src/als_implicit.hpp"

#include <Eigen/Cholesky>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <vector>

#include "src/first_error.hpp"
#include "src/float_mirror.hpp"
#include "src/simd/explicit_kernels.hpp"
#include "src/simd/implicit_kernels.hpp"

namespace hpcrec::math {

namespace {

using FactorsRef = Eigen::Ref<const Matrix>;

// Every vector below is padded from k to kp = k rounded up to whole 8-double
// SIMD vectors; the padding lanes hold zeros and stay zero (they only ever
// meet other zeros), so they change no sum.
constexpr Eigen::Index kLanes = 8;
// Counterpart rows prefetched ahead by the gather (random reads from a matrix
// far larger than the caches).
constexpr Eigen::Index kPrefetch = 8;  // float32 rows: kPrefetchFloat, the same distance in bytes

Eigen::Index round_up(Eigen::Index x) { return (x + kLanes - 1) / kLanes * kLanes; }

// Rows one gather holds: 2 MiB of doubles (4096 rows at k = 64), at least
// 32. A CG row with at most this many interactions is gathered once and
// stays in L2 for all its passes; a longer row is re-gathered per pass. The
// workspace is thus bounded whatever the longest row.
Eigen::Index gather_capacity(Eigen::Index kp) { return std::max<Eigen::Index>(32, 262144 / kp); }
// (float_capacity, src/float_mirror.hpp: the same 2 MiB in float rows.)

// ---------------------------------------------------------------------------
// The fixed-order kernels on padded, 64-byte aligned data (dot products,
// the weighted passes over gathered rows, YtY v) are in
// src/simd/implicit_kernels.hpp, compiled for every SIMD target and
// dispatched at run time. Each result depends only on the values, never on
// addresses or on what else is computed, so a row's factors are bitwise
// reproducible on a given target.
using simd::Coef;
using simd::dot;
using simd::symv;
using simd::weighted_pass;

// ---------------------------------------------------------------------------

double confidence_weight(const ImplicitAlsConfig& config, double r) {
  if (!(r > 0.0)) return 0.0;
  return config.confidence == ImplicitAlsConfig::Confidence::kLog ? config.alpha * std::log1p(r / config.eps)
                                                                  : config.alpha * r;
}

// Rows per Cholesky rank update (simd::gram_chunk): 32 rows of k = 64
// (16 KiB) stay in L1 while every register tile of the update streams over
// them. Each element is one chain over the rows in order, so the block size
// does not change a bit.
constexpr Eigen::Index kSyrkRows = 32;

// Buffers one thread reuses for every row it solves: all Eigen allocations,
// 64-byte aligned, and sized by k only.
struct Workspace {
  explicit Workspace(Eigen::Index k)
      : k(k),
        kp(round_up(k)),
        cap(gather_capacity(kp)),
        kpf(round_up_float(k)),
        capf(float_capacity(kpf)),
        g(Matrix::Zero(cap, kp)),
        gf(FloatRows::Zero(capf, kpf)),
        w(std::max(cap, capf)),
        s(capf),
        vf(FloatVector::Zero(kpf)),
        accf(FloatVector::Zero(kpf)),
        x(Vector::Zero(kp)),
        r(Vector::Zero(kp)),
        p(Vector::Zero(kp)),
        ap(Vector::Zero(kp)),
        t(Vector::Zero(kp)),
        gs(kSyrkRows, kp),
        yy(kp, kp),
        a(kp, kp),
        inv(kp) {}
  Eigen::Index k;
  Eigen::Index kp;
  Eigen::Index cap;      // rows g holds
  Eigen::Index kpf;      // k padded to float vectors
  Eigen::Index capf;     // rows gf holds
  Matrix g;              // gathered counterpart rows y_i (row j, padded with zeros)
  FloatRows gf;          // float passes: the same rows in float32
  Vector w;              // their weights w = c - 1
  Vector s;              // float CG's loss: y_i . x of the gathered float rows
  FloatVector vf, accf;  // float passes: the vector multiplied and the sum
  Vector x, r, p, ap, t;
  Matrix gs;     // Cholesky: sqrt(w_i) y_i for one rank update (g keeps y_i for the loss)
  ColMatrix yy;  // Cholesky: sum_i w_i y_i y_i^T, lower block triangle (kp x kp)
  ColMatrix a;   // Cholesky: the normal equations padded to kp x kp with identity, lower triangle
  Vector inv;    // Cholesky: reciprocals of the factor's diagonal
};

// What a gather fills: ws.g (double rows from src) or ws.gf (float rows
// from the mirror).
enum class Into { kDouble, kFloat };

// The positive interactions of one row, gathered a workspace-full at a time.
class RowGather {
 public:
  // `mirror` (float_mirror of src) is needed for Into::kFloat only.
  RowGather(const CsrView& m, Index row, const FactorsRef& src, const ImplicitAlsConfig& config,
            const float* mirror = nullptr)
      : cols_(m.cols.data()),
        values_(m.values.data()),
        begin_(m.indptr[row]),
        end_(m.indptr[row + 1]),
        src_(src),
        mirror_(mirror),
        config_(config) {}

  Offset positives() const {
    Offset n = 0;
    for (Offset e = begin_; e < end_; ++e) n += values_[e] > 0.0f ? 1 : 0;
    return n;
  }

  // Gathers the next positive interactions (up to ws.cap, or ws.capf for
  // kFloat), starting at stored position *pos (advanced past them), into
  // `into` and ws.w; returns how many.
  Eigen::Index next(Offset* pos, Workspace& ws, Into into) const {
    return into == Into::kFloat ? next_from_mirror(pos, ws) : next_exact(pos, ws);
  }

  Offset begin() const { return begin_; }

 private:
  Eigen::Index next_exact(Offset* pos, Workspace& ws) const {
    const Eigen::Index k = ws.k;
    const Eigen::Index row_bytes = k * Eigen::Index{sizeof(double)};
    Eigen::Index len = 0;
    Offset e = *pos;
    for (; e < end_ && len < ws.cap; ++e) {
      if (e + kPrefetch < end_) {
        const char* q = reinterpret_cast<const char*>(src_.row(cols_[e + kPrefetch]).data());
        for (Eigen::Index off = 0; off < row_bytes; off += 64) __builtin_prefetch(q + off);
        __builtin_prefetch(q + row_bytes - 1);
      }
      if (!(values_[e] > 0.0f)) continue;
      const double* y = src_.row(cols_[e]).data();
      std::copy_n(y, k, ws.g.row(len).data());
      ws.w[len] = confidence_weight(config_, values_[e]);
      ++len;
    }
    *pos = e;
    return len;
  }

  // Mirror rows start on 64-byte lines (float_mirror): a row is kpf / 16
  // whole lines, copied with its zero padding.
  Eigen::Index next_from_mirror(Offset* pos, Workspace& ws) const {
    const Eigen::Index stride = ws.kpf;
    const float* base = mirror_;
    Eigen::Index len = 0;
    Offset e = *pos;
    for (; e < end_ && len < ws.capf; ++e) {
      if (e + kPrefetchFloat < end_) {
        const float* q = base + cols_[e + kPrefetchFloat] * stride;
        for (Eigen::Index off = 0; off < stride; off += kFloatLanes) __builtin_prefetch(q + off);
      }
      if (!(values_[e] > 0.0f)) continue;
      std::copy_n(base + cols_[e] * stride, stride, ws.gf.row(len).data());
      ws.w[len] = confidence_weight(config_, values_[e]);
      ++len;
    }
    *pos = e;
    return len;
  }

  const Index* cols_;
  const float* values_;
  Offset begin_;
  Offset end_;
  const FactorsRef& src_;
  const float* mirror_;
  const ImplicitAlsConfig& config_;
};

// Calls body(len) on each gathered chunk of the row's positive interactions.
// `resident` > 0 means `into` already holds the whole row (that many rows).
template <class Body>
void for_each_chunk(const RowGather& gather, Eigen::Index resident, Workspace& ws, Into into, Body body) {
  if (resident > 0) {
    body(resident);
    return;
  }
  Offset pos = gather.begin();
  for (Eigen::Index len; (len = gather.next(&pos, ws, into)) > 0;) body(len);
}

// ---------------------------------------------------------------------------
// Conjugate gradient, matrix-free, from the warm start in x.

// The CG recurrences over ws.x/r/p/ap/t, with the interaction passes left to
// the caller (double or float32 rows):
//   residual(x, r): r = sum_i (c_i - w_i (y_i . x)) y_i
//   apply(p, ap):   ap (= YtY p on entry) += lambda p + sum_i w_i (y_i . p) y_i
// x_out holds the warm start and receives the result.
template <class Residual, class Apply>
void cg_iterations(const ColMatrix& ytyp, const ImplicitAlsConfig& config, Workspace& ws, double* x_out,
                   Residual&& residual, Apply&& apply) {
  const Eigen::Index k = ws.k;
  const Eigen::Index kp = ws.kp;
  const double lambda = config.lambda;
  double* x = ws.x.data();
  double* r = ws.r.data();
  double* p = ws.p.data();
  double* ap = ws.ap.data();
  double* t = ws.t.data();

  std::copy_n(x_out, k, x);  // padding of x stays zero
  // r = b - A x = sum_i (c_i - w_i (y_i . x)) y_i - YtY x - lambda x.
  residual(x, r);
  symv(ytyp.data(), k, kp, x, t);
  for (Eigen::Index f = 0; f < kp; ++f) {
    r[f] = r[f] - t[f] - lambda * x[f];
    p[f] = r[f];
  }
  double rs = dot(r, r, kp);
  // Below this the residual is rounding noise of the warm start: further
  // steps cannot improve x (and p^T A p could underflow to zero).
  const double tiny = std::max(std::numeric_limits<double>::min(), 1e-30 * rs);
  for (int step = 0; step < config.cg_steps && rs > tiny; ++step) {
    symv(ytyp.data(), k, kp, p, ap);
    apply(p, ap);
    const double pap = dot(p, ap, kp);
    if (!(pap > 0.0)) break;  // not positive definite along p (lambda = 0): keep the best x so far
    const double step_len = rs / pap;
    for (Eigen::Index f = 0; f < kp; ++f) {
      x[f] += step_len * p[f];
      r[f] -= step_len * ap[f];
    }
    const double rs_next = dot(r, r, kp);
    const double beta = rs_next / rs;
    for (Eigen::Index f = 0; f < kp; ++f) p[f] = r[f] + beta * p[f];
    rs = rs_next;
  }
  std::copy_n(x, k, x_out);
}

// Returns how many gathered rows ws.g still holds for the whole row (0 when
// the row did not fit one gather).
Eigen::Index solve_row_cg(const RowGather& gather, Offset n, const ColMatrix& ytyp,
                          const ImplicitAlsConfig& config, Workspace& ws, double* x_out) {
  const Eigen::Index kp = ws.kp;
  const double* g = ws.g.data();
  const double* w = ws.w.data();
  // A row that fits is gathered once for all its passes.
  Eigen::Index resident = 0;
  if (n <= ws.cap) {
    Offset pos = gather.begin();
    resident = gather.next(&pos, ws, Into::kDouble);
  }
  cg_iterations(
      ytyp, config, ws, x_out,
      [&](const double* x, double* r) {
        std::fill_n(r, kp, 0.0);
        for_each_chunk(gather, resident, ws, Into::kDouble,
                       [&](Eigen::Index len) { weighted_pass(g, len, kp, x, w, Coef::kResidual, r); });
      },
      [&](const double* p, double* ap) {
        for (Eigen::Index f = 0; f < kp; ++f) ap[f] += config.lambda * p[f];
        for_each_chunk(gather, resident, ws, Into::kDouble,
                       [&](Eigen::Index len) { weighted_pass(g, len, kp, p, w, Coef::kApply, ap); });
      });
  return resident;
}

// The same iteration with the weighted passes in float32 (ws.gf): the
// counterpart rows y_i and the multiplied vector (x, then p) rounded to
// float, their products and the sum over the row's interactions in float;
// everything else (YtY v, lambda v, the CG recurrences) in double.
// With `loss`, returns the row's loss terms (row_loss_terms) with the new x,
// s_i = y_i . x in float32 from the rows already gathered (see the header),
// else 0.
double solve_row_cg_float(const RowGather& gather, Offset n, const ColMatrix& ytyp,
                          const ImplicitAlsConfig& config, bool loss, Workspace& ws, double* x_out) {
  const Eigen::Index k = ws.k;
  const Eigen::Index kp = ws.kp;
  const Eigen::Index kpf = ws.kpf;
  float* vf = ws.vf.data();
  float* accf = ws.accf.data();
  const float* gf = ws.gf.data();
  const double* w = ws.w.data();

  Eigen::Index resident = 0;
  if (n <= ws.capf) {
    Offset pos = gather.begin();
    resident = gather.next(&pos, ws, Into::kFloat);
  }
  // accf = sum_i coef(w_i, y_i . v) y_i over float v = (float) v_in (padding zero).
  const auto pass = [&](const double* v, Coef coef) {
    for (Eigen::Index f = 0; f < k; ++f) vf[f] = static_cast<float>(v[f]);
    std::fill_n(accf, kpf, 0.0f);
    for_each_chunk(gather, resident, ws, Into::kFloat,
                   [&](Eigen::Index len) { weighted_pass(gf, len, kpf, vf, w, coef, accf); });
  };
  cg_iterations(
      ytyp, config, ws, x_out,
      [&](const double* x, double* r) {
        pass(x, Coef::kResidual);
        for (Eigen::Index f = 0; f < kp; ++f) r[f] = static_cast<double>(accf[f]);
      },
      [&](const double* p, double* ap) {
        pass(p, Coef::kApply);
        for (Eigen::Index f = 0; f < kp; ++f) ap[f] += config.lambda * p[f] + static_cast<double>(accf[f]);
      });
  if (!loss) return 0.0;
  // s_i = y_i . x by the same float dot products as the passes (the kernel's
  // plain-product coefficients are the s_i; its sums go to scratch).
  for (Eigen::Index f = 0; f < k; ++f) vf[f] = static_cast<float>(x_out[f]);
  double sum = 0.0;
  for_each_chunk(gather, resident, ws, Into::kFloat, [&](Eigen::Index len) {
    double unused = 0.0;
    std::fill_n(accf, kpf, 0.0f);
    simd::biased_pass(gf, len, kpf, vf, 0.0, w, simd::BiasedCoef::kProduct, accf, &unused, ws.s.data());
    for (Eigen::Index j = 0; j < len; ++j) {
      const double sj = ws.s[j];
      sum += (1.0 + w[j]) * (1.0 - sj) * (1.0 - sj) - sj * sj;
    }
  });
  return sum;
}

// ---------------------------------------------------------------------------
// Cholesky: A = YtY + lambda I + sum_i w_i y_i y_i^T formed densely.

// Assembles A (ws.a: lower triangle, padded to kp x kp with identity, as
// simd::cholesky_in_place expects) and b (ws.t, padded with zeros). The rank
// update sum_i w_i y_i y_i^T runs in simd::gram_chunk on gs = sqrt(w_i) y_i,
// blocks of kSyrkRows rows in the row's stored order (its Y^T 1 and Y^T t
// by-products land in the scratch vectors r and ap, unused here).
void assemble_cholesky(const RowGather& gather, const ColMatrix& ytyp, const ImplicitAlsConfig& config,
                       Workspace& ws) {
  const Eigen::Index k = ws.k;
  const Eigen::Index kp = ws.kp;
  ws.t.setZero();  // b, padded
  bool first = true;
  for_each_chunk(gather, 0, ws, Into::kDouble, [&](Eigen::Index len) {
    double* b = ws.t.data();
    for (Eigen::Index r0 = 0; r0 < len; r0 += kSyrkRows) {
      const Eigen::Index m = std::min(kSyrkRows, len - r0);
      // b += c_i y_i, and gs = sqrt(w_i) y_i so that the rank update adds w_i y_i y_i^T.
      for (Eigen::Index j = 0; j < m; ++j) {
        const double* y = ws.g.row(r0 + j).data();
        double* ys = ws.gs.row(j).data();
        const double c = 1.0 + ws.w[r0 + j];
        const double scale = std::sqrt(ws.w[r0 + j]);
        for (Eigen::Index f = 0; f < kp; ++f) {
          b[f] += c * y[f];
          ys[f] = y[f] * scale;
        }
      }
      simd::gram_chunk(ws.gs.data(), m, kp, ws.w.data() + r0, first, ws.yy.data(), ws.r.data(), ws.ap.data());
      first = false;
    }
  });
  // A = (YtY + sum_i w_i y_i y_i^T) + lambda I; the padding is identity.
  for (Eigen::Index j = 0; j < kp; ++j) {
    double* cj = ws.a.col(j).data();
    const double* yj = ws.yy.col(j).data();
    for (Eigen::Index i = j; i < kp; ++i) cj[i] = i < k && j < k ? ytyp(i, j) + yj[i] : 0.0;
    cj[j] += j < k ? config.lambda : 1.0;
  }
}

// Returns how many gathered rows ws.g still holds for the whole row (0 when
// the row did not fit one gather).
Eigen::Index solve_row_cholesky(const RowGather& gather, Offset n, const ColMatrix& ytyp,
                                const ImplicitAlsConfig& config, Workspace& ws, double* x_out) {
  const Eigen::Index k = ws.k;
  const Eigen::Index resident = n <= ws.cap ? n : 0;
  assemble_cholesky(gather, ytyp, config, ws);
  // In place, by the dispatched kernels (src/simd/explicit_kernels.hpp): no allocation.
  if (simd::cholesky_in_place(ws.a.data(), ws.kp, ws.inv.data())) {
    simd::cholesky_solve_in_place(ws.a.data(), ws.inv.data(), ws.kp, ws.t.data(), nullptr, k);
    std::copy_n(ws.t.data(), k, x_out);
    return resident;
  }
  // Only reachable with lambda = 0 and a singular YtY: rare, so the second
  // assembly and the allocating pivoted LDL^T do not matter.
  assemble_cholesky(gather, ytyp, config, ws);
  Eigen::LDLT<ColMatrix, Eigen::Lower> ldlt(ws.a.topLeftCorner(k, k));
  Vector x = ldlt.solve(ws.t.head(k));
  if (ldlt.info() != Eigen::Success || !x.allFinite()) x.setZero();
  std::copy_n(x.data(), k, x_out);
  return resident;
}

void check_config(const ImplicitAlsConfig& c) {
  if (!(c.lambda >= 0.0) || !(c.alpha >= 0.0) || c.cg_steps < 0 ||
      (c.confidence == ImplicitAlsConfig::Confidence::kLog && !(c.eps > 0.0))) {
    throw std::invalid_argument(
        "implicit ALS: need lambda >= 0, alpha >= 0, cg_steps >= 0 and eps > 0 (log)");
  }
}

// The padded, full symmetric kp x kp copy of the lower triangle of yty.
ColMatrix padded_gram(const Eigen::Ref<const ColMatrix>& yty, Eigen::Index kp) {
  const Eigen::Index k = yty.rows();
  ColMatrix p = ColMatrix::Zero(kp, kp);
  for (Eigen::Index j = 0; j < k; ++j) {
    for (Eigen::Index i = j; i < k; ++i) p(i, j) = p(j, i) = yty(i, j);
  }
  return p;
}

// Per-row loss correction, in the row's stored order. `resident` > 0: ws.g
// and ws.w already hold the row's (exact) y_i and w_i.
double row_loss_terms(const RowGather& gather, Eigen::Index resident, const double* x_row, Workspace& ws) {
  std::copy_n(x_row, ws.k, ws.x.data());
  double sum = 0.0;
  for_each_chunk(gather, resident, ws, Into::kDouble, [&](Eigen::Index len) {
    for (Eigen::Index j = 0; j < len; ++j) {
      const double s = dot(ws.g.row(j).data(), ws.x.data(), ws.kp);
      const double c = 1.0 + ws.w[j];
      sum += c * (1.0 - s) * (1.0 - s) - s * s;
    }
  });
  return sum;
}

// row_loss_terms without the copy: each y_i is read in place (a single dot
// product per interaction does not repay gathering it). The same sums, bit
// for bit: simd::dot_partial is dot() with the lanes past k read as zeros.
double row_loss_terms_in_place(const CsrView& m, Index row, const FactorsRef& src, const double* x_row,
                               const ImplicitAlsConfig& config, Workspace& ws) {
  const Eigen::Index k = ws.k;
  const Eigen::Index row_bytes = k * Eigen::Index{sizeof(double)};
  std::copy_n(x_row, k, ws.x.data());
  const double* x = ws.x.data();
  const Offset end = m.indptr[row + 1];
  double sum = 0.0;
  for (Offset e = m.indptr[row]; e < end; ++e) {
    if (e + kPrefetch < end) {
      const char* q = reinterpret_cast<const char*>(src.row(m.cols[e + kPrefetch]).data());
      for (Eigen::Index off = 0; off < row_bytes; off += 64) __builtin_prefetch(q + off);
      __builtin_prefetch(q + row_bytes - 1);
    }
    if (!(m.values[e] > 0.0f)) continue;
    const double s = simd::dot_partial(src.row(m.cols[e]).data(), x, k, ws.kp);
    const double c = 1.0 + confidence_weight(config, m.values[e]);
    sum += c * (1.0 - s) * (1.0 - s) - s * s;
  }
  return sum;
}

std::vector<double> loss_terms_per_row(const CsrView& m, const FactorsRef& src, const FactorsRef& rows,
                                       const ImplicitAlsConfig& config) {
  check_config(config);
  if (rows.rows() != m.rows() || rows.cols() != src.cols()) {
    throw std::invalid_argument("implicit_loss_terms: factor shapes do not match the block");
  }
  std::vector<double> terms(static_cast<std::size_t>(m.rows()));
  FirstError errors;
#pragma omp parallel num_threads(std::max(config.threads, 1))
  {
    std::optional<Workspace> slot;  // allocated by its own thread
    errors.run([&] { slot.emplace(src.cols()); });
#pragma omp for schedule(dynamic, 16)
    for (Index r = 0; r < m.rows(); ++r) {
      if (!slot) continue;  // its allocation failed: rethrown below
      Workspace& ws = *slot;
      errors.run([&] {
        terms[static_cast<std::size_t>(r)] =
            row_loss_terms_in_place(m, r, src, rows.row(r).data(), config, ws);
      });
    }
  }
  errors.rethrow();
  return terms;
}

}  // namespace

double implicit_confidence_weight(const ImplicitAlsConfig& config, double r) {
  return confidence_weight(config, r);
}

void solve_implicit_rows(const CsrView& interactions, const Eigen::Ref<const Matrix>& src_factors,
                         const Eigen::Ref<const ColMatrix>& yty, const ImplicitAlsConfig& config,
                         Matrix& dst_factors, ExactSum* loss_terms, ImplicitScratch* scratch) {
  check_config(config);
  const Index rows = interactions.rows();
  const Eigen::Index k = src_factors.cols();
  if (dst_factors.rows() != rows || dst_factors.cols() != k || yty.rows() != k || yty.cols() != k) {
    throw std::invalid_argument("solve_implicit_rows: factor or Gram shapes do not match the block");
  }
  if (k == 0) return;
  const ColMatrix ytyp = padded_gram(yty, round_up(k));
  const bool use_cg = config.solver == SolverKind::kConjugateGradient;
  const bool use_float = use_cg && config.cg_float_gather;
  std::vector<float> own;
  const float* mirror =
      use_float ? float_mirror(src_factors, config.threads, scratch != nullptr ? scratch->mirror : own)
                : nullptr;

  // Each row runs one fixed code path chosen by its own interactions and k,
  // so neither the thread count nor the schedule changes any result.
  FirstError errors;  // a row's solve may allocate (its Cholesky fallback)
#pragma omp parallel num_threads(std::max(config.threads, 1))
  {
    std::optional<Workspace> slot;  // allocated by its own thread
    errors.run([&] { slot.emplace(k); });
    ExactSum loss;  // integer sum: merging the threads' parts in any order is exact
#pragma omp for schedule(dynamic, 16)
    for (Index r = 0; r < rows; ++r) {
      if (!slot) continue;  // its allocation failed: rethrown below
      Workspace& ws = *slot;
      errors.run([&] {
        const RowGather gather(interactions, r, src_factors, config, mirror);
        double* x = dst_factors.row(r).data();
        const Offset n = gather.positives();
        Eigen::Index resident = 0;  // > 0: ws.g holds all the row's y_i
        if (n == 0) {
          std::fill_n(x, k, 0.0);  // b = 0: the exact minimiser is 0
          return;                  // and the row's loss terms are an empty sum
        } else if (use_float) {
          const double terms = solve_row_cg_float(gather, n, ytyp, config, loss_terms != nullptr, ws, x);
          if (loss_terms != nullptr) loss.add(terms);
          return;
        } else if (use_cg) {
          resident = solve_row_cg(gather, n, ytyp, config, ws, x);
        } else {
          resident = solve_row_cholesky(gather, n, ytyp, config, ws, x);
        }
        // resident: ws.g holds the row's exact y_i (else they are gathered again).
        if (loss_terms != nullptr) loss.add(row_loss_terms(gather, resident, x, ws));
      });
    }
    if (loss_terms != nullptr) {
#pragma omp critical(hpcrec_implicit_loss)
      loss_terms->merge(loss);
    }
  }
  errors.rethrow();
}

double implicit_row_flops(double n, int k, const ImplicitAlsConfig& config) {
  if (n == 0) return 0.0;
  const double d = k;
  const double s = config.cg_steps;
  if (config.solver == SolverKind::kCholesky)
    return n * d * (d + 1.0) + 3.0 * n * d + d * d * d / 3.0 + 2.0 * d * d + d;
  return (s + 1.0) * (2.0 * d * d + 2.0 * d + n * (4.0 * d + 2.0)) + 2.0 * d + s * 10.0 * d;
}

double implicit_rows_flops(const CsrView& interactions, int k, const ImplicitAlsConfig& config) {
  double flops = 0.0;
  for (Index r = 0; r < interactions.rows(); ++r) {
    double n = 0.0;
    for (Offset e = interactions.indptr[r]; e < interactions.indptr[r + 1]; ++e)
      n += interactions.values[e] > 0.0f;
    flops += implicit_row_flops(n, k, config);
  }
  return flops;
}

double implicit_loss_terms(const CsrView& interactions, const Eigen::Ref<const Matrix>& src_factors,
                           const Eigen::Ref<const Matrix>& row_factors, const ImplicitAlsConfig& config) {
  double sum = 0.0;
  for (const double t : loss_terms_per_row(interactions, src_factors, row_factors, config)) sum += t;
  return sum;
}

void implicit_loss_terms(const CsrView& interactions, const Eigen::Ref<const Matrix>& src_factors,
                         const Eigen::Ref<const Matrix>& row_factors, const ImplicitAlsConfig& config,
                         ExactSum& out) {
  for (const double t : loss_terms_per_row(interactions, src_factors, row_factors, config)) out.add(t);
}

}  // namespace hpcrec::math
