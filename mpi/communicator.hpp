// The MPI environment and an owning, move-only communicator. Every MPI call is
// checked, in release builds too, and a failure becomes an MpiError naming
// the call, file and line.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace hpcrec::dist {

class MpiError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws MpiError if `code` is not MPI_SUCCESS.
void check_mpi(int code, const char* call, const char* file, int line);
#define HPCREC_MPI(call) ::hpcrec::dist::check_mpi((call), #call, __FILE__, __LINE__)

// MPI_Init_thread(FUNNELED) on construction, MPI_Finalize on destruction.
class Environment {
 public:
  Environment(int& argc, char**& argv);
  ~Environment();
  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;
};

template <class T>
MPI_Datatype mpi_type();

// Owns an MPI communicator (a duplicate, so that library traffic never mixes
// with anyone else's). Move-only; frees the communicator on destruction.
class Communicator {
 public:
  // A duplicate of MPI_COMM_WORLD with errors returned, not fatal.
  static Communicator world();
  // A duplicate of MPI_COMM_SELF: a one-rank communicator.
  static Communicator self();
  // Collective. The ranks with the same `color` form one communicator,
  // ranked by `key` (MPI_Comm_split), e.g. the groups of hpcrec tune.
  Communicator split(int color, int key) const;

  Communicator(Communicator&& o) noexcept : comm_(o.comm_), rank_(o.rank_), size_(o.size_) {
    o.comm_ = MPI_COMM_NULL;
  }
  Communicator& operator=(Communicator&& o) noexcept;
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;
  ~Communicator();

  int rank() const { return rank_; }
  int size() const { return size_; }
  MPI_Comm raw() const { return comm_; }

  void barrier() const;
  [[noreturn]] void abort(int code) const;

  template <class T>
  T allreduce(T value, MPI_Op op) const {
    T out{};
    HPCREC_MPI(MPI_Allreduce(&value, &out, 1, mpi_type<T>(), op, comm_));
    return out;
  }
  template <class T>
  void allreduce_inplace(std::span<T> values, MPI_Op op) const {
    HPCREC_MPI(MPI_Allreduce(MPI_IN_PLACE, values.data(), static_cast<int>(values.size()), mpi_type<T>(), op,
                             comm_));
  }
  // Exclusive prefix sum over ranks (0 on rank 0).
  template <class T>
  T exscan_sum(T value) const {
    T out{};
    HPCREC_MPI(MPI_Exscan(&value, &out, 1, mpi_type<T>(), MPI_SUM, comm_));
    return rank_ == 0 ? T{} : out;
  }
  template <class T>
  void broadcast(std::span<T> values, int root) const {
    HPCREC_MPI(MPI_Bcast(values.data(), static_cast<int>(values.size() * sizeof(T)), MPI_BYTE, root, comm_));
  }
  void broadcast_string(std::string& s, int root) const;

  // Passes a value along the ranks in rank order: rank r starts from what
  // rank r - 1's `step` returned (rank 0 from `init`); every rank gets the
  // last rank's result. For folds that are not associative (a hash chain).
  template <class T, class F>
  T relay(T init, F step) const {
    static_assert(std::is_trivially_copyable_v<T>);
    constexpr int kRelayTag = 7301;
    T v = init;
    if (rank_ > 0)
      HPCREC_MPI(MPI_Recv(&v, sizeof(T), MPI_BYTE, rank_ - 1, kRelayTag, comm_, MPI_STATUS_IGNORE));
    v = step(v);
    if (rank_ + 1 < size_) HPCREC_MPI(MPI_Send(&v, sizeof(T), MPI_BYTE, rank_ + 1, kRelayTag, comm_));
    HPCREC_MPI(MPI_Bcast(&v, sizeof(T), MPI_BYTE, size_ - 1, comm_));
    return v;
  }

  // Every rank's `value`, in rank order.
  template <class T>
  std::vector<T> allgather(const T& value) const {
    static_assert(std::is_trivially_copyable_v<T>);
    std::vector<T> out(size_);
    HPCREC_MPI(MPI_Allgather(&value, sizeof(T), MPI_BYTE, out.data(), sizeof(T), MPI_BYTE, comm_));
    return out;
  }
  // The concatenation, in rank order, of every rank's `values`.
  template <class T>
  std::vector<T> allgatherv(std::span<const T> values) const {
    static_assert(std::is_trivially_copyable_v<T>);
    std::vector<std::int64_t> counts = allgather<std::int64_t>(static_cast<std::int64_t>(values.size()));
    std::vector<std::int64_t> displs(size_, 0);
    std::int64_t total = 0;
    for (int r = 0; r < size_; ++r) {
      displs[r] = total;
      total += counts[r];
    }
    std::vector<T> out(total);
    allgatherv_bytes(values.data(), values.size() * sizeof(T), out.data(), counts, displs, sizeof(T));
    return out;
  }

  // Personalised all-to-all: send[r] goes to rank r; returns what each rank
  // sent here, in rank order, with recv_counts[r] elements from rank r.
  // Counts are exchanged first; payloads over 2 GiB are sent in pieces.
  template <class T>
  std::vector<T> alltoallv(std::span<const T> send, std::span<const std::int64_t> send_counts,
                           std::vector<std::int64_t>* recv_counts = nullptr) const {
    static_assert(std::is_trivially_copyable_v<T>);
    std::vector<std::int64_t> rc = exchange_counts(send_counts);
    std::int64_t total = 0;
    for (auto c : rc) total += c;
    std::vector<T> out(total);
    alltoallv_bytes(send.data(), send_counts, out.data(), rc, sizeof(T));
    if (recv_counts) *recv_counts = std::move(rc);
    return out;
  }
  std::vector<std::int64_t> exchange_counts(std::span<const std::int64_t> send_counts) const;

  // The same when the receive counts are already known (a routing plan):
  // no count exchange, and the data lands in the caller's buffer.
  // With `recv_displs` (in elements), source r's data lands at recv +
  // recv_displs[r] rather than packed in rank order.
  template <class T>
  void alltoallv_into(std::span<const T> send, std::span<const std::int64_t> send_counts, T* recv,
                      std::span<const std::int64_t> recv_counts,
                      std::span<const std::int64_t> recv_displs = {}) const {
    static_assert(std::is_trivially_copyable_v<T>);
    alltoallv_bytes(send.data(), send_counts, recv, recv_counts, sizeof(T), recv_displs);
  }

 private:
  explicit Communicator(MPI_Comm comm);
  void allgatherv_bytes(const void* send, std::size_t send_bytes, void* recv,
                        const std::vector<std::int64_t>& counts, const std::vector<std::int64_t>& displs,
                        std::size_t elem) const;
  void alltoallv_bytes(const void* send, std::span<const std::int64_t> send_counts, void* recv,
                       std::span<const std::int64_t> recv_counts, std::size_t elem,
                       std::span<const std::int64_t> recv_displs = {}) const;

  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0;
  int size_ = 1;
};

template <>
inline MPI_Datatype mpi_type<double>() {
  return MPI_DOUBLE;
}
template <>
inline MPI_Datatype mpi_type<float>() {
  return MPI_FLOAT;
}
template <>
inline MPI_Datatype mpi_type<int>() {
  return MPI_INT;
}
template <>
inline MPI_Datatype mpi_type<std::int64_t>() {
  return MPI_INT64_T;
}
template <>
inline MPI_Datatype mpi_type<std::uint64_t>() {
  return MPI_UINT64_T;
}
template <>
inline MPI_Datatype mpi_type<char>() {
  return MPI_CHAR;
}

}  // namespace hpcrec::dist
