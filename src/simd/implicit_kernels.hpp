// The SIMD kernels of the conjugate-gradient solvers of implicit ALS
// (src/als_implicit.cpp) and explicit ALS (src/als_explicit.cpp), compiled
// for every target Highway supports and dispatched at run time
// (src/simd/dispatch.hpp).
//
// Data layout: every double vector is padded from k to kp = k rounded up to
// whole 8-double (64-byte) blocks and every float vector to kpf = whole
// 16-float blocks, 64-byte aligned, padding zero. 64 bytes is the widest
// vector dispatched to (AVX-512), and a multiple of every narrower one, so
// one layout serves all targets.
//
// Determinism: each result is one fixed sequence of operations chosen by the
// sizes only (never by addresses, threads or what else is computed), so it
// is bitwise reproducible on a given target. Across targets:
// - the double kernels (dot, dot_partial, weighted_pass, symv)
//   compute each element as a chain over the data in order, and reduce a dot
//   product's 8 logical lanes (whatever the vector width) in one tree,
//   (0+4 + 2+6) + (1+5 + 3+7). They are therefore bitwise equal on targets
//   that fuse multiply-add (AVX2, AVX-512, NEON), and bitwise equal among
//   those that cannot (SSE4, SSSE3, EMU128: x86-64's baseline has no FMA, so
//   a multiply-add rounds twice there); the two groups differ by that
//   rounding.
// - the float32 pass reduces each dot product in the vector width's own
//   order: it agrees across targets to float tolerance only.
#pragma once

#include <cstddef>

namespace hpcrec::simd {

// The coefficient a weighted pass applies to each row: c(w, s) with s = g_j . v.
enum class Coef {
  kResidual,  // (1 + w) - w s: the residual sum_i (c_i - w_i (y_i . x)) y_i
  kApply,     // w s: the interaction part of A p
};

// a . b over kp doubles.
double dot(const double* a, const double* b, std::ptrdiff_t kp);

// dot(y', x, kp) where y' is y (k doubles, any alignment, nothing read past
// y[k - 1]) padded with zeros to kp: the same bits as dot on a padded copy.
double dot_partial(const double* y, const double* x, std::ptrdiff_t k, std::ptrdiff_t kp);

// For each of the n rows g_j (row stride kp) in order: s_j = g_j . v (as
// dot), out += coef(w_j, s_j) g_j, one multiply-add per element and row in
// row order.
void weighted_pass(const double* g, std::ptrdiff_t n, std::ptrdiff_t kp, const double* v, const double* w,
                   Coef coef, double* out);

// The float32 pass (rows of kpf floats): s_j = g_j . v in float32, widened
// for coef (in double, then rounded to float), out += c_j g_j in float32, one
// multiply-add per element and row in row order. Each s_j is the same bits
// wherever row j falls in the pass.
void weighted_pass(const float* g, std::ptrdiff_t n, std::ptrdiff_t kpf, const float* v, const double* w,
                   Coef coef, float* out);

// Explicit ALS's CG pass (src/als_explicit.cpp) over the biased rows
// z_j = [g_j; 1]: s_j = g_j . v in float32 exactly as weighted_pass, then
// widened and + vb; c_j = t_j - s_j (kTargetResidual: the residual
// sum_j (t_j - z_j . w) z_j) or s_j (kProduct: Z^T Z p); out += c_j g_j in
// float32 as weighted_pass, and *out_bias += c_j for each row in order, in
// double (so a pass split in two gives the same bits, as out does). With
// c_out (n doubles), also c_out[j] = c_j.
enum class BiasedCoef { kTargetResidual, kProduct };
void biased_pass(const float* g, std::ptrdiff_t n, std::ptrdiff_t kpf, const float* v, double vb,
                 const double* t, BiasedCoef coef, float* out, double* out_bias, double* c_out = nullptr);

// out = A v for the full symmetric kp x kp A (column-major, leading
// dimension kp) whose first k columns are read: out[i] = sum_{j < k, in
// order} A(i, j) v[j].
void symv(const double* a, std::ptrdiff_t k, std::ptrdiff_t kp, const double* v, double* out);

}  // namespace hpcrec::simd
