// The dispatched SIMD kernels (src/simd/) on every target this machine runs,
// each forced in turn: against plain scalar references on random data
// (double kernels to rounding, the float32 pass to 1e-5 relative), bitwise
// reproducible per target, and bitwise equal across targets where the
// kernels' contract says so: the double paths agree bit for bit among the
// targets that fuse multiply-add (AVX2, AVX-512, NEON) and among those that
// cannot (SSE4, SSSE3, EMU128/SCALAR), not between the two groups, since a fused
// multiply-add rounds once and a separate multiply and add twice.
#include <gtest/gtest.h>

#include <Eigen/Cholesky>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "hwy/targets.h"
#include "src/als_explicit.hpp"
#include "src/als_implicit.hpp"
#include "src/simd/dispatch.hpp"
#include "src/simd/explicit_kernels.hpp"
#include "src/simd/implicit_kernels.hpp"
#include "tests/unit/random_matrix.hpp"

using namespace hpcrec::math;
namespace simd = hpcrec::simd;

namespace {

using FloatRows = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Runs the kernels on one target while alive.
struct Forced {
  explicit Forced(std::int64_t t) { simd::force_target(t); }
  ~Forced() { simd::force_target(0); }
  Forced(const Forced&) = delete;
  Forced& operator=(const Forced&) = delete;
};

bool fuses(std::int64_t t) {
#if HWY_ARCH_X86
  return t == HWY_AVX2 || t == HWY_AVX3 || t == HWY_AVX3_DL;
#else
  return t != HWY_EMU128 && t != HWY_SCALAR;
#endif
}

// The portable fallback, always compiled (HWY_COMPILE_ALL_ATTAINABLE) and
// the last of the targets: EMU128, or HWY_SCALAR where Highway deems EMU128
// broken (GCC before 12.3).
std::int64_t scalar_target() {
  const auto t = simd::available_targets().back();
  EXPECT_TRUE(t == HWY_EMU128 || t == HWY_SCALAR) << hwy::TargetName(t);
  return t;
}

Eigen::Index pad8(Eigen::Index k) { return (k + 7) / 8 * 8; }
Eigen::Index pad16(Eigen::Index k) { return (k + 15) / 16 * 16; }

// n rows of k normal draws, padded with zeros to `kp` columns.
Matrix padded_rows(Eigen::Index n, Eigen::Index k, Eigen::Index kp, unsigned seed) {
  Matrix m = Matrix::Zero(n, kp);
  m.leftCols(k) = hpcrec::testing::random_normal(n, k, seed, 0.5);
  return m;
}

std::vector<double> weights(Eigen::Index n, unsigned seed) {
  std::mt19937_64 gen(seed);
  std::uniform_real_distribution<double> u(0.0, 3.0);
  std::vector<double> w(static_cast<std::size_t>(std::max<Eigen::Index>(n, 1)));
  for (double& x : w) x = u(gen);
  return w;
}

// The bits of a list of doubles, to compare results across targets.
std::vector<std::uint64_t> bits(const double* p, Eigen::Index n) {
  std::vector<std::uint64_t> b(static_cast<std::size_t>(n));
  std::memcpy(b.data(), p, sizeof(double) * static_cast<std::size_t>(n));
  return b;
}

void append(std::vector<std::uint64_t>& out, const double* p, Eigen::Index n) {
  const auto b = bits(p, n);
  out.insert(out.end(), b.begin(), b.end());
}

const std::vector<Eigen::Index> kSizes = {1, 5, 8, 13, 16, 31, 64, 65, 100, 129};
const std::vector<Eigen::Index> kRows = {0, 1, 3, 4, 7, 37};

// Every double output of the implicit kernels on fixed data, as bits; checks
// each against the scalar reference on the way.
std::vector<std::uint64_t> implicit_double_outputs(const std::string& target) {
  std::vector<std::uint64_t> out;
  for (const Eigen::Index k : kSizes) {
    const Eigen::Index kp = pad8(k);
    for (const Eigen::Index n : kRows) {
      SCOPED_TRACE(target + " k=" + std::to_string(k) + " n=" + std::to_string(n));
      const Matrix g = padded_rows(std::max<Eigen::Index>(n, 1), k, kp, static_cast<unsigned>(7 * k + n));
      const Vector v = padded_rows(1, k, kp, static_cast<unsigned>(k + 1000)).row(0).transpose();
      const auto w = weights(n, static_cast<unsigned>(k + 2000));
      // dot, and dot_partial on an unaligned copy of exactly k values
      double ref = 0.0, mag = 0.0;
      for (Eigen::Index f = 0; f < k; ++f) {
        ref += g(0, f) * v[f];
        mag += std::fabs(g(0, f) * v[f]);
      }
      const double d = simd::dot(g.row(0).data(), v.data(), kp);
      EXPECT_NEAR(d, ref, 1e-14 * mag + 1e-300);
      std::vector<double> unaligned(static_cast<std::size_t>(k + 1));
      std::copy_n(g.row(0).data(), k, unaligned.data() + 1);
      const double dp = simd::dot_partial(unaligned.data() + 1, v.data(), k, kp);
      EXPECT_EQ(bits(&dp, 1), bits(&d, 1)) << "dot_partial is dot on the zero-padded row";
      out.push_back(bits(&d, 1)[0]);
      // weighted passes, both coefficients, accumulating onto a nonzero out
      for (const simd::Coef c : {simd::Coef::kResidual, simd::Coef::kApply}) {
        Vector acc = padded_rows(1, k, kp, static_cast<unsigned>(k + 3000)).row(0).transpose();
        Vector expect = acc;
        Vector scale = acc.cwiseAbs();
        for (Eigen::Index j = 0; j < n; ++j) {
          const double s = g.row(j).head(k).dot(v.head(k));
          const double cj = c == simd::Coef::kResidual ? (1.0 + w[j]) - w[j] * s : w[j] * s;
          expect += cj * g.row(j).transpose();
          scale += std::fabs(cj) * g.row(j).transpose().cwiseAbs() +
                   (w[j] * g.row(j).cwiseAbs().dot(v.cwiseAbs())) * g.row(j).transpose().cwiseAbs();
        }
        simd::weighted_pass(g.data(), n, kp, v.data(), w.data(), c, acc.data());
        for (Eigen::Index f = 0; f < kp; ++f) EXPECT_NEAR(acc[f], expect[f], 1e-14 * scale[f] + 1e-300);
        for (Eigen::Index f = k; f < kp; ++f) EXPECT_EQ(acc[f], 0.0) << "padding stays zero";
        append(out, acc.data(), kp);
      }
      // symv with a symmetric padded kp x kp
      ColMatrix a = ColMatrix::Zero(kp, kp);
      const Matrix r = hpcrec::testing::random_normal(k, k, static_cast<unsigned>(k + 4000));
      a.topLeftCorner(k, k) = r + r.transpose();
      Vector y(kp);
      simd::symv(a.data(), k, kp, v.data(), y.data());
      const Vector expect = a * v;
      for (Eigen::Index f = 0; f < kp; ++f)
        EXPECT_NEAR(y[f], expect[f], 1e-13 * (a.cwiseAbs() * v.cwiseAbs())[f] + 1e-300);
      append(out, y.data(), kp);
    }
  }
  return out;
}

std::vector<std::uint64_t> explicit_double_outputs(const std::string& target) {
  std::vector<std::uint64_t> out;
  for (const Eigen::Index k : kSizes) {
    const Eigen::Index kp = pad8(k);
    for (const Eigen::Index n : {Eigen::Index{1}, Eigen::Index{7}, Eigen::Index{40}}) {
      SCOPED_TRACE(target + " k=" + std::to_string(k) + " n=" + std::to_string(n));
      // Y^T Y, Y^T 1, Y^T t in two chunks, as the row solver feeds them.
      const Matrix g = padded_rows(n, k, kp, static_cast<unsigned>(11 * k + n));
      const Vector t = hpcrec::testing::random_normal(n, 1, static_cast<unsigned>(k + 5000)).col(0);
      ColMatrix yy(kp, kp);
      Vector ys(kp), yt(kp);
      const Eigen::Index half = n / 2;
      if (half > 0) simd::gram_chunk(g.data(), half, kp, t.data(), true, yy.data(), ys.data(), yt.data());
      simd::gram_chunk(g.data() + half * kp, n - half, kp, t.data() + half, half == 0, yy.data(), ys.data(),
                       yt.data());
      const ColMatrix ref = g.transpose() * g;
      const ColMatrix mag = g.cwiseAbs().transpose() * g.cwiseAbs();
      for (Eigen::Index j = 0; j < k; ++j)
        for (Eigen::Index i = j; i < k; ++i) EXPECT_NEAR(yy(i, j), ref(i, j), 1e-13 * mag(i, j));
      for (Eigen::Index f = 0; f < k; ++f) {
        EXPECT_NEAR(ys[f], g.col(f).sum(), 1e-13 * g.col(f).cwiseAbs().sum());
        EXPECT_NEAR(yt[f], g.col(f).dot(t), 1e-13 * g.col(f).cwiseAbs().dot(t.cwiseAbs()));
      }
      for (Eigen::Index j = 0; j < kp; ++j)
        for (Eigen::Index i = j / 8 * 8; i < kp; ++i) out.push_back(bits(&yy(i, j), 1)[0]);
      append(out, ys.data(), kp);
      append(out, yt.data(), kp);

      // Cholesky and the two solves (with noise between them) of an SPD
      // system of order d = k + 1, padded to ld with identity.
      const Eigen::Index d = k + 1, ld = pad8(d);
      const Matrix z = hpcrec::testing::random_normal(d + 3, d, static_cast<unsigned>(k + 6000));
      ColMatrix spd = z.transpose() * z + 0.5 * ColMatrix::Identity(d, d);
      ColMatrix a = ColMatrix::Identity(ld, ld);
      a.topLeftCorner(d, d) = spd;
      a.topLeftCorner(d, d).triangularView<Eigen::StrictlyUpper>().setConstant(12345.0);  // must be ignored
      Vector b = Vector::Zero(ld), inv(ld);
      b.head(d) = hpcrec::testing::random_normal(d, 1, static_cast<unsigned>(k + 7000)).col(0);
      const Vector noise = hpcrec::testing::random_normal(d, 1, static_cast<unsigned>(k + 8000)).col(0);
      EXPECT_TRUE(simd::cholesky_in_place(a.data(), ld, inv.data()));
      Vector x = b;
      simd::cholesky_solve_in_place(a.data(), inv.data(), ld, x.data(), nullptr, d);
      const Vector expect = spd.llt().solve(b.head(d));
      for (Eigen::Index f = 0; f < d; ++f)
        EXPECT_NEAR(x[f], expect[f], 1e-9 * (1.0 + expect.cwiseAbs().maxCoeff()));
      for (Eigen::Index f = d; f < ld; ++f) EXPECT_EQ(x[f], 0.0);
      // with noise: L^-T (L^-1 b + noise)
      const Eigen::LLT<ColMatrix> llt(spd);
      const Vector with_noise = llt.matrixU().solve(Vector(llt.matrixL().solve(b.head(d)) + noise));
      Vector xn = b;
      simd::cholesky_solve_in_place(a.data(), inv.data(), ld, xn.data(), noise.data(), d);
      for (Eigen::Index f = 0; f < d; ++f)
        EXPECT_NEAR(xn[f], with_noise[f], 1e-9 * (1.0 + with_noise.cwiseAbs().maxCoeff()));
      for (Eigen::Index j = 0; j < ld; ++j) append(out, a.col(j).data() + j, ld - j);
      append(out, inv.data(), ld);
      append(out, x.data(), ld);
      append(out, xn.data(), ld);
      // a non-positive pivot is reported
      ColMatrix bad = ColMatrix::Identity(ld, ld);
      bad(d - 1, d - 1) = -1.0;
      EXPECT_FALSE(simd::cholesky_in_place(bad.data(), ld, inv.data()));
    }
  }
  return out;
}

// The float32 pass: to 1e-5 relative of the reference in double, chunking-
// and repetition-invariant bit for bit. Returns its outputs.
std::vector<float> float_pass_outputs(const std::string& target) {
  std::vector<float> out;
  for (const Eigen::Index k : kSizes) {
    const Eigen::Index kpf = pad16(k);
    for (const Eigen::Index n : kRows) {
      SCOPED_TRACE(target + " k=" + std::to_string(k) + " n=" + std::to_string(n));
      const Matrix gd = padded_rows(std::max<Eigen::Index>(n, 1), k, kpf, static_cast<unsigned>(13 * k + n));
      const FloatRows g = gd.cast<float>();
      const Eigen::VectorXf v =
          padded_rows(1, k, kpf, static_cast<unsigned>(k + 9000)).row(0).transpose().cast<float>();
      const auto w = weights(n, static_cast<unsigned>(k + 10000));
      for (const simd::Coef c : {simd::Coef::kResidual, simd::Coef::kApply}) {
        Eigen::VectorXf acc = Eigen::VectorXf::Zero(kpf);
        simd::weighted_pass(g.data(), n, kpf, v.data(), w.data(), c, acc.data());
        Vector expect = Vector::Zero(kpf), scale = Vector::Zero(kpf);
        for (Eigen::Index j = 0; j < n; ++j) {
          const Eigen::VectorXd gj = g.row(j).transpose().cast<double>();
          const double s = gj.dot(v.cast<double>());
          const double cj = c == simd::Coef::kResidual ? (1.0 + w[j]) - w[j] * s : w[j] * s;
          const double smag = gj.cwiseAbs().dot(v.cast<double>().cwiseAbs());
          expect += cj * gj;
          scale += (std::fabs(cj) + w[j] * smag) * gj.cwiseAbs();
        }
        for (Eigen::Index f = 0; f < kpf; ++f) EXPECT_NEAR(acc[f], expect[f], 1e-5 * scale[f] + 1e-30);
        // Rows split over two passes (out carried): the same bits.
        for (const Eigen::Index m : {Eigen::Index{1}, Eigen::Index{2}, n / 2}) {
          if (m > n) continue;
          Eigen::VectorXf split = Eigen::VectorXf::Zero(kpf);
          simd::weighted_pass(g.data(), m, kpf, v.data(), w.data(), c, split.data());
          simd::weighted_pass(g.data() + m * kpf, n - m, kpf, v.data(), w.data() + m, c, split.data());
          EXPECT_EQ(0, std::memcmp(split.data(), acc.data(), sizeof(float) * static_cast<std::size_t>(kpf)))
              << "split at " << m;
        }
        out.insert(out.end(), acc.data(), acc.data() + kpf);
      }
      // explicit ALS's biased pass: rows z_j = [g_j; 1], targets t_j
      const double vb = 0.3;
      for (const simd::BiasedCoef c : {simd::BiasedCoef::kTargetResidual, simd::BiasedCoef::kProduct}) {
        Eigen::VectorXf acc = Eigen::VectorXf::Zero(kpf);
        double bias = 0.25;
        std::vector<double> cs(static_cast<std::size_t>(std::max<Eigen::Index>(n, 1)));
        simd::biased_pass(g.data(), n, kpf, v.data(), vb, w.data(), c, acc.data(), &bias, cs.data());
        Vector expect = Vector::Zero(kpf), scale = Vector::Zero(kpf);
        double expect_bias = 0.25, bias_scale = 0.25;
        for (Eigen::Index j = 0; j < n; ++j) {
          const Eigen::VectorXd gj = g.row(j).transpose().cast<double>();
          const double s = gj.dot(v.cast<double>()) + vb;
          const double cj = c == simd::BiasedCoef::kTargetResidual ? w[j] - s : s;
          const double smag = gj.cwiseAbs().dot(v.cast<double>().cwiseAbs()) + vb;
          EXPECT_NEAR(cs[static_cast<std::size_t>(j)], cj, 1e-5 * (std::fabs(w[j]) + smag));
          expect += cj * gj;
          scale += (std::fabs(cj) + smag) * gj.cwiseAbs();
          expect_bias += cj;
          bias_scale += std::fabs(w[j]) + smag;
        }
        for (Eigen::Index f = 0; f < kpf; ++f) EXPECT_NEAR(acc[f], expect[f], 1e-5 * scale[f] + 1e-30);
        EXPECT_NEAR(bias, expect_bias, 1e-5 * bias_scale);
        for (const Eigen::Index m : {Eigen::Index{1}, n / 2}) {
          if (m > n) continue;
          Eigen::VectorXf split = Eigen::VectorXf::Zero(kpf);
          double split_bias = 0.25;
          simd::biased_pass(g.data(), m, kpf, v.data(), vb, w.data(), c, split.data(), &split_bias);
          simd::biased_pass(g.data() + m * kpf, n - m, kpf, v.data(), vb, w.data() + m, c, split.data(),
                            &split_bias);
          EXPECT_EQ(0, std::memcmp(split.data(), acc.data(), sizeof(float) * static_cast<std::size_t>(kpf)))
              << "split at " << m;
          EXPECT_EQ(split_bias, bias) << "split at " << m;
        }
        out.insert(out.end(), acc.data(), acc.data() + kpf);
        out.push_back(static_cast<float>(bias));
      }
    }
  }
  return out;
}

CsrView view_of(const CsrBlock& b) { return {b.indptr, b.cols, b.values}; }

CsrBlock random_block(int rows, int cols, double density, unsigned seed) {
  std::mt19937_64 gen(seed);
  std::bernoulli_distribution rated(density);
  std::uniform_int_distribution<int> stars(1, 5);
  std::vector<Rating> ratings;
  for (int r = 0; r < rows; ++r) {
    if (r % 17 == 5) continue;
    for (int c = 0; c < cols; ++c)
      if (rated(gen)) ratings.push_back({r, c, static_cast<float>(stars(gen))});
  }
  return build_csr(ratings, 0, rows, /*by_item=*/false);
}

struct RowResults {
  std::vector<std::uint64_t> exact;  // explicit, bpmf-style prior + noise, double CG, iALS Cholesky
  Matrix float_cg;
  Matrix explicit_cg;  // explicit ALS's float CG, factors and bias side by side
};

// The row solvers end to end (k = 64 and 13) on one target.
RowResults row_solver_outputs() {
  RowResults res;
  for (const int k : {13, 64}) {
    const CsrBlock block = random_block(60, 300, 0.3, static_cast<unsigned>(k));
    const Matrix src = hpcrec::testing::random_normal(300, k, static_cast<unsigned>(k + 1), 0.3);
    const Vector src_bias = hpcrec::testing::random_normal(300, 1, static_cast<unsigned>(k + 2), 0.1).col(0);
    ExplicitAlsConfig ec;
    ec.lambda = 0.05;
    ec.global_mean = 3.0;
    Matrix xf(60, k);
    Vector xb(60);
    solve_explicit_rows(view_of(block), src, src_bias, ec, xf, xb);
    append(res.exact, xf.data(), xf.size());
    append(res.exact, xb.data(), xb.size());
    {
      // explicit CG from a warm start (float32 passes)
      ExplicitAlsConfig cg = ec;
      cg.solver = SolverKind::kConjugateGradient;
      Matrix cf = 0.5 * xf;
      Vector cb = 0.5 * xb;
      solve_explicit_rows(view_of(block), src, src_bias, cg, cf, cb);
      if (res.explicit_cg.size() == 0) {
        res.explicit_cg.resize(60, k + 1);
        res.explicit_cg << cf, cb;
      }
    }
    // a prior and noise, as bpmf's Gibbs step
    const Matrix pz = hpcrec::testing::random_normal(k + 5, k + 1, static_cast<unsigned>(k + 3));
    const ColMatrix prior = pz.transpose() * pz / (k + 5.0) + ColMatrix::Identity(k + 1, k + 1);
    const Vector prior_rhs = hpcrec::testing::random_normal(k + 1, 1, static_cast<unsigned>(k + 4)).col(0);
    const Matrix noise = hpcrec::testing::random_normal(60, k + 1, static_cast<unsigned>(k + 5));
    ec.prior = &prior;
    ec.prior_rhs = &prior_rhs;
    ec.noise = &noise;
    solve_explicit_rows(view_of(block), src, src_bias, ec, xf, xb);
    append(res.exact, xf.data(), xf.size());
    append(res.exact, xb.data(), xb.size());

    const ColMatrix yty = src.transpose() * src;
    ImplicitAlsConfig ic;
    ic.lambda = 0.1;
    ic.cg_float_gather = false;
    Matrix x = hpcrec::testing::random_normal(60, k, static_cast<unsigned>(k + 6), 0.1);
    const Matrix warm = x;
    solve_implicit_rows(view_of(block), src, yty, ic, x);
    append(res.exact, x.data(), x.size());
    ic.solver = SolverKind::kCholesky;
    x = warm;
    solve_implicit_rows(view_of(block), src, yty, ic, x);
    append(res.exact, x.data(), x.size());
    ic.solver = SolverKind::kConjugateGradient;
    ic.cg_float_gather = true;
    x = warm;
    solve_implicit_rows(view_of(block), src, yty, ic, x);
    if (res.float_cg.size() == 0) res.float_cg = x;
  }
  return res;
}

}  // namespace

