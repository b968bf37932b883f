// The float32 scoring kernel of top-N for all users (src/topn.cpp): one tile
// of users against a run of tiles of items, a broadcast-FMA register tile,
// with the admission filter against each user's heap threshold in vectors.
// Compiled for every target Highway supports and dispatched at run time
// (src/simd/dispatch.hpp).
//
// Layout (both packed by the caller, zero padded, in float32):
//   users: a tile of U users (U = topn_tile().users), factor f of user r at
//          up[f * U + r];
//   items: tiles of I items (I = topn_tile().items), factor f of the tile's
//          item c at vp[t * I * k + f * I + c]; per item a bias vb[t * I + c].
// The tile shape depends on the target (the vector width and register count).
//
// Determinism: every score is
//   s = (uc[r] + vb[c]) + dot,  dot: acc = 0; acc = fma(u_f, v_f, acc), f = 0..k-1
// in float32, one fixed chain: the same bits wherever a user or item falls in
// the tiles (so at any rank count, thread count or blocking), the same bits on
// every target that fuses multiply-add (AVX2, AVX-512, NEON) and the same on
// those that cannot (SSE4, SSSE3, EMU128: a multiply, then an add).
#pragma once

#include <cstddef>
#include <cstdint>

namespace hpcrec::simd {

struct TopNTile {
  int users;  // users per tile (U)
  int items;  // items per tile (I), at most 64
};

// The tile shape of the target in use.
TopNTile topn_tile();

// Whether the target in use fuses the multiply-adds (see above).
bool topn_fuses();

// Called for a tile of items in which some score passed its user's
// threshold: bits[r] has bit c set when item c of tile `item_tile` (counted
// from vp) passed for user r; scores holds the U x I tile row-major. The
// callee may lower or raise thr[] (the kernel rereads it for the next tile).
using TopNHitFn = void (*)(void* ctx, std::ptrdiff_t item_tile, const std::uint64_t* bits,
                           const float* scores);

// Scores the user tile (up, per-user offsets uc) against `item_tiles` tiles of
// items (vp, biases vb) of k factors, and calls `hit` for each item tile where
// some score s passes s >= thr[r] (NaN never passes: a NaN threshold turns a
// user off, -infinity passes every non-NaN score). `scratch` holds U x I floats.
void topn_score_tiles(const float* up, const float* uc, const float* vp, const float* vb,
                      std::ptrdiff_t item_tiles, std::ptrdiff_t k, const float* thr, TopNHitFn hit, void* ctx,
                      float* scratch);

}  // namespace hpcrec::simd
