// What the process has used, for reports and benchmarks.
#pragma once

#include <sys/resource.h>

namespace hpcrec::app {

// Peak resident set size of this process in bytes (getrusage: ru_maxrss is in KiB on Linux).
inline double peak_rss_bytes() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) * 1024.0;
}

}  // namespace hpcrec::app
