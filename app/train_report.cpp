#include "app/train_report.hpp"

#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "io/atomic_file.hpp"
#include "mpi/failure.hpp"
#include "src/dense_reference.hpp"
#include "src/errors.hpp"

namespace hpcrec::app {

std::string num(double x) {
  if (!std::isfinite(x)) return "null";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", x);
  return buf;
}

void check_output_path(const dist::Communicator& comm, const std::string& option, const std::string& path) {
  if (path.empty()) return;
  dist::collective_phase(comm, [&] {
    if (comm.rank() != 0) return;
    namespace fs = std::filesystem;
    std::error_code ec;
    const std::string where = "--" + option + " " + path;
    if (fs::is_directory(path, ec)) throw InputError(where + ": is a directory, expected a file name");
    fs::path dir = fs::path(path).parent_path();
    if (dir.empty()) dir = ".";
    if (!fs::is_directory(dir, ec))
      throw InputError(where + ": directory " + dir.string() + " does not exist");
    // The file is written as PATH.TOKEN.tmp in the same directory, then renamed.
    if (::access(dir.c_str(), W_OK | X_OK) != 0)
      throw InputError(where + ": directory " + dir.string() + " is not writable: " + std::strerror(errno));
  });
}

Report::Report(const dist::Communicator& comm, const std::string& path, bool append)
    : comm_(comm), root_(comm.rank() == 0), path_(path), committed_(append) {
  dist::collective_phase(comm, [&] {
    if (root_ && !path.empty()) {
      const std::string name = append ? path : io::tmp_path(path);
      errno = 0;
      out_.open(name, append ? std::ios::app : std::ios::out);
      if (!out_)
        throw InputError(path + ": cannot open for writing" +
                         (errno ? std::string(": ") + std::strerror(errno) : ""));
      std::error_code ec;
      if (append) written_ = std::filesystem::file_size(path, ec);
    }
  });
}

Report::~Report() {
  // No record was written: the previous file at the path stays.
  if (root_ && !path_.empty() && !committed_) {
    out_.close();
    io::discard_tmp(path_);
  }
}

void Report::json(const Record& fields) {
  if (path_.empty()) return;
  dist::collective_phase(comm_, [&] {
    if (!root_) return;
    Record line = Record::object();
    for (const auto& [key, value] : run_.items())
      if (key != "settings") line[key] = value;
    line.update(fields);
    if (run_.contains("settings")) line["settings"] = run_["settings"];
    // NaN and infinities have no JSON form: null (nlohmann writes them so).
    const std::string record = line.dump() + "\n";
    errno = 0;
    out_ << record;
    out_.flush();
    if (!out_) {
      const int err = errno;
      // Cut a partial record off, so the file holds whole records only.
      out_.close();
      std::error_code ec;
      std::filesystem::resize_file(committed_ ? path_ : io::tmp_path(path_), written_, ec);
      throw InputError(path_ + ": cannot write the metrics: " + (err ? std::strerror(err) : "write failed"));
    }
    written_ += record.size();
    if (!committed_) {
      io::commit_tmp(path_);
      committed_ = true;
    }
  });
}

Record run_head(const dist::Communicator& comm, const std::string& command, const std::string& algorithm,
                int threads) {
  return Record{{"command", command}, {"algorithm", algorithm}, {"version", version()},
                {"isa", simd_isa()},  {"ranks", comm.size()},   {"threads", threads}};
}

Record run_record(const dist::Communicator& comm, const std::string& command, const std::string& algorithm,
                  int threads, const Record& settings) {
  Record run = run_head(comm, command, algorithm, threads);
  run["settings"] = settings;
  return run;
}

std::vector<std::pair<std::string, double>> ranking_metrics(const dist::RankingReport& r,
                                                            const std::string& prefix) {
  return {{prefix + "precision_at_k", r.mean.precision}, {prefix + "recall_at_k", r.mean.recall},
          {prefix + "ndcg_at_k", r.mean.ndcg},           {prefix + "map_at_k", r.mean.map},
          {prefix + "hit_rate_at_k", r.mean.hit_rate},   {prefix + "coverage_at_k", r.coverage}};
}

void add_ranking_fields(Record& record, const dist::RankingReport& r, const std::string& prefix) {
  for (const auto& [key, value] : ranking_metrics(r, prefix)) record[key] = value;
  record["k"] = r.k;
  record[prefix + "ranking_users"] = r.users;
}

void print_ranking(const dist::Communicator& comm, const std::string& what, const dist::RankingReport& r) {
  if (comm.rank() != 0) return;
  std::printf(
      "%s@%d over %lld test users: precision %.4f  recall %.4f  ndcg %.4f  map %.4f  hit_rate %.4f  "
      "coverage %.4f\n",
      what.c_str(), r.k, static_cast<long long>(r.users), r.mean.precision, r.mean.recall, r.mean.ndcg,
      r.mean.map, r.mean.hit_rate, r.coverage);
}

double add_yardstick_fields(const dist::Communicator& comm, Record& record) {
  // Ranks time one after another would not share the cores; timed together
  // they do, as the ranks of a run do: the slowest rank's figure is kept.
  const double f32 = comm.allreduce<double>(math::gemm_gflops(true), MPI_MIN);
  const double f64 = comm.allreduce<double>(math::gemm_gflops(false), MPI_MIN);
  const double stream = comm.allreduce<double>(math::triad_gbs(), MPI_MIN);
  record["dense_gflops"] = comm.allreduce<double>(math::dense_product_gflops(), MPI_MIN);
  record["dense_gflops_f32"] = f32;
  record["dense_gflops_f64"] = f64;
  record["stream_gbs"] = stream;
  record["blas_core"] = math::blas_core();
  return f32;
}

}  // namespace hpcrec::app
