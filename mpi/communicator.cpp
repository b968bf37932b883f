#include "mpi/communicator.hpp"

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace hpcrec::dist {

void check_mpi(int code, const char* call, const char* file, int line) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING] = {0};
  int len = 0;
  MPI_Error_string(code, text, &len);
  throw MpiError(std::string(call) + " failed at " + file + ":" + std::to_string(line) + ": " +
                 std::string(text, static_cast<size_t>(len)));
}

Environment::Environment(int& argc, char**& argv) {
  int provided = 0;
  HPCREC_MPI(MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided));
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
}

Environment::~Environment() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

Communicator::Communicator(MPI_Comm comm) : comm_(comm) {
  HPCREC_MPI(MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN));
  HPCREC_MPI(MPI_Comm_rank(comm_, &rank_));
  HPCREC_MPI(MPI_Comm_size(comm_, &size_));
}

Communicator Communicator::world() {
  MPI_Comm dup = MPI_COMM_NULL;
  HPCREC_MPI(MPI_Comm_dup(MPI_COMM_WORLD, &dup));
  return Communicator(dup);
}

Communicator Communicator::self() {
  MPI_Comm dup = MPI_COMM_NULL;
  HPCREC_MPI(MPI_Comm_dup(MPI_COMM_SELF, &dup));
  return Communicator(dup);
}

Communicator Communicator::split(int color, int key) const {
  MPI_Comm part = MPI_COMM_NULL;
  HPCREC_MPI(MPI_Comm_split(comm_, color, key, &part));
  return Communicator(part);
}

Communicator& Communicator::operator=(Communicator&& o) noexcept {
  if (this != &o) {
    if (comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);
    comm_ = o.comm_;
    rank_ = o.rank_;
    size_ = o.size_;
    o.comm_ = MPI_COMM_NULL;
  }
  return *this;
}

Communicator::~Communicator() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (comm_ != MPI_COMM_NULL && !finalized) MPI_Comm_free(&comm_);
}

void Communicator::barrier() const { HPCREC_MPI(MPI_Barrier(comm_)); }

void Communicator::abort(int code) const {
  std::fflush(stdout);
  std::fflush(stderr);
  MPI_Abort(comm_, code);
  std::_Exit(code);
}

void Communicator::broadcast_string(std::string& s, int root) const {
  std::int64_t n = static_cast<std::int64_t>(s.size());
  HPCREC_MPI(MPI_Bcast(&n, 1, MPI_INT64_T, root, comm_));
  s.resize(static_cast<size_t>(n));
  if (n > 0) HPCREC_MPI(MPI_Bcast(s.data(), static_cast<int>(n), MPI_CHAR, root, comm_));
}

std::vector<std::int64_t> Communicator::exchange_counts(std::span<const std::int64_t> send_counts) const {
  std::vector<std::int64_t> recv(size_);
  HPCREC_MPI(MPI_Alltoall(send_counts.data(), 1, MPI_INT64_T, recv.data(), 1, MPI_INT64_T, comm_));
  return recv;
}

namespace {

bool fits_int(std::span<const std::int64_t> counts, std::size_t elem) {
  std::int64_t total = 0;
  for (auto c : counts) total += c * static_cast<std::int64_t>(elem);
  return total <= INT_MAX;
}

}  // namespace

void Communicator::allgatherv_bytes(const void* send, std::size_t send_bytes, void* recv,
                                    const std::vector<std::int64_t>& counts,
                                    const std::vector<std::int64_t>& displs, std::size_t elem) const {
  if (fits_int(counts, elem)) {
    std::vector<int> c(size_), d(size_);
    for (int r = 0; r < size_; ++r) {
      c[r] = static_cast<int>(counts[r] * elem);
      d[r] = static_cast<int>(displs[r] * elem);
    }
    HPCREC_MPI(MPI_Allgatherv(send, static_cast<int>(send_bytes), MPI_BYTE, recv, c.data(), d.data(),
                              MPI_BYTE, comm_));
    return;
  }
  // Large: one broadcast per rank, in pieces of at most 1 GiB.
  constexpr std::int64_t kPiece = std::int64_t{1} << 30;
  for (int r = 0; r < size_; ++r) {
    char* dst = static_cast<char*>(recv) + displs[r] * elem;
    if (r == rank_) std::copy_n(static_cast<const char*>(send), send_bytes, dst);
    for (std::int64_t off = 0; off < counts[r] * static_cast<std::int64_t>(elem); off += kPiece) {
      std::int64_t n = std::min(kPiece, counts[r] * static_cast<std::int64_t>(elem) - off);
      HPCREC_MPI(MPI_Bcast(dst + off, static_cast<int>(n), MPI_BYTE, r, comm_));
    }
  }
}

void Communicator::alltoallv_bytes(const void* send, std::span<const std::int64_t> send_counts, void* recv,
                                   std::span<const std::int64_t> recv_counts, std::size_t elem,
                                   std::span<const std::int64_t> recv_displs) const {
  // Where source r's bytes land: packed in rank order, or as given.
  std::vector<std::int64_t> displ(size_);
  for (std::int64_t r = 0, at = 0; r < size_; at += recv_counts[r], ++r)
    displ[r] = (recv_displs.empty() ? at : recv_displs[r]) * static_cast<std::int64_t>(elem);
  bool small = fits_int(send_counts, elem) && fits_int(recv_counts, elem);
  for (int r = 0; r < size_; ++r)
    small = small && displ[r] + recv_counts[r] * static_cast<std::int64_t>(elem) <= INT_MAX;
  small = allreduce<int>(small ? 1 : 0, MPI_MIN) == 1;
  if (small) {
    std::vector<int> sc(size_), sd(size_), rc(size_), rd(size_);
    int so = 0;
    for (int r = 0; r < size_; ++r) {
      sc[r] = static_cast<int>(send_counts[r] * elem);
      rc[r] = static_cast<int>(recv_counts[r] * elem);
      sd[r] = so;
      rd[r] = static_cast<int>(displ[r]);
      so += sc[r];
    }
    HPCREC_MPI(
        MPI_Alltoallv(send, sc.data(), sd.data(), MPI_BYTE, recv, rc.data(), rd.data(), MPI_BYTE, comm_));
    return;
  }
  // Large: point-to-point in pieces of at most 1 GiB.
  constexpr std::int64_t kPiece = std::int64_t{1} << 30;
  std::vector<MPI_Request> reqs;
  std::int64_t so = 0;
  for (int r = 0; r < size_; ++r) {
    std::int64_t rb = recv_counts[r] * static_cast<std::int64_t>(elem);
    for (std::int64_t off = 0; off < rb; off += kPiece) {
      reqs.emplace_back();
      HPCREC_MPI(MPI_Irecv(static_cast<char*>(recv) + displ[r] + off,
                           static_cast<int>(std::min(kPiece, rb - off)), MPI_BYTE, r, 7, comm_,
                           &reqs.back()));
    }
  }
  for (int r = 0; r < size_; ++r) {
    std::int64_t sb = send_counts[r] * static_cast<std::int64_t>(elem);
    for (std::int64_t off = 0; off < sb; off += kPiece) {
      reqs.emplace_back();
      HPCREC_MPI(MPI_Isend(static_cast<const char*>(send) + so + off,
                           static_cast<int>(std::min(kPiece, sb - off)), MPI_BYTE, r, 7, comm_,
                           &reqs.back()));
    }
    so += sb;
  }
  HPCREC_MPI(MPI_Waitall(static_cast<int>(reqs.size()), reqs.data(), MPI_STATUSES_IGNORE));
}

}  // namespace hpcrec::dist
