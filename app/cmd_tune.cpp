// hpcrec tune: hyper-parameter search on a validation split, with the test
// data touched once, by the winner.
//
// Data flow (files under --work-dir, tab-separated, original ids):
//   --ratings --split S --holdout H   -> train.tsv + test.tsv   (as `split`)
//   --ratings --test FILE             -> train.tsv = the ratings, FILE unread
//   train.tsv --validation-split V    -> fit.tsv + valid.tsv    (another seed)
// Every trial trains on fit.tsv and is scored on valid.tsv; the winner is
// then trained on train.tsv with --iterations and evaluated on the test.
//
// Search: trial t's settings are drawn from (--seed, t) (app/tune_space), or
// are the t-th grid point. Iterative algorithms (als, ials, hybrid) use
// successive halving: every configuration trains I / eta^2 iterations, the
// best 1 / eta of them I / eta, the best 1 / eta of those all I, where
// trials of a rung are retrained from the seed, so a trial's score depends
// on its settings and iterations alone. --budget counts full trainings: a
// trial of i iterations costs i / I.
//
// Parallel trials: --group-size G splits the P ranks into P / G groups
// (MPI_Comm_split); trial j of a round runs on group j mod (P / G), each
// group on its own distribution of fit.tsv. Training and metrics are the
// same at any rank count, so the trials' scores, and the winner, are the
// same at any P and G. Ties go to the lower trial number.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "app/commands.hpp"
#include "app/model.hpp"
#include "app/options.hpp"
#include "app/reader_options.hpp"
#include "app/run_info.hpp"
#include "app/split_files.hpp"
#include "app/split_options.hpp"
#include "app/train_options.hpp"
#include "app/train_report.hpp"
#include "app/training_data.hpp"
#include "app/tune_space.hpp"
#include "mpi/failure.hpp"

namespace hpcrec::app {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Lower is better for the error metrics, higher for the ranking ones.
bool lower_is_better(const std::string& metric) {
  return metric.find("rmse") != std::string::npos || metric.find("mae") != std::string::npos ||
         metric == "loss";
}

// stdout of this process to `path` while alive (a trial's table and
// summary go to its log, not between the rows of tune's table).
class RedirectStdout {
 public:
  explicit RedirectStdout(const std::string& path) {
    std::fflush(stdout);
    saved_ = ::dup(1);
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (saved_ >= 0 && fd >= 0) ::dup2(fd, 1);
    if (fd >= 0) ::close(fd);
  }
  ~RedirectStdout() {
    std::fflush(stdout);
    if (saved_ >= 0) {
      ::dup2(saved_, 1);
      ::close(saved_);
    }
  }
  RedirectStdout(const RedirectStdout&) = delete;
  RedirectStdout& operator=(const RedirectStdout&) = delete;

 private:
  int saved_ = -1;
};

struct Trial {
  int id = 0;
  Settings settings;
  int iterations = 0;
  double value = kNaN;  // the validation metric; NaN: failed
  double seconds = 0;
};

struct TuneOptions {
  std::string algo, ratings, test, metric, space, search = "random", out_config, trials_out;
  std::string work_dir = "hpcrec-tune", model, validation_split, eval_k = "10", threshold;
  double validation_holdout = 0;
  int budget = 20, group_size = 0, iterations = 15, eta = 3, threads = 1;
  std::uint64_t seed = 42;
  SplitCli split;
  ReaderCli reader;
  Args extra;  // train options not tuned, passed to every run as given
};

class Tuner {
 public:
  Tuner(const dist::Communicator& world, TuneOptions o) : world_(world), o_(std::move(o)) {}

  int run();

 private:
  void prepare_data();
  void run_rung(std::vector<Trial>& trials, const dist::Communicator& group, int group_id, int groups);
  double run_one(const dist::Communicator& group, Trial& t);
  bool better(double a, double b) const {
    if (std::isnan(b)) return !std::isnan(a);
    if (std::isnan(a)) return false;
    return lower_ ? a < b : a > b;
  }
  Args train_args(const Settings& s, int iterations, const std::string& ratings,
                  const std::string& test) const;
  void print_row(const Trial& t);
  void write_best(const Trial& best) const;

