// hpcrec train: read -> distribute -> ALS -> evaluate -> model + top-N.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "app/commands.hpp"
#include "app/options.hpp"
#include "app/resources.hpp"
#include "app/training_data.hpp"
#include "io/model_file.hpp"
#include "io/topn_writer.hpp"
#include "mpi/als_driver.hpp"
#include "mpi/failure.hpp"
#include "mpi/topn_driver.hpp"
#include "src/dense_reference.hpp"

namespace hpcrec::app {

namespace {

struct TrainOptions {
  DataOptions data;
  std::string algo = "als";
  dist::ExplicitAlsOptions als;
  int iterations = 15;
  std::string model, recommendations, metrics_out;
  int top_n = 10;
  std::string header = "auto", format = "auto", duplicates = "last", reg_scaling = "als-wr";
  bool bench_dense = false;
};

bool parse(const Args& args, TrainOptions& o, bool print) {
  po::options_description desc("Train options");
  desc.add_options()
      ("ratings", po::value(&o.data.ratings)->required(), "training ratings file (user, item, rating[, timestamp])")
      ("test", po::value(&o.data.test), "held-out ratings file to evaluate on")
      ("holdout", po::value(&o.data.holdout)->default_value(0.0),
       "hold out this fraction of ratings at random for testing (when no --test)")
      ("split-seed", po::value(&o.data.split_seed)->default_value(1), "seed of the holdout split")
      ("format", po::value(&o.format)->default_value("auto"), "delimiter: auto, tab, comma, dcolon (::), whitespace")
      ("header", po::value(&o.header)->default_value("auto"), "header line: auto, yes, no")
      ("skip-invalid", po::bool_switch(&o.data.reader.skip_invalid), "skip malformed lines (and count them)")
      ("duplicates", po::value(&o.duplicates)->default_value("last"),
       "repeated (user, item): last (latest timestamp, then file order), mean, error")
      ("algo", po::value(&o.algo)->default_value("als"), "algorithm: als (explicit, biased ALS-WR)")
      ("factors", po::value(&o.als.factors)->default_value(64), "latent factors k")
      ("iterations", po::value(&o.iterations)->default_value(15), "ALS iterations (each: users, then items)")
      ("lambda", po::value(&o.als.lambda)->default_value(0.12), "L2 regularisation of the factors")
      ("reg-scaling", po::value(&o.reg_scaling)->default_value("als-wr"),
       "als-wr: lambda times the row's rating count; none: plain lambda")
      ("bias-lambda", po::value(&o.als.bias_lambda)->default_value(0.05), "L2 regularisation of the biases")
      ("seed", po::value(&o.als.seed)->default_value(42), "seed of the initial factors")
      ("threads", po::value(&o.als.threads)->default_value(1), "OpenMP threads per rank")
      ("model", po::value(&o.model), "write the model (HDF5) here")
      ("top-n", po::value(&o.top_n)->default_value(10), "recommendations per user")
      ("recommendations", po::value(&o.recommendations),
       "write every user's top-N here (.csv, or .h5 for HDF5)")
      ("metrics-out", po::value(&o.metrics_out), "write per-iteration metrics as JSON lines here")
      ("bench-dense", po::bool_switch(&o.bench_dense),
       "also time a dense Eigen product in this process (dense_gflops in the final metrics)");
  po::variables_map vm;
  if (!parse_options("train", "Train a recommender across MPI ranks.", desc, args, vm, print)) return false;
  require_positive(vm, "factors");
  require_positive(vm, "iterations");
  require_non_negative(vm, "lambda");
  require_non_negative(vm, "bias-lambda");
  require_positive(vm, "threads");
  require_positive(vm, "top-n");
  if (o.data.holdout < 0 || o.data.holdout >= 1) throw InputError("--holdout must be in [0, 1)");
  if (o.data.holdout > 0 && !o.data.test.empty()) throw InputError("give either --test or --holdout, not both");
  if (o.algo != "als") throw InputError("--algo: unknown algorithm '" + o.algo + "' (available: als)");
  if (o.reg_scaling != "als-wr" && o.reg_scaling != "none")
    throw InputError("--reg-scaling must be als-wr or none, got '" + o.reg_scaling + "'");
  o.als.weighted_lambda = o.reg_scaling == "als-wr";
  if (o.header == "yes") o.data.reader.header = true;
  else if (o.header == "no") o.data.reader.header = false;
  else if (o.header != "auto") throw InputError("--header must be auto, yes or no, got '" + o.header + "'");
  o.data.reader.delimiter = io::parse_delimiter(o.format);
  if (o.duplicates == "last") o.data.duplicates = dist::DuplicatePolicy::kLast;
  else if (o.duplicates == "mean") o.data.duplicates = dist::DuplicatePolicy::kMean;
  else if (o.duplicates == "error") o.data.duplicates = dist::DuplicatePolicy::kError;
  else throw InputError("--duplicates must be last, mean or error, got '" + o.duplicates + "'");
  o.data.factors = o.als.factors;
  return true;
}

std::string json_number(double x) {
  if (!std::isfinite(x)) return "null";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", x);
  return buf;
}

}  // namespace

int run_train(const Args& args, const dist::Communicator& comm) {
  const bool root = comm.rank() == 0;
  TrainOptions o;
  bool go = true;
  dist::collective_phase(comm, [&] { go = parse(args, o, root); });
  if (!go) return kExitOk;

  TrainingData data = load_training_data(comm, o.data);
  if (root) {
    std::printf("hpcrec train: %lld ratings (%lld users x %lld items) on %d rank(s), %d thread(s) each\n",
                static_cast<long long>(data.train), static_cast<long long>(data.user_ids.size()),
                static_cast<long long>(data.item_ids.size()), comm.size(), o.als.threads);
    std::printf("  read %.1f MB in %.2f s (%.0f MB/s), prepared in %.2f s; %lld test ratings",
                data.bytes_read / 1e6, data.read_seconds, data.bytes_read / 1e6 / std::max(data.read_seconds, 1e-9),
                data.prepare_seconds, static_cast<long long>(data.test_count));
    if (data.test_unknown) std::printf(" (%lld with a user or item unseen in training)", static_cast<long long>(data.test_unknown));
    if (data.skipped) std::printf(", %lld invalid lines skipped", static_cast<long long>(data.skipped));
    if (data.duplicates) std::printf(", %lld duplicates resolved", static_cast<long long>(data.duplicates));
    std::printf("\n");
  }

  o.als.clip_min = data.min_rating;
  o.als.clip_max = data.max_rating;
  dist::AlsSide users, items;
  users.part = data.users;
  users.ratings = std::move(data.by_user);
  items.part = data.items;
  items.ratings = std::move(data.by_item);
  dist::TestSet test = dist::place_test_ratings(comm, data.test, data.users, data.items);
  dist::ExplicitAls als(comm, std::move(users), std::move(items), std::move(test), data.global_mean, o.als);

  std::ofstream metrics;
  dist::collective_phase(comm, [&] {
    if (root && !o.metrics_out.empty()) {
      metrics.open(o.metrics_out);
      if (!metrics) throw InputError(o.metrics_out + ": cannot open for writing");
    }
  });
  if (root) std::printf("%5s %11s %11s %9s %12s\n", "iter", "train_rmse", "test_rmse", "seconds", "MB_exchanged");
  dist::IterationStats last;
  double total_seconds = 0, total_flops = 0, total_solve = 0;
  for (int it = 0; it < o.iterations; ++it) {
    last = als.iterate();
    total_seconds += last.seconds;
    total_flops += last.flops;
    total_solve += last.solve_seconds;
    if (root) {
      std::printf("%5d %11.5f %11s %9.3f %12.2f\n", last.iteration, last.train.rmse(),
                  last.test.count ? json_number(last.test.rmse()).c_str() : "-", last.seconds,
                  last.bytes_exchanged / 1e6);
      std::fflush(stdout);
      if (metrics.is_open()) {
        metrics << "{\"iteration\": " << last.iteration << ", \"seconds\": " << json_number(last.seconds)
                << ", \"train_rmse\": " << json_number(last.train.rmse())
                << ", \"test_rmse\": " << (last.test.count ? json_number(last.test.rmse()) : "null")
                << ", \"test_mae\": " << (last.test.count ? json_number(last.test.mae()) : "null")
                << ", \"mb_exchanged\": " << json_number(last.bytes_exchanged / 1e6)
                << ", \"gflops\": " << json_number(last.flops / last.solve_seconds / 1e9) << "}\n";
        metrics.flush();
      }
    }
  }
  if (root) {
    if (last.test.count) {
      std::printf("final: test RMSE %.4f, MAE %.4f over %lld ratings; train RMSE %.4f; %.2f s training\n",
                  last.test.rmse(), last.test.mae(), static_cast<long long>(last.test.count), last.train.rmse(),
                  total_seconds);
    } else {
      std::printf("final: train RMSE %.4f; %.2f s training\n", last.train.rmse(), total_seconds);
    }
  }
  // Resource figures for benchmarks: every rank's peak RSS, the dense yardstick.
  const double rss_max = comm.allreduce<double>(peak_rss_bytes(), MPI_MAX);
  const double rss_sum = comm.allreduce<double>(peak_rss_bytes(), MPI_SUM);
  double dense = 0;
  if (o.bench_dense) dense = comm.allreduce<double>(math::dense_product_gflops(), MPI_MIN);
  if (root && metrics.is_open()) {
    metrics << "{\"final\": true, \"iteration\": " << last.iteration << ", \"seconds\": " << json_number(total_seconds)
            << ", \"train_rmse\": " << json_number(last.train.rmse())
            << ", \"test_rmse\": " << (last.test.count ? json_number(last.test.rmse()) : "null")
            << ", \"test_mae\": " << (last.test.count ? json_number(last.test.mae()) : "null")
            << ", \"ranks\": " << comm.size() << ", \"threads\": " << o.als.threads
            << ", \"ratings\": " << data.train << ", \"seconds_per_iteration\": "
            << json_number(total_seconds / last.iteration)
            << ", \"solver_gflops\": " << json_number(total_flops / total_solve / 1e9)
            << ", \"dense_gflops\": " << json_number(o.bench_dense ? dense : NAN)
            << ", \"parse_mb_per_s\": " << json_number(data.bytes_read / 1e6 / data.read_seconds)
            << ", \"mb_exchanged_per_iteration\": " << json_number(last.bytes_exchanged / 1e6)
            << ", \"peak_rss_mb_max_rank\": " << json_number(rss_max / 1e6)
            << ", \"peak_rss_bytes_per_rating\": " << json_number(rss_sum / static_cast<double>(data.train)) << "}\n";
    metrics.flush();
  }

  const auto& U = als.users();
  const auto& I = als.items();
  // The users' training items with global ids: stored in the model, excluded from top-N.
  const math::CsrBlock train_items = U.global_ratings();
  if (!o.model.empty()) {
    io::ModelSlice slice;
    slice.attributes = {{"algorithm", std::string("als")},
                        {"lambda", o.als.lambda},
                        {"bias_lambda", o.als.bias_lambda},
                        {"reg_scaling", o.reg_scaling},
                        {"iterations", static_cast<std::int64_t>(als.iterations_done())},
                        {"seed", static_cast<std::int64_t>(o.als.seed)},
                        {"global_mean", data.global_mean},
                        {"rating_min", static_cast<double>(data.min_rating)},
                        {"rating_max", static_cast<double>(data.max_rating)}};
    slice.users = {&data.user_ids, U.first(), &U.factors, &U.bias};
    slice.items = {&data.item_ids, I.first(), &I.factors, &I.bias};
    slice.train = &train_items;
    io::write_model(comm, o.model, slice);
    if (root) std::printf("model: %s\n", o.model.c_str());
  }
  if (!o.recommendations.empty()) {
    const double t0 = MPI_Wtime();
    dist::TopNInput in;
    in.user_factors = &U.factors;
    in.user_offset = (U.bias.array() + data.global_mean).matrix();
    in.exclude = &train_items;
    in.item_factors = &I.factors;
    in.item_bias = &I.bias;
    in.first_item = I.first();
    in.n = o.top_n;
    in.threads = o.als.threads;
    auto best = dist::top_n_ring(comm, in);
    io::TopNSlice slice;
    slice.first_user = U.first();
    slice.users = U.rows();
    slice.n = o.top_n;
    slice.items.assign(static_cast<size_t>(slice.users) * o.top_n, -1);
    slice.scores.assign(slice.items.size(), std::nan(""));
    for (math::Index u = 0; u < slice.users; ++u) {
      for (size_t j = 0; j < best[u].size(); ++j) {
        slice.items[static_cast<size_t>(u) * o.top_n + j] = best[u][j].item;
        slice.scores[static_cast<size_t>(u) * o.top_n + j] = best[u][j].score;
      }
    }
    io::write_topn(comm, o.recommendations, slice, data.user_ids, data.item_ids);
    const double secs = comm.allreduce<double>(MPI_Wtime() - t0, MPI_MAX);
    if (root) std::printf("recommendations: %s (top %d for %d users, %.2f s)\n", o.recommendations.c_str(), o.top_n,
                          data.user_ids.size(), secs);
  }
  return kExitOk;
}

}  // namespace hpcrec::app
