// What `hpcrec train` prints: rank 0's table on stdout and JSON lines in
// --metrics-out (docs/METRICS.md: one record a line, each carrying the
// run's context: command, algorithm, version, ISA, ranks, threads, settings).
#pragma once

#include <cstdint>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "app/run_info.hpp"
#include "mpi/communicator.hpp"
#include "mpi/evaluation.hpp"

namespace hpcrec::app {

// Collective: rank 0 checks that `path` (an output of --`option`) can be
// written: its directory exists and is writable, and the path is not a
// directory. Run at start, so that a typo costs no training (exit 2).
void check_output_path(const dist::Communicator& comm, const std::string& option, const std::string& path);

// "%.6g", or "null" for NaN and infinities (JSON has neither).
std::string num(double x);

// Rank 0 writes the records. Without `append` they go to PATH's temporary
// name until the first one is complete, which then replaces PATH: a run
// that cannot write a single record leaves the previous file as it was.
// A write that fails (a full disk) is cut back to the last complete record
// and ends every rank with exit 2, naming the path and the OS error.
class Report {
 public:
  // Collective: opening the file is agreed (a rank-0 failure ends every rank).
  Report(const dist::Communicator& comm, const std::string& path, bool append);
  ~Report();
  Report(const Report&) = delete;
  Report& operator=(const Report&) = delete;
  bool root() const { return root_; }
  // What every record carries around its own fields (run_record's): its
  // keys first, the record's own, then "settings" last.
  void set_context(Record run) { run_ = std::move(run); }
  const Record& context() const { return run_; }
  // One JSON line: the context, `fields`, the context's settings.
  // Collective when there is a file: every rank calls it, and a failed
  // write is agreed at once (rank 0 alone knows).
  void json(const Record& fields);

 private:
  const dist::Communicator& comm_;
  bool root_;
  std::string path_;
  bool committed_ = false;      // the records are under path_ (not its temporary name)
  std::uintmax_t written_ = 0;  // bytes of the file up to the last complete record
  std::ofstream out_;
  Record run_ = Record::object();
};

// The context of a run record: {"command", "algorithm", "version", "isa",
// "ranks", "threads"}.
Record run_head(const dist::Communicator& comm, const std::string& command, const std::string& algorithm,
                int threads);
// run_head plus {"settings": settings}: what a metrics file's records and a
// top-N file's attributes say of the run.
Record run_record(const dist::Communicator& comm, const std::string& command, const std::string& algorithm,
                  int threads, const Record& settings);

// The ranking metrics as record fields, keys prefixed by `prefix` ("" or
// "cold_"), with "k" and PREFIX"ranking_users".
// --bench-dense: the in-process yardsticks, each rank timing its own (one
// thread) and the slowest kept: dense_gflops (Eigen, this build's ISA),
// dense_gflops_f32 and dense_gflops_f64 (OpenBLAS GEMM), stream_gbs (triad)
// and blas_core (OpenBLAS's kernel set). Collective. Returns the float32
// GEMM GFLOP/s.
double add_yardstick_fields(const dist::Communicator& comm, Record& record);

void add_ranking_fields(Record& record, const dist::RankingReport& r, const std::string& prefix = "");

// The same metrics as (key, value) pairs, in report order.
std::vector<std::pair<std::string, double>> ranking_metrics(const dist::RankingReport& r,
                                                            const std::string& prefix = "");

// "ranking@10 over 610 test users: precision 0.0644 ..." on rank 0.
void print_ranking(const dist::Communicator& comm, const std::string& what, const dist::RankingReport& r);

}  // namespace hpcrec::app
