#include "app/train_report.hpp"

#include <cmath>
#include <cstdio>

#include "mpi/failure.hpp"
#include "src/errors.hpp"

namespace hpcrec::app {

std::string num(double x) {
  if (!std::isfinite(x)) return "null";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", x);
  return buf;
}

Report::Report(const dist::Communicator& comm, const std::string& path, bool append)
    : root_(comm.rank() == 0) {
  dist::collective_phase(comm, [&] {
    if (root_ && !path.empty()) {
      out_.open(path, append ? std::ios::app : std::ios::out);
      if (!out_) throw InputError(path + ": cannot open for writing");
    }
  });
}

void Report::json(const std::string& fields) {
  if (root_ && out_.is_open()) {
    out_ << "{" << fields << "}\n";
    out_.flush();
  }
}

std::vector<std::pair<std::string, double>> ranking_metrics(const dist::RankingReport& r,
                                                            const std::string& prefix) {
  return {{prefix + "precision_at_k", r.mean.precision}, {prefix + "recall_at_k", r.mean.recall},
          {prefix + "ndcg_at_k", r.mean.ndcg},           {prefix + "map_at_k", r.mean.map},
          {prefix + "hit_rate_at_k", r.mean.hit_rate},   {prefix + "coverage_at_k", r.coverage}};
}

std::string ranking_fields(const dist::RankingReport& r, const std::string& prefix) {
  std::string out;
  for (const auto& [key, value] : ranking_metrics(r, prefix)) out += "\"" + key + "\": " + num(value) + ", ";
  return out + "\"k\": " + std::to_string(r.k) + ", \"" + prefix +
         "ranking_users\": " + std::to_string(r.users);
}

void print_ranking(const dist::Communicator& comm, const std::string& what, const dist::RankingReport& r) {
  if (comm.rank() != 0) return;
  std::printf(
      "%s@%d over %lld test users: precision %.4f  recall %.4f  ndcg %.4f  map %.4f  hit_rate %.4f  "
      "coverage %.4f\n",
      what.c_str(), r.k, static_cast<long long>(r.users), r.mean.precision, r.mean.recall, r.mean.ndcg,
      r.mean.map, r.mean.hit_rate, r.coverage);
}

}  // namespace hpcrec::app
