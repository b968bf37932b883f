// Keeping exceptions inside OpenMP parallel regions. An exception
// (std::bad_alloc for a huge k) thrown inside a region cannot leave it: the
// runtime calls std::terminate and the job dies with SIGABRT instead of
// reporting. A region's allocations and loop bodies therefore run through
// FirstError, which rethrows after the region. (Workspaces stay allocated
// by their own thread: built side by side by one thread they shared cache
// lines, and iALS at 2 threads ran 2-3x slower.)
#pragma once

#include <atomic>
#include <exception>

namespace hpcrec::math {

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
