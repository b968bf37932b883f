// What the process has used, for reports and benchmarks.
#pragma once

#include <sys/resource.h>

#include <cstdio>
#include <cstring>

namespace hpcrec::app {

// Peak resident set size of this process in bytes (getrusage: ru_maxrss is in KiB on Linux).
inline double peak_rss_bytes() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) * 1024.0;
}

// Memory this node can still give, in bytes: MemAvailable, or less under a
// cgroup v2 limit (Slurm's --mem); 0 when unknown.
inline double available_memory_bytes() {
  double avail = 0;
  if (FILE* f = std::fopen("/proc/meminfo", "r")) {
    char key[64];
    double kib = 0;
    while (std::fscanf(f, "%63s %lf kB", key, &kib) == 2) {
      if (std::strcmp(key, "MemAvailable:") == 0) {
        avail = kib * 1024.0;
        break;
      }
    }
    std::fclose(f);
  }
  double limit = 0, used = 0;
  if (FILE* f = std::fopen("/sys/fs/cgroup/memory.max", "r")) {
    if (std::fscanf(f, "%lf", &limit) != 1) limit = 0;  // "max": no limit
    std::fclose(f);
  }
  if (FILE* f = std::fopen("/sys/fs/cgroup/memory.current", "r")) {
    if (std::fscanf(f, "%lf", &used) != 1) used = 0;
    std::fclose(f);
  }
  if (limit > 0 && (avail == 0 || limit - used < avail)) avail = limit > used ? limit - used : 1;
  return avail;
}

}  // namespace hpcrec::app

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace hpcrec::app {

// Current resident set size in bytes (/proc/self/statm), 0 if unknown.
inline double current_rss_bytes() {
  long pages = 0, resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

// With HPCREC_TRACE=1 in the environment, each rank prints a phase's name,
// its current and peak RSS: where memory goes, for tuning.
inline void trace_phase(int rank, const char* phase) {
  static const bool on = std::getenv("HPCREC_TRACE") != nullptr;
  if (on) {
    std::fprintf(stderr, "trace rank %d: %-28s rss %8.1f MB  peak %8.1f MB\n", rank, phase,
                 current_rss_bytes() / 1e6, peak_rss_bytes() / 1e6);
  }
}

}  // namespace hpcrec::app
