#include "src/topn.hpp"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <limits>
#include <new>
#include <stdexcept>

#include "hwy/aligned_allocator.h"
#include "src/first_error.hpp"
#include "src/simd/topn_kernels.hpp"

namespace hpcrec::math {

void TopNHeap::push(Index item, double score) {
  if (!admits(item, score)) return;
  const ScoredItem entry{item, score};
  if (static_cast<int>(heap_.size()) < n_) {
    heap_.push_back(entry);
    std::push_heap(heap_.begin(), heap_.end(), better);
    return;
  }
  // Full: the entry replaces the worst kept item (the top) and sinks to its
  // place, one pass down (pop_heap + push_heap took two). The heap is ordered
  // as std::push_heap with `better` orders it: no child worse than its parent.
  const std::size_t m = heap_.size();
  std::size_t i = 0;
  for (;;) {
    std::size_t c = 2 * i + 1;
    if (c >= m) break;
    if (c + 1 < m && better(heap_[c], heap_[c + 1])) ++c;  // the worse child
    if (!better(entry, heap_[c])) break;
    heap_[i] = heap_[c];
    i = c;
  }
  heap_[i] = entry;
}

std::vector<ScoredItem> TopNHeap::sorted() const {
  std::vector<ScoredItem> out = heap_;
  std::sort(out.begin(), out.end(), better);
  return out;
}

float TopNHeap::threshold() const {
  if (n_ <= 0) return std::numeric_limits<float>::quiet_NaN();
  if (static_cast<int>(heap_.size()) < n_) return -std::numeric_limits<float>::infinity();
  const double worst = heap_.front().score;
  float t = static_cast<float>(worst);
  if (static_cast<double>(t) > worst) t = std::nextafter(t, -std::numeric_limits<float>::infinity());
  return t;
}

namespace {

constexpr Index kUserChunk = 256;
// Items per panel: k x 512 floats (128 KiB at k = 64) stay in L2 while a
// chunk's user tiles pass over them.
constexpr Index kItemPanel = 512;

// Zero-initialised float32 storage aligned for the widest vector (64 bytes).
class Floats {
 public:
  Floats() = default;  // allocates nothing (safe inside a parallel region, outside FirstError)
  explicit Floats(std::size_t n) { resize(n); }
  void resize(std::size_t n) {
    if (n > size_ || !data_) {
      data_ = hwy::AllocateAligned<float>(std::max<std::size_t>(n, 16));
      if (!data_) throw std::bad_alloc();
      size_ = n;
    }
  }
  float* data() { return data_.get(); }
  const float* data() const { return data_.get(); }

