#include "mpi/topn_driver.hpp"

#include <span>

namespace hpcrec::dist {

namespace {

// A block of items as it travels: first id, rows, then rows x (k + 1)
// doubles, or rows x (k + 2) with the support prior.
struct Block {
  math::Index first = 0;
  math::Matrix factors;
  math::Vector bias, prior;
};

std::vector<double> pack(const Block& b) {
  const auto rows = b.factors.rows(), k = b.factors.cols(), extra = b.prior.size() > 0 ? rows : 0;
  std::vector<double> buf(2 + static_cast<size_t>(rows * (k + 1) + extra));
  buf[0] = static_cast<double>(b.first);
  buf[1] = static_cast<double>(rows);
  std::copy_n(b.factors.data(), rows * k, buf.data() + 2);
  std::copy_n(b.bias.data(), rows, buf.data() + 2 + rows * k);
  std::copy_n(b.prior.data(), extra, buf.data() + 2 + rows * (k + 1));
  return buf;
}

Block unpack(const std::vector<double>& buf, int k, bool with_prior) {
  Block b;
  b.first = static_cast<math::Index>(buf[0]);
  const auto rows = static_cast<Eigen::Index>(buf[1]);
  b.factors.resize(rows, k);
  b.bias.resize(rows);
  b.prior.resize(with_prior ? rows : 0);
  std::copy_n(buf.data() + 2, rows * k, b.factors.data());
  std::copy_n(buf.data() + 2 + rows * k, rows, b.bias.data());
  std::copy_n(buf.data() + 2 + rows * (k + 1), b.prior.size(), b.prior.data());
  return b;
}

}  // namespace

std::vector<std::vector<math::ScoredItem>> top_n_ring(const Communicator& comm, const TopNInput& in) {
  const int p = comm.size(), rank = comm.rank();
  const int k = static_cast<int>(in.user_factors->cols());
  const auto users = in.user_factors->rows();
  std::vector<math::TopNHeap> heaps(static_cast<size_t>(users), math::TopNHeap(in.n));

  const bool support = in.item_log_prior != nullptr;
  Block visiting{in.first_item, *in.item_factors, *in.item_bias,
                 support ? *in.item_log_prior : math::Vector()};
  const int next = (rank + 1) % p, prev = (rank + p - 1) % p;
  for (int step = 0; step < p; ++step) {
    const math::SupportRanking ranking{&visiting.prior, in.like_threshold, in.like_inv_sigma};
    std::function<void(double, double)> chunk_progress;
    if (in.progress)
      chunk_progress = [&](double done, double total) { in.progress(step * total + done, p * total); };
    math::score_block_into(*in.user_factors, in.user_offset, visiting.factors, visiting.bias, visiting.first,
                           in.exclusions, heaps, in.threads, in.blocked, support ? &ranking : nullptr,
                           chunk_progress);
    if (step + 1 == p) break;
    // Pass the block on: send to the previous rank, receive from the next.
    std::vector<double> out = pack(visiting);
    std::int64_t out_size = static_cast<std::int64_t>(out.size()), in_size = 0;
    HPCREC_MPI(MPI_Sendrecv(&out_size, 1, MPI_INT64_T, prev, 11, &in_size, 1, MPI_INT64_T, next, 11,
                            comm.raw(), MPI_STATUS_IGNORE));
    std::vector<double> got(static_cast<size_t>(in_size));
    HPCREC_MPI(MPI_Sendrecv(out.data(), static_cast<int>(out_size), MPI_DOUBLE, prev, 12, got.data(),
                            static_cast<int>(in_size), MPI_DOUBLE, next, 12, comm.raw(), MPI_STATUS_IGNORE));
    visiting = unpack(got, k, support);
  }
  std::vector<std::vector<math::ScoredItem>> out(static_cast<size_t>(users));
  for (Eigen::Index u = 0; u < users; ++u) out[u] = heaps[u].sorted();
  return out;
}

}  // namespace hpcrec::dist
