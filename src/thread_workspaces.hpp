// Keeping exceptions inside OpenMP parallel regions. An exception
// (std::bad_alloc for a huge k) thrown inside a region cannot leave it: the
// runtime calls std::terminate and the job dies with SIGABRT instead of
// reporting. Per-thread workspaces are therefore allocated before the
// region (thread_workspaces), and loop bodies that allocate as they go run
// through FirstError, which rethrows after the region.
#pragma once

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <vector>

namespace hpcrec::math {

// One W(args...) for each of `threads` threads (at least one).
template <class W, class... Args>
std::vector<W> thread_workspaces(int threads, const Args&... args) {
  std::vector<W> out;
  const int n = std::max(threads, 1);
  out.reserve(static_cast<std::size_t>(n));
  for (int t = 0; t < n; ++t) out.emplace_back(args...);
  return out;
}

// This thread's workspace inside `#pragma omp parallel num_threads(threads)`:
// the region has at most `threads` threads, numbered from 0.
template <class W>
W& this_thread_workspace(std::vector<W>& workspaces) {
  return workspaces[static_cast<std::size_t>(omp_get_thread_num())];
}

// Where a loop body allocates as it goes: the first exception thrown by a
// body run through run() is kept (the remaining bodies are skipped) and
// rethrown by rethrow() after the region.
class FirstError {
 public:
  template <class F>
  void run(F&& body) noexcept {
    if (failed_.load(std::memory_order_relaxed)) return;
    try {
      body();
    } catch (...) {
#pragma omp critical(hpcrec_first_error)
      {
        if (!error_) error_ = std::current_exception();
      }
      failed_.store(true, std::memory_order_relaxed);
    }
  }
  void rethrow() const {
    if (error_) std::rethrow_exception(error_);
  }

 private:
  std::atomic<bool> failed_{false};
  std::exception_ptr error_;
};

}  // namespace hpcrec::math