  const dist::Communicator& world_;
  TuneOptions o_;
  bool lower_ = false;
  std::string train_file_, fit_file_, valid_file_;
  bool tested_ = false;  // there is a test (--test or a split): the winner's run evaluates on it
  Trial best_;
  std::FILE* trials_out_ = nullptr;
};

Args Tuner::train_args(const Settings& s, int iterations, const std::string& ratings,
                       const std::string& test) const {
  Args a = {"--ratings",    ratings,
            "--algo",       o_.algo,
            "--iterations", std::to_string(iterations),
            "--threads",    std::to_string(o_.threads),
            "--eval-k",     o_.eval_k};
  if (!test.empty()) a.insert(a.end(), {"--test", test});
  if (!o_.threshold.empty()) a.insert(a.end(), {"--relevance-threshold", o_.threshold});
  a.insert(a.end(), o_.extra.begin(), o_.extra.end());
  const Args tuned = settings_args(s);
  a.insert(a.end(), tuned.begin(), tuned.end());
  return a;
}

void Tuner::prepare_data() {
  namespace fs = std::filesystem;
  dist::collective_phase(world_, [&] {
    if (world_.rank() != 0) return;
    std::error_code ec;
    fs::create_directories(o_.work_dir, ec);
    if (ec) throw InputError(o_.work_dir + ": cannot create the work directory: " + ec.message());
  });
  // The training part: the ratings less the test split, or all of them
  // when the test is a file (which is not read until the winner's run).
  DataOptions d;
  d.ratings = o_.ratings;
  d.reader = make_reader_options(o_.reader);
  d.split = make_split_spec(o_.split, !o_.test.empty());
  d.keep_timestamps = true;
  {
    TrainingData data = load_training_data(world_, d);
    const std::string held = o_.work_dir + "/test.tsv";
    write_split_files(world_, data, train_file_, held);
    tested_ = !o_.test.empty() || data.test_count > 0;
    if (world_.rank() == 0)
      std::printf("tune: %lld training ratings (%d users x %d items) -> %s%s\n",
                  static_cast<long long>(data.train), data.user_ids.size(), data.item_ids.size(),
                  train_file_.c_str(),
                  o_.test.empty() && data.test_count > 0
                      ? (", " + std::to_string(data.test_count) + " test ratings set aside").c_str()
                      : "");
  }
  // The validation split of the training part, with its own seed.
  SplitCli v = o_.split;
  if (!o_.validation_split.empty()) v.kind = o_.validation_split;
  if (v.kind == "strong" || (o_.split.holdout == 0 && o_.split.leave_k == 0)) {
    if (o_.validation_split.empty()) v.kind = "user";
    v.leave_k = 0;
    if (v.holdout == 0) v.holdout = 0.2;
  }
  if (o_.validation_holdout > 0) {
    v.holdout = o_.validation_holdout;
    if (v.kind == "leave-k-out") v.kind = "user";
    v.leave_k = 0;
  }
  if (v.kind == "leave-k-out") v.holdout = 0;
  v.seed = o_.split.seed + 7919;  // not the test split's hash: that would pick no pair of train.tsv
  DataOptions dv;
  dv.ratings = train_file_;
  dv.split = make_split_spec(v, false);
  dv.keep_timestamps = true;
  TrainingData data = load_training_data(world_, dv);
  write_split_files(world_, data, fit_file_, valid_file_);
  if (world_.rank() == 0)
    std::printf("tune: validation split %s %s %g (seed %llu): %lld fit ratings, %lld validation ratings\n",
                v.kind.c_str(), v.kind == "leave-k-out" ? "k" : "holdout",
                v.kind == "leave-k-out" ? static_cast<double>(v.leave_k) : v.holdout,
                static_cast<unsigned long long>(v.seed), static_cast<long long>(data.train),
                static_cast<long long>(data.test_count));
}

double Tuner::run_one(const dist::Communicator& group, Trial& t) {
  char name[64];
  std::snprintf(name, sizeof name, "/trial-%04d-it%d.log", t.id, t.iterations);
  const std::string log = o_.work_dir + name;
  const double t0 = MPI_Wtime();
  double value = kNaN;
  {
    RedirectStdout quiet(group.rank() == 0 ? log : "/dev/null");
    try {
      TrainOptions to;
      Args args = train_args(t.settings, t.iterations, fit_file_, valid_file_);
      dist::collective_phase(group, [&] { parse_train_options(args, to, false); });
      to.command = "tune";
      Outcome out;
      if (run_training(group, to, nullptr, &out) == kExitOk) {
        for (const auto& [key, v] : out.metrics)
          if (key == o_.metric) value = v;
        if (std::isnan(value) && group.rank() == 0) {
          std::printf("tune: --metric %s: this run reports", o_.metric.c_str());
          for (const auto& kv : out.metrics) std::printf(" %s", kv.first.c_str());
          std::printf("\n");
        }
      }
    } catch (const std::exception& e) {
      if (group.rank() == 0) std::printf("tune: trial failed: %s\n", e.what());
    }
  }
  t.seconds = group.allreduce<double>(MPI_Wtime() - t0, MPI_MAX);
  return value;
}

void Tuner::print_row(const Trial& t) {
  if (world_.rank() != 0) return;
  if (better(t.value, best_.value)) best_ = t;
  std::printf("%5d %5d %12s %8.2f %12s  %s\n", t.id, t.iterations,
              std::isnan(t.value) ? "failed" : num(t.value).substr(0, 10).c_str(), t.seconds,
              std::isnan(best_.value) ? "-" : num(best_.value).substr(0, 10).c_str(),
              settings_text(t.settings).c_str());
  std::fflush(stdout);
  if (trials_out_) {
    Record settings = Record::object();
    for (const auto& [key, value] : t.settings) settings[key] = value;
    // A trial's settings are its drawn values (the rest: tune's options).
    Record record = run_head(world_, "tune", o_.algo, o_.threads);
    record["trial"] = t.id;
    record["iterations"] = t.iterations;
    record[o_.metric] = t.value;
    record["seconds"] = t.seconds;
    record["settings"] = settings;
    const std::string line = record.dump() + "\n";
    std::fputs(line.c_str(), trials_out_);
    std::fflush(trials_out_);
  }
}

void Tuner::run_rung(std::vector<Trial>& trials, const dist::Communicator& group, int group_id, int groups) {
  for (size_t round = 0; round * groups < trials.size(); ++round) {
    // Per group: [value, ok, seconds], filled by the group's rank 0 and summed over the world.
    std::vector<double> results(3 * static_cast<size_t>(groups), 0.0);
    const size_t j = round * groups + static_cast<size_t>(group_id);
    if (j < trials.size()) {
      const double v = run_one(group, trials[j]);
      if (group.rank() == 0) {
        double* r = &results[3 * static_cast<size_t>(group_id)];
        r[0] = std::isnan(v) ? 0.0 : v;
        r[1] = std::isnan(v) ? 0.0 : 1.0;
        r[2] = trials[j].seconds;
      }
    }
    world_.allreduce_inplace<double>(results, MPI_SUM);
    for (int g = 0; g < groups; ++g) {
      const size_t k = round * groups + static_cast<size_t>(g);
      if (k >= trials.size()) break;
      const double* r = &results[3 * static_cast<size_t>(g)];
      trials[k].value = r[1] > 0 ? r[0] : kNaN;
      trials[k].seconds = r[2];
      print_row(trials[k]);
    }
  }
}

void Tuner::write_best(const Trial& best) const {
  if (o_.out_config.empty() || world_.rank() != 0) return;
  std::ofstream out(o_.out_config);
  out << "# hpcrec tune: trial " << best.id << ", validation " << o_.metric << " " << num(best.value)
      << "\n# use: hpcrec train --config THIS_FILE --ratings ...\n";
  out << "algo = " << o_.algo << "\niterations = " << o_.iterations << "\n";
  // The untuned options given to tune, then the winner's settings.
  for (size_t j = 0; j < o_.extra.size(); ++j) {
    const std::string& a = o_.extra[j];
    if (a.rfind("--", 0) != 0) continue;
    const std::string key = a.substr(2);
    if (j + 1 < o_.extra.size() && o_.extra[j + 1].rfind("--", 0) != 0) {
      for (size_t k = j + 1; k < o_.extra.size() && o_.extra[k].rfind("--", 0) != 0; ++k)
        out << key << " = " << o_.extra[k] << "\n";
    } else {
      out << key << " = true\n";
    }
  }
  for (const auto& [key, value] : best.settings)
    if (value != "false") out << key << " = " << value << "\n";
  if (!out.flush()) throw InputError(o_.out_config + ": cannot write");
}

int Tuner::run() {
  lower_ = lower_is_better(o_.metric);
  const int p = world_.size();
  const int g = o_.group_size > 0 ? o_.group_size : p;
  const int groups = p / g;
  const int group_id = std::min(world_.rank() / g, groups - 1);
  train_file_ = o_.work_dir + "/train.tsv";
  fit_file_ = o_.work_dir + "/fit.tsv";
  valid_file_ = o_.work_dir + "/valid.tsv";

  // The space, and a dry parse of one trial's options so a bad one fails
  // before any file is written.
  std::vector<SpaceDim> space;
  dist::collective_phase(world_, [&] {
    space = merge_space(parse_space(default_space(o_.algo)), parse_space(o_.space));
    if (space.empty()) throw InputError("--algo " + o_.algo + " has no default search space: give --space");
    try {
      TrainOptions to;
      parse_train_options(train_args(draw_settings(space, o_.seed, 1), o_.iterations, fit_file_, valid_file_),
                          to, false);
    } catch (const InputError& e) {
      throw InputError(std::string(e.what()) + " (tune passes the options it does not know to train)");
    }
    if (world_.rank() == 0 && !o_.trials_out.empty()) {
      trials_out_ = std::fopen(o_.trials_out.c_str(), "w");
      if (!trials_out_) throw InputError(o_.trials_out + ": cannot write");
    }
  });
  prepare_data();
  dist::Communicator group = world_.split(group_id, world_.rank());

  // The rungs: iterations and how many configurations each keeps.
  const bool iterative = o_.algo == "als" || o_.algo == "ials" || o_.algo == "hybrid";
  std::vector<int> its = {o_.iterations};
  if (iterative && o_.search == "random" && o_.eta > 1) {
    const int e2 = o_.eta * o_.eta;
    if (o_.iterations >= e2)
      its = {std::max(1, o_.iterations / e2), std::max(1, o_.iterations / o_.eta), o_.iterations};
    else if (o_.iterations >= o_.eta)
      its = {std::max(1, o_.iterations / o_.eta), o_.iterations};
  }
  std::vector<Settings> configs;
  auto keep = [&](size_t n, size_t r) {
    size_t k = n;
    for (size_t i = 0; i < r; ++i) k = (k + o_.eta - 1) / o_.eta;
    return k;
  };
  auto cost = [&](size_t n) {
    double c = 0;
    for (size_t r = 0; r < its.size(); ++r) c += keep(n, r) * static_cast<double>(its[r]) / o_.iterations;
    return c;
  };
  if (o_.search == "grid") {
    configs = grid_settings(space);
  } else {
    size_t n = 1;
    while (cost(n + 1) <= o_.budget + 1e-9) ++n;
    for (size_t t = 0; t < n; ++t) configs.push_back(draw_settings(space, o_.seed, t + 1));
  }
  if (world_.rank() == 0) {
    std::printf("tune %s: %s search, %zu configurations", o_.algo.c_str(), o_.search.c_str(), configs.size());
    if (its.size() > 1) {
      std::printf(", successive halving (eta %d):", o_.eta);
      for (size_t r = 0; r < its.size(); ++r)
        std::printf("%s %zu x %d it", r ? "," : "", keep(configs.size(), r), its[r]);
    }
    std::printf(": %.1f full trainings; %d group(s) of %d rank(s); validation %s (%s is better)\n",
                cost(configs.size()), groups, g, o_.metric.c_str(), lower_ ? "lower" : "higher");
    std::printf("%5s %5s %12s %8s %12s  %s\n", "trial", "iters", o_.metric.substr(0, 12).c_str(), "seconds",
                "best", "settings");
    std::fflush(stdout);
  }

  std::vector<Trial> rung;
  for (size_t t = 0; t < configs.size(); ++t) rung.push_back({static_cast<int>(t + 1), configs[t], its[0]});
  std::vector<Trial> last;
  for (size_t r = 0; r < its.size(); ++r) {
    best_ = Trial{};  // "best" is per rung: scores at different iterations do not compare
    run_rung(rung, group, group_id, groups);
    last = rung;
    if (r + 1 == its.size()) break;
    // The best ceil(n / eta), by value then trial number; failed ones never.
    std::stable_sort(rung.begin(), rung.end(), [&](const Trial& a, const Trial& b) {
      if (better(a.value, b.value)) return true;
      if (better(b.value, a.value)) return false;
      return a.id < b.id;
    });
    rung.resize(keep(configs.size(), r + 1));
    std::erase_if(rung, [](const Trial& t) { return std::isnan(t.value); });
    std::sort(rung.begin(), rung.end(), [](const Trial& a, const Trial& b) { return a.id < b.id; });
    for (Trial& t : rung) t.iterations = its[r + 1];
    if (world_.rank() == 0) std::printf("-- %zu kept for %d iterations\n", rung.size(), its[r + 1]);
  }
  if (trials_out_) std::fclose(trials_out_);
  Trial best;
  for (const Trial& t : last)
    if (better(t.value, best.value)) best = t;
  if (std::isnan(best.value))
    throw InputError("tune: every trial failed (see the logs in " + o_.work_dir + ")");
  if (world_.rank() == 0)
    std::printf("best: trial %d, validation %s %s: %s\n", best.id, o_.metric.c_str(), num(best.value).c_str(),
                settings_text(best.settings).c_str());
  dist::collective_phase(world_, [&] { write_best(best); });
  if (world_.rank() == 0 && !o_.out_config.empty()) std::printf("config: %s\n", o_.out_config.c_str());

  // The winner on all training data; the test read here, once.
  if (!tested_ && o_.model.empty()) return kExitOk;
  // The same run as `train` with the winner's settings and the same data
  // options: the original ratings and test file, or split.
  Args args = train_args(best.settings, o_.iterations, o_.ratings, o_.test);
  args.insert(args.end(), {"--format", o_.reader.format, "--header", o_.reader.header});
  if (o_.reader.skip_invalid) args.push_back("--skip-invalid");
  if (o_.test.empty() && tested_) {
    args.insert(args.end(), {"--split", o_.split.kind, "--holdout", num17(o_.split.holdout), "--leave-k",
                             std::to_string(o_.split.leave_k), "--given", num17(o_.split.given),
                             "--split-seed", std::to_string(o_.split.seed)});
  }
  if (!o_.model.empty()) args.insert(args.end(), {"--model", o_.model});
  if (world_.rank() == 0) std::printf("== the winner on all training data%s ==\n", tested_ ? ", tested" : "");
  std::fflush(stdout);
  TrainOptions to;
  dist::collective_phase(world_, [&] { parse_train_options(args, to, false); });
  to.command = "tune";
  Outcome out;
  const int status = run_training(world_, to, nullptr, &out);
  if (status != kExitOk) return status;
  if (world_.rank() == 0) {
    for (const auto& [key, v] : out.metrics)
      if (key == o_.metric)
        std::printf("tune: %s validation %s, test %s\n", o_.metric.c_str(), num(best.value).c_str(),
                    num(v).c_str());
  }
  return kExitOk;
}

}  // namespace