 private:
  hwy::AlignedFreeUniquePtr<float[]> data_;
  std::size_t size_ = 0;
};

// Packs rows [first, first + count) of `m` in float32 so that factor f of the
// tile's row r lies at out[tile * width * k + f * width + r]; rows past
// `count` up to whole tiles are zero.
void pack_tile(const Matrix& m, Index first, Index count, Index width, Index tile, float* out) {
  const Eigen::Index k = m.cols();
  float* base = out + static_cast<std::size_t>(tile) * width * k;
  std::fill_n(base, static_cast<std::size_t>(width) * k, 0.0f);
  for (Index r = 0; r < width && tile * width + r < count; ++r) {
    const double* src = m.row(first + tile * width + r).data();
    for (Eigen::Index f = 0; f < k; ++f) base[f * width + r] = static_cast<float>(src[f]);
  }
}

// What the kernel's hit callback needs: the user tile being scored, the
// panel, and the block's inputs.
struct HitContext {
  Index users_in_tile = 0;  // user u0 + r of the block for row r
  Index u0 = 0;
  Index item_base = 0;  // local item of tile 0 of the kernel call
  Index items = 0, first_item = 0, tile_items = 0;
  float* thr = nullptr;                  // the tile's thresholds
  std::size_t* next_excluded = nullptr;  // the tile's exclusion pointers
  std::vector<TopNHeap>* heaps = nullptr;
  const std::vector<std::span<const Index>>* exclusions = nullptr;
  const std::vector<char>* blocked = nullptr;
  const SupportRanking* support = nullptr;
};

// The scalar part: each passing lane checked against the exclusions, the
// blocked items and the heap (ties by item id), pushed, and the user's
// threshold raised. Lanes come in item order, so each user's exclusion
// pointer only moves forward.
void on_hit(void* p, std::ptrdiff_t tile, const std::uint64_t* bits, const float* scores) {
  const HitContext& c = *static_cast<const HitContext*>(p);
  for (Index r = 0; r < c.users_in_tile; ++r) {
    std::uint64_t b = bits[r];
    if (b == 0) continue;
    const Index u = c.u0 + r;
    TopNHeap& heap = (*c.heaps)[u];
    const std::span<const Index> excl = c.exclusions->empty() ? std::span<const Index>{} : (*c.exclusions)[u];
    std::size_t& e = c.next_excluded[r];
    for (; b != 0; b &= b - 1) {
      const int lane = std::countr_zero(b);
      const Index local = c.item_base + static_cast<Index>(tile) * c.tile_items + lane;
      if (local >= c.items) break;  // padding (its NaN bias never passes anyway)
      const Index item = c.first_item + local;
      while (e < excl.size() && excl[e] < item) ++e;
      if (e < excl.size() && excl[e] == item) continue;
      double score = scores[r * c.tile_items + lane];
      if (c.support) {
        // The prior bounds the rank score (log Φ <= 0): most rarely rated
        // items stop here, before the log Φ.
        if (!heap.admits(item, (*c.support->log_prior)[local])) continue;
        score = c.support->score(score, local);
      }
      if (!heap.admits(item, score) || (c.blocked && (*c.blocked)[item])) continue;
      heap.push(item, score);
    }
    // With support ranking every score goes through the transform (the
    // threshold stays -inf); otherwise the heap's worst score.
    if (!c.support) c.thr[r] = heap.threshold();
  }
}

}  // namespace

void score_block_into(const Matrix& user_factors, const Vector& user_offset, const Matrix& item_factors,
                      const Vector& item_bias, Index first_item,
                      const std::vector<std::span<const Index>>& exclusions, std::vector<TopNHeap>& heaps,
                      int threads, const std::vector<char>* blocked, const SupportRanking* support,
                      const std::function<void(double, double)>& progress) {
  const auto users = static_cast<Index>(user_factors.rows());
  const auto items = static_cast<Index>(item_factors.rows());
  const Eigen::Index k = user_factors.cols();
  if (item_factors.cols() != k || user_offset.size() != users || item_bias.size() != items ||
      static_cast<Index>(heaps.size()) != users ||
      (!exclusions.empty() && static_cast<Index>(exclusions.size()) != users) ||
      (support && support->log_prior->size() != items)) {
    throw std::invalid_argument("score_block_into: shapes of factors, biases, exclusions and heaps differ");
  }
  if (users == 0 || items == 0) return;
  // The tile shape of the SIMD target in use; the whole call uses one.
  const simd::TopNTile shape = simd::topn_tile();
  const Index tu = shape.users, ti = shape.items;
  const Index item_tiles = (items + ti - 1) / ti;
  const Index panel_tiles = std::max<Index>(1, kItemPanel / ti);
  const Index chunks = (users + kUserChunk - 1) / kUserChunk;
  // The item block in float32, packed once for all user chunks; padding
  // items get a NaN bias, so that their scores never pass a threshold.
  Floats vpack(static_cast<std::size_t>(item_tiles) * ti * k),
      vbias(static_cast<std::size_t>(item_tiles) * ti);
  std::atomic<Index> chunks_done{0};

  FirstError errors;  // the bodies allocate: nothing may be thrown out of the region
#pragma omp parallel num_threads(std::max(threads, 1))
  {
#pragma omp for schedule(static)
    for (Index t = 0; t < item_tiles; ++t) {
      pack_tile(item_factors, 0, items, ti, t, vpack.data());
      for (Index c = 0; c < ti; ++c) {
        const Index local = t * ti + c;
        vbias.data()[local] =
            local < items ? static_cast<float>(item_bias[local]) : std::numeric_limits<float>::quiet_NaN();
      }
    }
    Floats upack, uoff, thr, scratch;
    std::vector<std::size_t> next_excluded;  // per user of the chunk: first exclusion not yet passed
#pragma omp for schedule(dynamic, 1)
    for (Index chunk = 0; chunk < chunks; ++chunk) {
      errors.run([&] {
        const Index u0 = chunk * kUserChunk;
        const Index nu = std::min(kUserChunk, users - u0);
        const Index user_tiles = (nu + tu - 1) / tu;
        upack.resize(static_cast<std::size_t>(user_tiles) * tu * k);
        uoff.resize(static_cast<std::size_t>(user_tiles) * tu);
        thr.resize(static_cast<std::size_t>(user_tiles) * tu);
        scratch.resize(static_cast<std::size_t>(tu) * ti);
        for (Index t = 0; t < user_tiles; ++t) pack_tile(user_factors, u0, nu, tu, t, upack.data());
        for (Index r = 0; r < user_tiles * tu; ++r) {
          const bool real = r < nu;
          uoff.data()[r] = real ? static_cast<float>(user_offset[u0 + r]) : 0.0f;
          // Padding users and capacity-0 heaps: NaN, nothing passes.
          thr.data()[r] = !real                                     ? std::numeric_limits<float>::quiet_NaN()
                          : support && heaps[u0 + r].capacity() > 0 ? -std::numeric_limits<float>::infinity()
                                                                    : heaps[u0 + r].threshold();
        }
        next_excluded.assign(static_cast<std::size_t>(user_tiles) * tu, 0);
        HitContext ctx;
        ctx.items = items;
        ctx.first_item = first_item;
        ctx.tile_items = ti;
        ctx.heaps = &heaps;
        ctx.exclusions = &exclusions;
        ctx.blocked = blocked;
        ctx.support = support;
        for (Index p0 = 0; p0 < item_tiles; p0 += panel_tiles) {
          const Index np = std::min(panel_tiles, item_tiles - p0);
          ctx.item_base = p0 * ti;
          for (Index ut = 0; ut < user_tiles; ++ut) {
            ctx.u0 = u0 + ut * tu;
            ctx.users_in_tile = std::min(tu, nu - ut * tu);
            ctx.thr = thr.data() + ut * tu;
            ctx.next_excluded = next_excluded.data() + ut * tu;
            simd::topn_score_tiles(upack.data() + static_cast<std::size_t>(ut) * tu * k,
                                   uoff.data() + ut * tu,
                                   vpack.data() + static_cast<std::size_t>(p0) * ti * k,
                                   vbias.data() + p0 * ti, np, k, ctx.thr, on_hit, &ctx, scratch.data());
          }
        }
        const Index done = ++chunks_done;
        if (progress && omp_get_thread_num() == 0)
          progress(static_cast<double>(done), static_cast<double>(chunks));
      });
    }
  }
  errors.rethrow();
}

}  // namespace hpcrec::math