TEST(SimdKernels, TheDispatchedTargetIsNamed) {
  const auto targets = simd::available_targets();
  ASSERT_FALSE(targets.empty());
  EXPECT_FALSE(simd::active_isa().empty());
  std::string names;
  for (const auto t : targets) names += std::string(" ") + hwy::TargetName(t) + (fuses(t) ? " (FMA)" : "");
  std::printf("targets on this machine:%s\n", names.c_str());
  for (const auto t : targets) {
    Forced f(t);
    EXPECT_EQ(simd::active_target_name(), hwy::TargetName(t));
    EXPECT_EQ(simd::active_isa(), simd::target_isa(t));
  }
}

TEST(SimdKernels, EveryTargetMatchesTheScalarReferenceAndTheContractsBitwiseGroups) {
  std::map<bool, std::vector<std::uint64_t>> first_of_group;  // by fuses()
  std::map<bool, std::string> group_name;
  for (const auto t : simd::available_targets()) {
    Forced f(t);
    const std::string name = hwy::TargetName(t);
    auto out = implicit_double_outputs(name);
    const auto ex = explicit_double_outputs(name);
    out.insert(out.end(), ex.begin(), ex.end());
    // deterministic on the target: a second run gives the same bits
    auto again = implicit_double_outputs(name);
    const auto ex2 = explicit_double_outputs(name);
    again.insert(again.end(), ex2.begin(), ex2.end());
    EXPECT_EQ(out, again) << name;
    const bool fma = fuses(t);
    if (first_of_group.count(fma) == 0) {
      first_of_group[fma] = out;
      group_name[fma] = name;
    } else {
      EXPECT_EQ(out, first_of_group[fma]) << name << " against " << group_name[fma]
                                          << ": the double kernels must agree bitwise within the group";
    }
  }
}

