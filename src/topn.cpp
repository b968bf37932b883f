#include "src/topn.hpp"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <stdexcept>

#include "src/first_error.hpp"

namespace hpcrec::math {

void TopNHeap::push(Index item, double score) {
  if (!admits(item, score)) return;
  const ScoredItem entry{item, score};
  if (static_cast<int>(heap_.size()) < n_) {
    heap_.push_back(entry);
    std::push_heap(heap_.begin(), heap_.end(), better);
    return;
  }
  std::pop_heap(heap_.begin(), heap_.end(), better);
  heap_.back() = entry;
  std::push_heap(heap_.begin(), heap_.end(), better);
}

std::vector<ScoredItem> TopNHeap::sorted() const {
  std::vector<ScoredItem> out = heap_;
  std::sort(out.begin(), out.end(), better);
  return out;
}

namespace {

// Register tile of the scoring kernel: kTileUsers x kTileItems scores at once.
// (4 x 16 and 8 x 8 tiles measured 2.5-3x slower with GCC 12 on AVX-512:
// the accumulators no longer stay in registers.)
constexpr int kTileUsers = 4;
constexpr int kTileItems = 8;
constexpr Index kUserChunk = 256;
constexpr Index kItemPanel = 512;  // items packed at a time: k x 512 doubles stay in L2

// Why not an Eigen GEMM: Eigen's kernels sum a dot product in a different
// order at the ragged edges of a product (remainder rows use split
// accumulators), so a score's last bit would depend on where its user and item
// fall inside the blocks, i.e. on the number of ranks. Here every score is
// acc = 0; acc += u_f * v_f for f = 0..k-1, the same for every (user, item),
// with zero padding at the edges instead of remainder code.
void micro_kernel(const double* up, const double* vp, Eigen::Index k, double (&out)[kTileUsers][kTileItems]) {
  // Local accumulators: writing through `out` directly would let the compiler
  // assume it aliases up/vp and keep the tile in memory instead of registers.
  double acc[kTileUsers][kTileItems] = {};
  for (Eigen::Index f = 0; f < k; ++f) {
    const double* u = up + f * kTileUsers;
    const double* v = vp + f * kTileItems;
    for (int a = 0; a < kTileUsers; ++a) {
      for (int b = 0; b < kTileItems; ++b) acc[a][b] += u[a] * v[b];
    }
  }
  for (int a = 0; a < kTileUsers; ++a) {
    for (int b = 0; b < kTileItems; ++b) out[a][b] = acc[a][b];
  }
}

// Packs rows [first, first + count) of `m` so that factor f of the tile's
// row r lies at out[tile][f * width + r]; rows past `count` are zero.
template <int width>
void pack_rows(const Matrix& m, Index first, Index count, std::vector<double>& out) {
  const Eigen::Index k = m.cols();
  const Index tiles = (count + width - 1) / width;
  out.assign(static_cast<std::size_t>(tiles) * width * k, 0.0);
  for (Index r = 0; r < count; ++r) {
    double* base = out.data() + static_cast<std::size_t>(r / width) * width * k + r % width;
    const double* src = m.row(first + r).data();
    for (Eigen::Index f = 0; f < k; ++f) base[f * width] = src[f];
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
  const Index chunks = (users + kUserChunk - 1) / kUserChunk;
  std::atomic<Index> chunks_done{0};

  FirstError errors;  // the bodies allocate: nothing may be thrown out of the region
#pragma omp parallel num_threads(std::max(threads, 1))
  {
    std::vector<double> upack, vpack;
    std::vector<std::size_t> next_excluded;  // per user of the chunk: first exclusion not yet passed
    double acc[kTileUsers][kTileItems];
#pragma omp for schedule(dynamic, 1)
    for (Index chunk = 0; chunk < chunks; ++chunk) {
      errors.run([&] {
        const Index u0 = chunk * kUserChunk;
        const Index nu = std::min(kUserChunk, users - u0);
        pack_rows<kTileUsers>(user_factors, u0, nu, upack);
        next_excluded.assign(static_cast<std::size_t>(nu), 0);
        for (Index i0 = 0; i0 < items; i0 += kItemPanel) {
          const Index ni = std::min(kItemPanel, items - i0);
          pack_rows<kTileItems>(item_factors, i0, ni, vpack);
          for (Index ut = 0; ut < nu; ut += kTileUsers) {
            for (Index it = 0; it < ni; it += kTileItems) {
              micro_kernel(upack.data() + static_cast<std::size_t>(ut) * k,
                           vpack.data() + static_cast<std::size_t>(it) * k, k, acc);
              // Users inner, items ascending: each user's exclusion pointer
              // only moves forward.
              for (int a = 0; a < kTileUsers && ut + a < nu; ++a) {
                const Index u = u0 + ut + a;
                TopNHeap& heap = heaps[u];
                if (heap.capacity() <= 0) continue;
                const std::span<const Index> excl =
                    exclusions.empty() ? std::span<const Index>{} : exclusions[u];
                std::size_t& e = next_excluded[ut + a];
                for (int b = 0; b < kTileItems && it + b < ni; ++b) {
                  const Index local = i0 + it + b;
                  const Index item = first_item + local;
                  while (e < excl.size() && excl[e] < item) ++e;
                  if (e < excl.size() && excl[e] == item) continue;
                  double score = (user_offset[u] + item_bias[local]) + acc[a][b];
                  if (support) {
                    // The prior bounds the rank score (log Φ <= 0): most
                    // rarely rated items stop here, before the log Φ.
                    if (!heap.admits(item, (*support->log_prior)[local])) continue;
                    score = support->score(score, local);
                  }
                  if (!heap.admits(item, score) || (blocked && (*blocked)[item])) continue;
                  heap.push(item, score);
                }
              }
            }
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
