// What `hpcrec train` prints: rank 0's table on stdout and JSON lines in
// --metrics-out (docs/METRICS.md: one record a line, each carrying the
// run's context: command, algorithm, version, ISA, ranks, threads, settings).
#pragma once

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

class Report {
 public:
  // Collective: opening the file is agreed (a rank-0 failure ends every rank).
  Report(const dist::Communicator& comm, const std::string& path, bool append);
  bool root() const { return root_; }
  // What every record carries around its own fields: `head` first (command,
  // algorithm, ...), `tail` last (settings).
  void set_context(Record head, Record tail);
  // One JSON line: the context's head, `fields`, the context's tail.
  void json(const Record& fields);

 private:
  bool root_;
  std::ofstream out_;
  Record head_ = Record::object(), tail_ = Record::object();
};

// The context of a run record: {"command", "algorithm", "version", "isa",
// "ranks", "threads"}.
Record run_head(const dist::Communicator& comm, const std::string& command, const std::string& algorithm,
                int threads);

// The ranking metrics as record fields, keys prefixed by `prefix` ("" or
// "cold_"), with "k" and PREFIX"ranking_users".
void add_ranking_fields(Record& record, const dist::RankingReport& r, const std::string& prefix = "");

// The same metrics as (key, value) pairs, in report order.
std::vector<std::pair<std::string, double>> ranking_metrics(const dist::RankingReport& r,
                                                            const std::string& prefix = "");

// "ranking@10 over 610 test users: precision 0.0644 ..." on rank 0.
void print_ranking(const dist::Communicator& comm, const std::string& what, const dist::RankingReport& r);

}  // namespace hpcrec::app