int run_tune(const Args& args, const dist::Communicator& comm) {
  TuneOptions o;
  po::options_description desc("Tune options (any other train option is passed to every run as given)");
  desc.add_options()("algo", po::value(&o.algo)->required(),
                     "the algorithm to tune: als, ials, knn, hybrid, content")(
      "ratings", po::value(&o.ratings)->required(), "ratings file")(
      "test", po::value(&o.test), "test file, read once, by the winner's run (else a split of --ratings)")(
      "metric", po::value(&o.metric),
      "validation metric: ndcg_at_k (default; rmse for als), precision_at_k, recall_at_k, map_at_k, "
      "hit_rate_at_k, test_rmse, test_mae")("budget", po::value(&o.budget)->default_value(20),
                                            "full-training equivalents to spend (random search)")(
      "space", po::value(&o.space),
      "search space, e.g. 'factors=32,64;lambda=log:0.1:100;neighbors=logint:10:400' (replaces or adds to "
      "the "
      "algorithm's default dimensions)")("search", po::value(&o.search)->default_value("random"),
                                         "random (with successive halving on iterations) or grid")(
      "eta", po::value(&o.eta)->default_value(3), "successive halving: keep 1/eta per rung (1: off)")(
      "iterations", po::value(&o.iterations)->default_value(15), "iterations of a full training")(
      "group-size", po::value(&o.group_size)->default_value(0),
      "ranks per trial (0: all); P / G trials run at once")(
      "validation-split", po::value(&o.validation_split),
      "random, user, temporal or leave-k-out (default: as the test split; user when the test is a file)")(
      "validation-holdout", po::value(&o.validation_holdout)->default_value(0.0),
      "validation fraction (default: as the test split's holdout, else 0.2)")(
      "relevance-threshold", po::value(&o.threshold), "as train")(
      "eval-k", po::value(&o.eval_k)->default_value("10"), "as train")(
      "seed", po::value(&o.seed)->default_value(42), "seed of the trials' settings")(
      "threads", po::value(&o.threads)->default_value(1), "OpenMP threads per rank")(
      "out-config", po::value(&o.out_config), "write the winner's settings here (train --config accepts it)")(
      "trials-out", po::value(&o.trials_out), "one JSON line per trial here")(
      "model", po::value(&o.model), "write the winner's model (trained on all training data) here")(
      "work-dir", po::value(&o.work_dir)->default_value("hpcrec-tune"),
      "the split files and every trial's log");
  add_reader_options(desc, o.reader);
  add_split_options(desc, o.split);
  bool go = true;
  dist::collective_phase(comm, [&] {
    po::options_description all;
    all.add(desc).add_options()("help,h", "show this help");
    po::variables_map vm;
    po::parsed_options parsed(&all);
    try {
      parsed = po::command_line_parser(args).options(all).style(kCommandLineStyle).allow_unregistered().run();
      po::store(parsed, vm);
      if (!vm.count("help")) po::notify(vm);
    } catch (const po::error& e) {
      throw InputError(std::string("hpcrec tune: ") + e.what() + " (see hpcrec tune --help)");
    }
    if (vm.count("help")) {
      if (comm.rank() == 0) {
        std::printf(
            "Usage: hpcrec tune --algo A --ratings FILE [options]\n"
            "Search hyper-parameters on a validation split of the training data; the test is used "
            "once, by the winner.\n\n");
        std::ostringstream text;
        text << desc;
        std::printf("%s", text.str().c_str());
      }
      go = false;
      return;
    }
    o.extra = po::collect_unrecognized(parsed.options, po::include_positional);
    for (const std::string& a : o.extra)
      for (const char* banned : {"--recommendations", "--metrics-out", "--checkpoint-dir", "--resume",
                                 "--folds", "--split-seed", "--config"})
        if (a == banned || a.rfind(std::string(banned) + "=", 0) == 0)
          throw InputError(std::string(banned) + " is not an option of tune");
    model_entry(o.algo);  // an unknown algorithm is an error here
    if (o.metric.empty()) o.metric = o.algo == "als" ? "test_rmse" : "ndcg_at_k";
    if (o.metric == "rmse" || o.metric == "mae") o.metric = "test_" + o.metric;
    const std::vector<std::string> metrics = {"ndcg_at_k",     "precision_at_k", "recall_at_k", "map_at_k",
                                              "hit_rate_at_k", "coverage_at_k",  "test_rmse",   "test_mae"};
    if (std::find(metrics.begin(), metrics.end(), o.metric) == metrics.end())
      throw InputError(
          "--metric must be ndcg_at_k, precision_at_k, recall_at_k, map_at_k, hit_rate_at_k, "
          "coverage_at_k, test_rmse or test_mae, got '" +
          o.metric + "'");
    if (o.metric.rfind("test_", 0) == 0 && !model_entry(o.algo).blank()->predicts_ratings())
      throw InputError("--metric " + o.metric + ": " + o.algo + " predicts no ratings; use a ranking metric");
    require_positive(vm, "budget");
    require_positive(vm, "iterations");
    require_positive(vm, "eta");
    require_positive(vm, "threads");
    require_non_negative(vm, "group-size");
    if (o.search != "random" && o.search != "grid")
      throw InputError("--search must be random or grid, got '" + o.search + "'");
    if (o.group_size > comm.size())
      throw InputError("--group-size " + std::to_string(o.group_size) + " is more than the " +
                       std::to_string(comm.size()) + " ranks");
    if (o.group_size > 0 && comm.size() % o.group_size != 0)
      throw InputError("--group-size must divide the number of ranks (" + std::to_string(comm.size()) + ")");
    if (o.validation_holdout < 0 || o.validation_holdout >= 1)
      throw InputError("--validation-holdout must be in [0, 1)");
    make_split_spec(o.split, !o.test.empty());
    make_reader_options(o.reader);
  });
  if (!go) return kExitOk;
  Tuner tuner(comm, std::move(o));
  return tuner.run();
}

}  // namespace hpcrec::app
