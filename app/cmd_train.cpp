// hpcrec train: read -> distribute -> train (als | ials | popular) ->
// evaluate -> model + top-N. Wiring only: the work is in io/, mpi/, src/.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>

#include "app/checkpointing.hpp"
#include "app/commands.hpp"
#include "app/resources.hpp"
#include "app/train_options.hpp"
#include "app/training_data.hpp"
#include "io/item_features.hpp"
#include "io/model_file.hpp"
#include "io/topn_writer.hpp"
#include "mpi/als_driver.hpp"
#include "mpi/evaluation.hpp"
#include "mpi/failure.hpp"
#include "mpi/ials_driver.hpp"
#include "mpi/knn_driver.hpp"
#include "mpi/topn_driver.hpp"
#include "src/content.hpp"
#include "src/dense_reference.hpp"
#include "src/sparse_reference.hpp"

namespace hpcrec::app {

namespace {

using math::Index;
using math::Offset;

std::string num(double x) {
  if (!std::isfinite(x)) return "null";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", x);
  return buf;
}

// Rank 0's table on stdout and JSON lines in --metrics-out.
class Report {
 public:
  Report(const dist::Communicator& comm, const std::string& path, bool append) : root_(comm.rank() == 0) {
    dist::collective_phase(comm, [&] {
      if (root_ && !path.empty()) {
        out_.open(path, append ? std::ios::app : std::ios::out);
        if (!out_) throw InputError(path + ": cannot open for writing");
      }
    });
  }
  bool root() const { return root_; }
  // One JSON object: `fields` is its body without braces, e.g. "\"a\": 1".
  void json(const std::string& fields) {
    if (root_ && out_.is_open()) {
      out_ << "{" << fields << "}\n";
      out_.flush();
    }
  }