TEST(SimdKernels, FloatPassOnEveryTargetWithin1e5OfTheScalarOne) {
  std::vector<float> scalar;
  {
    Forced f(scalar_target());
    scalar = float_pass_outputs("scalar");
  }
  for (const auto t : simd::available_targets()) {
    Forced f(t);
    const std::string name = hwy::TargetName(t);
    const auto out = float_pass_outputs(name);
    EXPECT_EQ(out, float_pass_outputs(name)) << name << ": not deterministic";
    ASSERT_EQ(out.size(), scalar.size());
    for (std::size_t i = 0; i < out.size(); ++i)
      EXPECT_NEAR(out[i], scalar[i], 1e-5 * (std::fabs(scalar[i]) + 1.0)) << name << " element " << i;
  }
}

TEST(SimdKernels, RowSolversOnEveryTarget) {
  std::map<bool, RowResults> first_of_group;
  RowResults scalar;
  {
    Forced f(scalar_target());
    scalar = row_solver_outputs();
  }
  for (const auto t : simd::available_targets()) {
    Forced f(t);
    const std::string name = hwy::TargetName(t);
    const RowResults r = row_solver_outputs();
    const RowResults again = row_solver_outputs();
    EXPECT_EQ(r.exact, again.exact) << name;
    EXPECT_EQ(0, std::memcmp(r.float_cg.data(), again.float_cg.data(), sizeof(double) * r.float_cg.size()))
        << name;
    // float CG (3 steps) to float precision of the scalar target's result
    EXPECT_LE((r.float_cg - scalar.float_cg).cwiseAbs().maxCoeff(),
              1e-5 * (1.0 + scalar.float_cg.cwiseAbs().maxCoeff()))
        << name;
    EXPECT_EQ(
        0, std::memcmp(r.explicit_cg.data(), again.explicit_cg.data(), sizeof(double) * r.explicit_cg.size()))
        << name;
    EXPECT_LE((r.explicit_cg - scalar.explicit_cg).cwiseAbs().maxCoeff(),
              1e-5 * (1.0 + scalar.explicit_cg.cwiseAbs().maxCoeff()))
        << name;
    // the double paths: close to the scalar ones everywhere, bitwise within the FMA group
    ASSERT_EQ(r.exact.size(), scalar.exact.size());
    double worst = 0.0;
    for (std::size_t i = 0; i < r.exact.size(); ++i) {
      double a, b;
      std::memcpy(&a, &r.exact[i], sizeof a);
      std::memcpy(&b, &scalar.exact[i], sizeof b);
      worst = std::max(worst, std::fabs(a - b) / (1.0 + std::fabs(b)));
    }
    EXPECT_LE(worst, 1e-9) << name;
    const bool fma = fuses(t);
    if (first_of_group.count(fma) == 0)
      first_of_group[fma] = r;
    else
      EXPECT_EQ(r.exact, first_of_group[fma].exact) << name;
  }
}

TEST(SimdKernels, EnvironmentCapIsValidated) {
  // HPCREC_SIMD is read once at start-up; the names it accepts map to targets.
  EXPECT_EQ(simd::target_isa(HWY_EMU128), "scalar");
  EXPECT_EQ(simd::target_isa(HWY_SCALAR), "scalar");
#if HWY_ARCH_X86
  EXPECT_EQ(simd::target_isa(HWY_AVX3), "avx512");
  EXPECT_EQ(simd::target_isa(HWY_AVX2), "avx2");
  EXPECT_EQ(simd::target_isa(HWY_SSE4), "sse4");
#endif
}
