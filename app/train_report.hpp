// What `hpcrec train` prints: rank 0's table on stdout and JSON lines in
// --metrics-out.
#pragma once

#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "mpi/communicator.hpp"
#include "mpi/evaluation.hpp"

namespace hpcrec::app {

// "%.6g", or "null" for NaN and infinities (JSON has neither).
std::string num(double x);

class Report {
 public:
  // Collective: opening the file is agreed (a rank-0 failure ends every rank).
  Report(const dist::Communicator& comm, const std::string& path, bool append);
  bool root() const { return root_; }
  // One JSON object: `fields` is its body without braces, e.g. "\"a\": 1".
  void json(const std::string& fields);

 private:
  bool root_;
  std::ofstream out_;
};

// The ranking metrics as JSON fields, keys prefixed by `prefix` ("" or "cold_").
std::string ranking_fields(const dist::RankingReport& r, const std::string& prefix = "");

// The same metrics as (key, value) pairs, in report order.
std::vector<std::pair<std::string, double>> ranking_metrics(const dist::RankingReport& r,
                                                            const std::string& prefix = "");

// "ranking@10 over 610 test users: precision 0.0644 ..." on rank 0.
void print_ranking(const dist::Communicator& comm, const std::string& what, const dist::RankingReport& r);

}  // namespace hpcrec::app