 private:
  bool root_;
  std::ofstream out_;
};

std::string ranking_fields(const dist::RankingReport& r) {
  return "\"precision_at_k\": " + num(r.mean.precision) + ", \"recall_at_k\": " + num(r.mean.recall) +
         ", \"ndcg_at_k\": " + num(r.mean.ndcg) + ", \"map_at_k\": " + num(r.mean.map) +
         ", \"hit_rate_at_k\": " + num(r.mean.hit_rate) + ", \"coverage_at_k\": " + num(r.coverage) +
         ", \"k\": " + std::to_string(r.k) + ", \"ranking_users\": " + std::to_string(r.users);
}

// A trained model as scoring sees it: score(u, i) = mu + b_u + b_i + x_u . y_i
// (ials and popular have mu = b_u = 0; popular has no factors, b_i = count).
struct FactorView {
  const math::Matrix* user_factors;
  const math::Vector* user_bias;
  const math::Matrix* item_factors;
  const math::Vector* item_bias;
  Index first_item;
  double mu;
};

std::vector<std::vector<math::ScoredItem>> top_lists(const dist::Communicator& comm, const FactorView& m,
                                                     const math::CsrBlock& seen, int n, int threads) {
  dist::TopNInput in;
  in.user_factors = m.user_factors;
  in.user_offset = (m.user_bias->array() + m.mu).matrix();
  in.exclude = &seen;
  in.item_factors = m.item_factors;
  in.item_bias = m.item_bias;
  in.first_item = m.first_item;
  in.n = n;
  in.threads = threads;
  return dist::top_n_ring(comm, in);
}

// What one training run ends with (one fold of cross-validation, or the run).
struct Outcome {
  std::vector<std::pair<std::string, double>> metrics;  // in report order
};

void print_data_summary(const dist::Communicator& comm, const TrainingData& data, const TrainOptions& o) {
  if (comm.rank() != 0) return;
  std::printf("hpcrec train %s: %lld ratings (%d users x %d items) on %d rank(s), %d thread(s) each\n",
              o.algo_name.c_str(), static_cast<long long>(data.train), data.user_ids.size(),
              data.item_ids.size(), comm.size(), o.als.threads);
  std::printf("  read %.1f MB in %.2f s (%.0f MB/s), prepared in %.2f s; %lld test ratings",
              data.bytes_read / 1e6, data.read_seconds,
              data.bytes_read / 1e6 / std::max(data.read_seconds, 1e-9), data.prepare_seconds,
              static_cast<long long>(data.test_count));
  if (data.test_unknown)
    std::printf(" (%lld with a user or item unseen in training)", static_cast<long long>(data.test_unknown));
  if (data.skipped) std::printf(", %lld invalid lines skipped", static_cast<long long>(data.skipped));
  if (data.duplicates) std::printf(", %lld duplicates resolved", static_cast<long long>(data.duplicates));
  std::printf("\n");
}

// Trains, evaluates and writes one model; its final metrics go to
// `outcome`. Returns the exit status (kExitPreempted when a stop signal
// ended the training after a checkpoint).
int train_and_evaluate(const dist::Communicator& comm, TrainOptions& o, const DataOptions& data_options,
                       Report& report, Outcome& outcome, const std::string& fold_label) {
  const bool root = comm.rank() == 0;
  // Content models know items from their metadata too: those without
  // ratings (cold start) join the item map, so they can be recommended.
  io::ItemFeatures features;
  math::IdMap feature_ids;
  DataOptions load_options = data_options;
  if (o.algo == Algorithm::kContent) {
    dist::collective_phase(comm, [&] {
      std::vector<io::ItemFeatureSource> sources;
      for (const auto& path : o.item_features) {
        io::ItemFeatureSource src;
        src.path = path;
        src.format = io::detect_item_feature_format(path);
        sources.push_back(src);
      }
      features = io::read_item_features(sources);
    });
    feature_ids = features.id_map();
    load_options.extra_items = &feature_ids;
  }
  TrainingData data = load_training_data(comm, load_options);
  print_data_summary(comm, data, o);
  const bool has_test = data.test_count > 0;
  std::vector<math::Rating> test_for_ranking = data.test;

  dist::AlsSide users, items;
  users.part = data.users;
  users.ratings = std::move(data.by_user);
  items.part = data.items;
  items.ratings = std::move(data.by_item);
  // Each user's training items with global ids: excluded from top-N and
  // stored in the model. The ALS drivers rewrite their copy's columns into
  // local indices, so for them it is rebuilt after training (not kept as a
  // second copy through the iterations, where memory peaks).
  math::CsrBlock seen_storage;
  const math::CsrBlock* seen = &users.ratings;

  double total_seconds = 0, total_flops = 0, total_solve = 0;
  Offset last_bytes = 0;
  int iterations_run = 0;
  auto ranking_of = [&](const std::vector<std::vector<math::ScoredItem>>& top) {
    return dist::evaluate_ranking(comm, top, test_for_ranking, data.users, data.item_ids.size(), o.eval_k,
                                  o.relevance_threshold);
  };
  auto ranking_now = [&](const FactorView& view) {
    return ranking_of(top_lists(comm, view, *seen, o.eval_k, o.als.threads));
  };
  // Every user's top n of the final model; factor models by default.
  std::function<std::vector<std::vector<math::ScoredItem>>(int)> final_top;

  std::unique_ptr<dist::ExplicitAls> als;
  std::unique_ptr<dist::ImplicitAls> ials;
  math::Matrix no_factors_u, no_factors_i;
  math::Vector zero_bias_u, zero_bias_i, popularity;
  FactorView view{};
  io::Attributes attributes{{"algorithm", o.algo_name}, {"seed", static_cast<std::int64_t>(o.als.seed)}};
  dist::KnnMatrix knn_matrix;
  double knn_rss_max = NAN, sparse_seconds = NAN;
  dist::KnnBaselines baselines;
  math::NeighborLists neighbors;
  io::NeighborSlice neighbor_slice;

  if (o.algo == Algorithm::kPopular) {
    // Items by number of training interactions: a bias-only model.
    no_factors_u.resize(users.rows(), 0);
    no_factors_i.resize(items.rows(), 0);
    zero_bias_u = math::Vector::Zero(users.rows());
    zero_bias_i = math::Vector::Zero(items.rows());
    popularity.resize(items.rows());
    for (Index r = 0; r < items.rows(); ++r) popularity[r] = static_cast<double>(items.ratings.row_nnz(r));
    view = {&no_factors_u, &zero_bias_u, &no_factors_i, &popularity, items.first(), 0.0};
    attributes["global_mean"] = 0.0;
  } else if (o.algo == Algorithm::kContent) {
    // Every rank reads the (small) metadata and builds the same TF-IDF
    // matrix over all items; users are scored where they live.
    const double t0 = MPI_Wtime();
    math::Index matched = 0;
    std::vector<io::ItemDocument> docs = features.aligned(data.item_ids, &matched);
    std::vector<std::string> texts;
    std::vector<std::vector<std::string>> tokens;
    for (auto& d : docs) {
      texts.push_back(std::move(d.text));
      tokens.push_back(std::move(d.tokens));
    }
    auto tfidf = std::make_shared<math::TfidfModel>(math::fit_tfidf(texts, tokens, o.tfidf));
    auto index = std::make_shared<math::ContentIndex>(tfidf->matrix);
    total_seconds = comm.allreduce<double>(MPI_Wtime() - t0, MPI_MAX);
    if (root) {
      std::printf("content: %d of %d items have metadata, %zu terms, TF-IDF in %.2f s\n", matched,
                  data.item_ids.size(), tfidf->vocabulary.size(), total_seconds);
    }
    math::ContentOptions copt{
        o.implicit_profile ? math::ProfileWeight::kConfidence : math::ProfileWeight::kCentered,
        o.als.threads};
    final_top = [&, index, copt](int n) { return math::content_top_n(*index, users.ratings, copt, n); };
    // Item-item cosine neighbours for `hpcrec similar`: the KNN ring over TF-IDF rows.
    {
      const math::CsrBlock mine =
          math::slice_rows(tfidf->matrix, data.items.first(comm.rank()), data.items.count(comm.rank()));
      const math::CsrBlock no_users;
      dist::KnnOptions ko;
      ko.on = dist::KnnOn::kItems;
      ko.similarity.kind = math::SimilarityKind::kCosine;
      ko.similarity.neighbors = 50;
      ko.threads = o.als.threads;
      const auto terms =
          dist::BlockPartition::even(static_cast<Index>(tfidf->vocabulary.size()), comm.size());
      neighbors = dist::compute_neighbors(comm, {&no_users, &mine, terms, data.items}, {}, ko);
    }
    no_factors_u.resize(users.rows(), 0);
    no_factors_i.resize(items.rows(), 0);
    zero_bias_u = math::Vector::Zero(users.rows());
    zero_bias_i = math::Vector::Zero(items.rows());
    view = {&no_factors_u, &zero_bias_u, &no_factors_i, &zero_bias_i, items.first(), 0.0};
    attributes.insert({{"global_mean", 0.0},
                       {"ngram", std::int64_t{o.tfidf.ngram_max}},
                       {"min_df", o.min_df},
                       {"max_df", o.max_df},
                       {"terms", static_cast<std::int64_t>(tfidf->vocabulary.size())}});
  } else if (o.algo == Algorithm::kKnn) {
    knn_matrix = {&users.ratings, &items.ratings, data.users, data.items};
    baselines = dist::fit_baselines(comm, knn_matrix, data.global_mean);
    dist::KnnStats stats;
    neighbors = dist::compute_neighbors(comm, knn_matrix, baselines, o.knn, &stats);
    total_seconds = stats.seconds;
    knn_rss_max = comm.allreduce<double>(peak_rss_bytes(), MPI_MAX);
    if (o.bench_sparse && comm.size() == 1) {
      const auto t = math::time_sparse_gram(items.ratings, data.user_ids.size());
      sparse_seconds = t.seconds;
      if (root) std::printf("bench: sparse X^T X in %.2f s (%.0f nonzeros)\n", t.seconds, t.output_nonzeros);
    }
    if (root) {
      std::printf(
          "knn: %s-based %s similarities (shrink %g, %d neighbours kept) in %.2f s (%.2f s computing), "
          "%.1f MB passed around the ring\n",
          o.knn_on == "items" ? "item" : "user", o.similarity.c_str(), o.knn.similarity.shrink,
          o.knn.similarity.neighbors, stats.seconds, stats.compute_seconds, stats.bytes_sent / 1e6);
    }
    if (has_test) {
      o.knn_predict.clip_min = data.min_rating;
      o.knn_predict.clip_max = data.max_rating;
      const math::ErrorSums err =
          dist::evaluate_knn(comm, knn_matrix, baselines, neighbors, o.knn, data.test, o.knn_predict);
      outcome.metrics.emplace_back("test_rmse", err.rmse());
      outcome.metrics.emplace_back("test_mae", err.mae());
    }
    final_top = [&](int n) { return dist::knn_top_n(comm, knn_matrix, neighbors, o.knn, n); };
    no_factors_u.resize(users.rows(), 0);
    no_factors_i.resize(items.rows(), 0);
    view = {&no_factors_u,        &baselines.user_bias, &no_factors_i,
            &baselines.item_bias, items.first(),        baselines.mu};
    attributes.insert({{"global_mean", baselines.mu},
                       {"knn_on", o.knn_on},
                       {"similarity", o.similarity},
                       {"shrink", o.knn.similarity.shrink},
                       {"min_support", std::int64_t{o.knn.similarity.min_support}},
                       {"neighbors", std::int64_t{o.knn.similarity.neighbors}},
                       {"knn_mean", o.knn_mean},
                       {"k_predict", std::int64_t{o.knn_predict.k_predict}}});
  } else {
    io::Attributes hyper{{"algorithm", o.algo_name},
                         {"factors", std::int64_t{o.als.factors}},
                         {"lambda", o.als.lambda},
                         {"seed", static_cast<std::int64_t>(o.als.seed)}};
    if (o.algo == Algorithm::kAls) {
      hyper["bias_lambda"] = o.als.bias_lambda;
      hyper["reg_scaling"] = o.reg_scaling;
    } else {
      hyper["alpha"] = o.ials.kernel.alpha;
      hyper["confidence"] = o.confidence;
      hyper["eps"] = o.ials.kernel.eps;
      hyper["solver"] = o.solver;
      hyper["cg_steps"] = std::int64_t{o.ials.kernel.cg_steps};
    }
    attributes.insert(hyper.begin(), hyper.end());
    Checkpointing checkpoints(comm, o.checkpoint, hyper, data.user_ids, data.item_ids, data.train,
                              data.global_mean);
    auto after = [&](auto& model, const std::string& row, const std::string& fields, double seconds,
                     double flops, double solve, Offset bytes, int iteration) {
      total_seconds += seconds;
      total_flops += flops;
      total_solve += solve;
      last_bytes = bytes;
      ++iterations_run;
      std::string extra;
      if (o.ranking_every > 0 && has_test && iteration % o.ranking_every == 0) {
        FactorView v = o.algo == Algorithm::kAls
                           ? FactorView{&model.users().factors, &model.users().bias,   &model.items().factors,
                                        &model.items().bias,    model.items().first(), data.global_mean}
                           : FactorView{&model.users().factors, &model.users().bias,   &model.items().factors,
                                        &model.items().bias,    model.items().first(), 0.0};
        seen_storage = model.users().global_ratings();
        seen = &seen_storage;
        auto r = ranking_now(v);
        extra = ", " + ranking_fields(r);
        if (root) std::printf("%s   ndcg@%d %.4f\n", row.c_str(), r.k, r.mean.ndcg);
      } else if (root) {
        std::printf("%s\n", row.c_str());
      }
      if (root) std::fflush(stdout);
      report.json(fold_label + "\"iteration\": " + std::to_string(iteration) +
                  ", \"seconds\": " + num(seconds) + fields + ", \"mb_exchanged\": " + num(bytes / 1e6) +
                  ", \"gflops\": " + num(flops / solve / 1e9) + extra);
      return checkpoints.stop_after_iteration(model);
    };
    char row[160];
    if (o.algo == Algorithm::kAls) {
      o.als.clip_min = data.min_rating;
      o.als.clip_max = data.max_rating;
      dist::TestSet test = dist::place_test_ratings(comm, data.test, data.users, data.items);
      als = std::make_unique<dist::ExplicitAls>(comm, std::move(users), std::move(items), std::move(test),
                                                data.global_mean, o.als);
      checkpoints.resume(*als);
      if (root)
        std::printf("%5s %11s %11s %9s %12s\n", "iter", "train_rmse", "test_rmse", "seconds", "MB_exchanged");
      dist::IterationStats s;
      while (als->iterations_done() < o.iterations) {
        s = als->iterate();
        std::snprintf(row, sizeof row, "%5d %11.5f %11s %9.3f %12.2f", s.iteration, s.train.rmse(),
                      s.test.count ? num(s.test.rmse()).c_str() : "-", s.seconds, s.bytes_exchanged / 1e6);
        const std::string fields = ", \"train_rmse\": " + num(s.train.rmse()) +
                                   ", \"test_rmse\": " + (s.test.count ? num(s.test.rmse()) : "null") +
                                   ", \"test_mae\": " + (s.test.count ? num(s.test.mae()) : "null");
        if (after(*als, row, fields, s.seconds, s.flops, s.solve_seconds, s.bytes_exchanged, s.iteration))
          return kExitPreempted;
      }
      outcome.metrics.emplace_back("train_rmse", s.train.rmse());
      if (s.test.count) {
        outcome.metrics.emplace_back("test_rmse", s.test.rmse());
        outcome.metrics.emplace_back("test_mae", s.test.mae());
      }
      view = {&als->users().factors, &als->users().bias,   &als->items().factors,
              &als->items().bias,    als->items().first(), data.global_mean};
      seen_storage = als->users().global_ratings();
      seen = &seen_storage;
      attributes["global_mean"] = data.global_mean;
      attributes["rating_min"] = static_cast<double>(data.min_rating);
      attributes["rating_max"] = static_cast<double>(data.max_rating);
    } else {
      ials = std::make_unique<dist::ImplicitAls>(comm, std::move(users), std::move(items), o.ials);
      checkpoints.resume(*ials);
      if (root) std::printf("%5s %14s %9s %12s\n", "iter", "loss", "seconds", "MB_exchanged");
      dist::ImplicitIterationStats s;
      while (ials->iterations_done() < o.iterations) {
        s = ials->iterate();
        std::snprintf(row, sizeof row, "%5d %14.6g %9.3f %12.2f", s.iteration, s.loss, s.seconds,
                      s.bytes_exchanged / 1e6);
        if (after(*ials, row, ", \"loss\": " + num(s.loss), s.seconds, s.flops, s.solve_seconds,
                  s.bytes_exchanged, s.iteration))
          return kExitPreempted;
      }
      outcome.metrics.emplace_back("loss", s.loss);
      view = {&ials->users().factors, &ials->users().bias,   &ials->items().factors,
              &ials->items().bias,    ials->items().first(), 0.0};
      seen_storage = ials->users().global_ratings();
      seen = &seen_storage;
      attributes["global_mean"] = 0.0;
    }
    attributes["iterations"] = static_cast<std::int64_t>(o.iterations);
  }

  if (!final_top) final_top = [&](int n) { return top_lists(comm, view, *seen, n, o.als.threads); };
  if (o.algo == Algorithm::kKnn || o.algo == Algorithm::kContent) {
    // Neighbour lists for the model file: K slots a row (the longest list).
    int k = 0;
    for (Index r = 0; r < neighbors.rows(); ++r) k = std::max(k, static_cast<int>(neighbors.row(r).size()));
    k = comm.allreduce<int>(k, MPI_MAX);
    neighbor_slice.side = o.algo == Algorithm::kKnn && o.knn_on == "users" ? "users" : "items";
    neighbor_slice.first = neighbors.first_row;
    neighbor_slice.rows = neighbors.rows();
    neighbor_slice.k = k;
    const size_t slots = static_cast<size_t>(neighbor_slice.rows) * k;
    neighbor_slice.index.assign(slots, -1);
    neighbor_slice.similarity.assign(slots, std::nan(""));
    neighbor_slice.support.assign(slots, 0);
    for (Index r = 0; r < neighbors.rows(); ++r) {
      const auto row = neighbors.row(r);
      for (size_t j = 0; j < row.size(); ++j) {
        neighbor_slice.index[static_cast<size_t>(r) * k + j] = row[j].id;
        neighbor_slice.similarity[static_cast<size_t>(r) * k + j] = row[j].sim;
        neighbor_slice.support[static_cast<size_t>(r) * k + j] = row[j].support;
      }
    }
  }

  // Final evaluation: ranking metrics over the test users.
  if (has_test) {
    auto r = ranking_of(final_top(o.eval_k));
    for (auto& [key, value] :
         std::vector<std::pair<std::string, double>>{{"precision_at_k", r.mean.precision},
                                                     {"recall_at_k", r.mean.recall},
                                                     {"ndcg_at_k", r.mean.ndcg},
                                                     {"map_at_k", r.mean.map},
                                                     {"hit_rate_at_k", r.mean.hit_rate},
                                                     {"coverage_at_k", r.coverage}})
      outcome.metrics.emplace_back(key, value);
    if (root) {
      std::printf(
          "ranking@%d over %lld test users: precision %.4f  recall %.4f  ndcg %.4f  map %.4f  "
          "hit_rate %.4f  coverage %.4f\n",
          r.k, static_cast<long long>(r.users), r.mean.precision, r.mean.recall, r.mean.ndcg, r.mean.map,
          r.mean.hit_rate, r.coverage);
    }
  }
  if (root) {
    std::printf("final:");
    for (auto& [key, value] : outcome.metrics) std::printf(" %s %.4f", key.c_str(), value);
    std::printf("; %.2f s training\n", total_seconds);
  }

  // Resource figures for benchmarks.
  const double rss_max = comm.allreduce<double>(peak_rss_bytes(), MPI_MAX);
  const double rss_sum = comm.allreduce<double>(peak_rss_bytes(), MPI_SUM);
  double dense = NAN;
  if (o.bench_dense) dense = comm.allreduce<double>(math::dense_product_gflops(), MPI_MIN);
  {
    std::string fields = fold_label + "\"final\": true, \"iteration\": " + std::to_string(o.iterations) +
                         ", \"seconds\": " + num(total_seconds);
    bool has_rmse = false;
    for (auto& [key, value] : outcome.metrics) {
      fields += ", \"" + key + "\": " + num(value);
      has_rmse |= key == "test_rmse";
    }
    if (o.algo == Algorithm::kAls && !has_rmse) fields += ", \"test_rmse\": null, \"test_mae\": null";
    if (has_test) fields += ", \"k\": " + std::to_string(o.eval_k);
    const double iters = std::max(iterations_run, 1);
    fields +=
        ", \"ranks\": " + std::to_string(comm.size()) + ", \"threads\": " + std::to_string(o.als.threads) +
        ", \"ratings\": " + std::to_string(data.train) +
        ", \"seconds_per_iteration\": " + num(total_seconds / iters) +
        ", \"solver_gflops\": " + num(total_flops / total_solve / 1e9) + ", \"dense_gflops\": " + num(dense) +
        ", \"parse_mb_per_s\": " + num(data.bytes_read / 1e6 / data.read_seconds) +
        ", \"mb_exchanged_per_iteration\": " + num(last_bytes / 1e6) +
        ", \"peak_rss_mb_max_rank\": " + num(rss_max / 1e6) +
        ", \"peak_rss_bytes_per_rating\": " + num(rss_sum / static_cast<double>(data.train));
    if (o.algo == Algorithm::kKnn)
      fields += ", \"similarity_seconds\": " + num(total_seconds) +
                ", \"similarity_peak_rss_mb_max_rank\": " + num(knn_rss_max / 1e6) +
                ", \"sparse_gram_seconds\": " + num(sparse_seconds);
    report.json(fields);
  }

  if (!o.model.empty()) {
    io::ModelSlice slice;
    slice.attributes = attributes;
    slice.users = {&data.user_ids, data.users.first(comm.rank()), view.user_factors, view.user_bias};
    slice.items = {&data.item_ids, view.first_item, view.item_factors, view.item_bias};
    slice.train = seen;
    if (o.algo == Algorithm::kKnn || o.algo == Algorithm::kContent) slice.neighbors = &neighbor_slice;
    io::write_model(comm, o.model, slice);
    if (root) std::printf("model: %s\n", o.model.c_str());
  }
  if (!o.recommendations.empty()) {
    const double t0 = MPI_Wtime();
    auto best = final_top(o.top_n);
    io::TopNSlice slice;
    slice.first_user = data.users.first(comm.rank());
    slice.users = data.users.count(comm.rank());
    slice.n = o.top_n;
    slice.items.assign(static_cast<size_t>(slice.users) * o.top_n, -1);
    slice.scores.assign(slice.items.size(), std::nan(""));
    for (Index u = 0; u < slice.users; ++u) {
      for (size_t j = 0; j < best[u].size(); ++j) {
        slice.items[static_cast<size_t>(u) * o.top_n + j] = best[u][j].item;
        slice.scores[static_cast<size_t>(u) * o.top_n + j] = best[u][j].score;
      }
    }
    io::write_topn(comm, o.recommendations, slice, data.user_ids, data.item_ids);
    const double secs = comm.allreduce<double>(MPI_Wtime() - t0, MPI_MAX);
    if (root)
      std::printf("recommendations: %s (top %d for %d users, %.2f s)\n", o.recommendations.c_str(), o.top_n,
                  data.user_ids.size(), secs);
  }
  return kExitOk;
}

}  // namespace

int run_train(const Args& args, const dist::Communicator& comm) {
  TrainOptions o;
  bool go = true;
  dist::collective_phase(comm, [&] { go = parse_train_options(args, o, comm.rank() == 0); });
  if (!go) return kExitOk;
  const bool resuming = !o.checkpoint.resume.empty();
  Report report(comm, o.metrics_out, resuming);
  if (o.folds <= 1) {
    Outcome outcome;
    return train_and_evaluate(comm, o, o.data, report, outcome, "");
  }

  // Cross-validation: fold f holds out the ratings whose split hash falls in
  // [f / N, (f + 1) / N); the same folds at any rank count.
  std::vector<Outcome> outcomes(static_cast<size_t>(o.folds));
  for (int f = 0; f < o.folds; ++f) {
    DataOptions d = o.data;
    d.split.kind = math::SplitKind::kFold;
    d.split.folds = o.folds;
    d.split.fold = f;
    d.split.seed = o.split.seed;
    if (comm.rank() == 0) std::printf("== fold %d of %d ==\n", f + 1, o.folds);
    const int status =
        train_and_evaluate(comm, o, d, report, outcomes[f], "\"fold\": " + std::to_string(f) + ", ");
    if (status != kExitOk) return status;
  }
  std::string fields = "\"cv\": true, \"folds\": " + std::to_string(o.folds);
  if (comm.rank() == 0) std::printf("cross-validation over %d folds (mean +- std):\n", o.folds);
  for (size_t m = 0; m < outcomes[0].metrics.size(); ++m) {
    double sum = 0, sq = 0;
    for (const auto& oc : outcomes) sum += oc.metrics[m].second;
    const double mean = sum / o.folds;
    for (const auto& oc : outcomes) sq += (oc.metrics[m].second - mean) * (oc.metrics[m].second - mean);
    const double sd = std::sqrt(sq / (o.folds - 1));
    const std::string& key = outcomes[0].metrics[m].first;
    if (comm.rank() == 0) std::printf("  %-16s %.4f +- %.4f\n", key.c_str(), mean, sd);
    fields += ", \"" + key + "\": " + num(mean) + ", \"" + key + "_std\": " + num(sd);
  }
  report.json(fields);
  return kExitOk;
}

}  // namespace hpcrec::app
