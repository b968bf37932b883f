// The SIMD kernels of explicit ALS's row solver (src/als_explicit.cpp): the
// register-tiled rank update that builds Y^T Y, the blocked Cholesky
// factorisation and the two triangular solves. Compiled for every target
// Highway supports and dispatched at run time (src/simd/dispatch.hpp).
//
// Layout: matrices are column-major with a leading dimension that is a
// multiple of 8 doubles (one 64-byte block, the widest vector dispatched
// to), 64-byte aligned; vectors padded to the same.
//
// Determinism: every element of Y^T Y, Y^T 1, Y^T t and of the factor is
// one chain of (multiply-)adds over its terms in order, whatever the vector
// width or tiling, and the back substitution's sums reduce 8 logical lanes
// in one fixed tree; nothing depends on addresses, threads or other rows.
// So a row's result is the same bits on every target that fuses
// multiply-add (AVX2, AVX-512, NEON), and the same bits on every target that
// cannot (SSE4, SSSE3, EMU128; x86-64's baseline has no FMA, so each
// multiply-add rounds twice there): the two groups differ by that rounding.
#pragma once

#include <cstddef>

namespace hpcrec::simd {

// yy (lower block triangle of the kp x kp column-major Y^T Y, whole 8 x 8
// diagonal blocks, leading dimension kp) += g^T g; ys += g^T 1; yt += g^T t,
// for the n rows of g (row stride kp, padding zero) and their targets t.
// `first` starts the sums from zero instead.
void gram_chunk(const double* g, std::ptrdiff_t n, std::ptrdiff_t kp, const double* t, bool first, double* yy,
                double* ys, double* yt);

// In-place Cholesky L L^T of the lower triangle of the column-major a (order
// and leading dimension ld, a multiple of 8), left-looking in panels of 8
// columns; writes the reciprocals of L's diagonal to inv. On entry the upper
// half of each diagonal 8 x 8 block may hold anything; on return it is zero.
// Padding rows and columns must be identity; they stay identity. Returns
// false if a pivot is not positive (or NaN).
bool cholesky_in_place(double* a, std::ptrdiff_t ld, double* inv);

// Solves L L^T x = b in place (L, inv from cholesky_in_place; b padded to ld
// with zeros, which stay zero). With `noise` (d values) it is added between
// the two triangular solves: x = L^-T (L^-1 b + noise).
void cholesky_solve_in_place(const double* l, const double* inv, std::ptrdiff_t ld, double* b,
                             const double* noise, std::ptrdiff_t d);

}  // namespace hpcrec::simd
