#include "app/fitted_model.hpp"

#include <cstdio>

#include "app/checkpointing.hpp"
#include "app/commands.hpp"
#include "app/resources.hpp"
#include "mpi/evaluation.hpp"
#include "mpi/topn_driver.hpp"
#include "src/sparse_reference.hpp"

namespace hpcrec::app {

namespace {

using math::Index;

TopLists factor_top(const dist::Communicator& comm, const FactorView& m, const math::CsrBlock& seen, int n,
                    int threads) {
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

void no_factors(Fitted& m) {
  m.no_factors_u.resize(m.users.rows(), 0);
  m.no_factors_i.resize(m.items.rows(), 0);
  m.zero_bias_u = math::Vector::Zero(m.users.rows());
  m.zero_bias_i = math::Vector::Zero(m.items.rows());
}

void fit_popular(Fitted& m) {
  // Items by number of training interactions: a bias-only model.
  no_factors(m);
  m.popularity.resize(m.items.rows());
  for (Index r = 0; r < m.items.rows(); ++r)
    m.popularity[r] = static_cast<double>(m.items.ratings.row_nnz(r));
  m.view = {&m.no_factors_u, &m.zero_bias_u, &m.no_factors_i, &m.popularity, m.items.first(), 0.0};
  m.attributes["global_mean"] = 0.0;
}

void fit_content(const dist::Communicator& comm, const TrainOptions& o, const FitContext& ctx, Fitted& m) {
  // Every rank holds the same TF-IDF matrix over all items; users are scored
  // where they live.
  const TrainingData& data = *ctx.data;
  const ItemContent& content = *ctx.content;
  const double t0 = MPI_Wtime();
  m.content = std::make_shared<math::ContentIndex>(content.rows);
  math::ContentOptions copt{
      o.implicit_profile ? math::ProfileWeight::kConfidence : math::ProfileWeight::kCentered, o.als.threads};
  m.top = [&m, copt](int n) { return math::content_top_n(*m.content, m.users.ratings, copt, n); };
  // Item-item cosine neighbours for `hpcrec similar`, stored in the model:
  // the KNN ring over TF-IDF rows.
  if (!o.model.empty()) {
    const math::CsrBlock mine =
        math::slice_rows(content.rows, data.items.first(comm.rank()), data.items.count(comm.rank()));
    const math::CsrBlock no_users;
    dist::KnnOptions ko;
    ko.on = dist::KnnOn::kItems;
    ko.similarity.kind = math::SimilarityKind::kCosine;
    ko.similarity.neighbors = 50;
    ko.threads = o.als.threads;
    const auto terms = dist::BlockPartition::even(content.columns, comm.size());
    m.neighbors = dist::compute_neighbors(comm, {&no_users, &mine, terms, data.items}, {}, ko);
  }
  m.seconds = comm.allreduce<double>(MPI_Wtime() - t0, MPI_MAX);
  no_factors(m);
  m.view = {&m.no_factors_u, &m.zero_bias_u, &m.no_factors_i, &m.zero_bias_i, m.items.first(), 0.0};
  m.attributes["global_mean"] = 0.0;
  if (content.from_embeddings) {
    m.attributes.insert({{"item_embeddings", o.item_embeddings},
                         {"embedding_dimension", static_cast<std::int64_t>(content.columns)}});
  } else {
    m.attributes.insert({{"ngram", std::int64_t{o.tfidf.ngram_max}},
                         {"min_df", o.min_df},
                         {"max_df", o.max_df},
                         {"terms", static_cast<std::int64_t>(content.columns)}});
  }
}

void fit_knn(const dist::Communicator& comm, TrainOptions& o, const FitContext& ctx,
             std::vector<std::pair<std::string, double>>& metrics, Fitted& m) {
  const TrainingData& data = *ctx.data;
  const bool root = comm.rank() == 0;
  m.knn_matrix = {&m.users.ratings, &m.items.ratings, data.users, data.items};
  m.baselines = dist::fit_baselines(comm, m.knn_matrix, data.global_mean);
  dist::KnnStats stats;
  m.neighbors = dist::compute_neighbors(comm, m.knn_matrix, m.baselines, o.knn, &stats);
  m.seconds = stats.seconds;
  m.knn_rss_max = comm.allreduce<double>(peak_rss_bytes(), MPI_MAX);
  if (o.bench_sparse && comm.size() == 1) {
    const auto t = math::time_sparse_gram(m.items.ratings, data.user_ids.size());
    m.sparse_seconds = t.seconds;
    if (root) std::printf("bench: sparse X^T X in %.2f s (%.0f nonzeros)\n", t.seconds, t.output_nonzeros);
  }
  if (root) {
    std::printf(
        "knn: %s-based %s similarities (shrink %g, %d neighbours kept) in %.2f s (%.2f s computing), "
        "%.1f MB passed around the ring\n",
        o.knn_on == "items" ? "item" : "user", o.similarity.c_str(), o.knn.similarity.shrink,
        o.knn.similarity.neighbors, stats.seconds, stats.compute_seconds, stats.bytes_sent / 1e6);
  }
  if (data.test_count > 0) {
    o.knn_predict.clip_min = data.min_rating;
    o.knn_predict.clip_max = data.max_rating;
    const math::ErrorSums err =
        dist::evaluate_knn(comm, m.knn_matrix, m.baselines, m.neighbors, o.knn, data.test, o.knn_predict);
    metrics.emplace_back("test_rmse", err.rmse());
    metrics.emplace_back("test_mae", err.mae());
  }
  m.top = [&comm, &m, &o](int n) { return dist::knn_top_n(comm, m.knn_matrix, m.neighbors, o.knn, n); };
  m.no_factors_u.resize(m.users.rows(), 0);
  m.no_factors_i.resize(m.items.rows(), 0);
  m.view = {&m.no_factors_u,        &m.baselines.user_bias, &m.no_factors_i,
            &m.baselines.item_bias, m.items.first(),        m.baselines.mu};
  m.attributes.insert({{"global_mean", m.baselines.mu},
                       {"knn_on", o.knn_on},
                       {"similarity", o.similarity},
                       {"shrink", o.knn.similarity.shrink},
                       {"min_support", std::int64_t{o.knn.similarity.min_support}},
                       {"neighbors", std::int64_t{o.knn.similarity.neighbors}},
                       {"knn_mean", o.knn_mean},
                       {"k_predict", std::int64_t{o.knn_predict.k_predict}}});
}

// als and ials: iterations with a table row, JSON line and checkpoint each.
int fit_factors(const dist::Communicator& comm, TrainOptions& o, Algorithm algo, const FitContext& ctx,
                std::vector<std::pair<std::string, double>>& metrics, Fitted& m) {
  const TrainingData& data = *ctx.data;
  const bool root = comm.rank() == 0;
  const bool explicit_als = algo == Algorithm::kAls;
  io::Attributes hyper{{"algorithm", m.name},
                       {"factors", std::int64_t{o.als.factors}},
                       {"lambda", o.als.lambda},
                       {"seed", static_cast<std::int64_t>(o.als.seed)}};
  if (explicit_als) {
    hyper["bias_lambda"] = o.als.bias_lambda;
    hyper["reg_scaling"] = o.reg_scaling;
  } else {
    hyper["alpha"] = o.ials.kernel.alpha;
    hyper["confidence"] = o.confidence;
    hyper["eps"] = o.ials.kernel.eps;
    hyper["solver"] = o.solver;
    hyper["cg_steps"] = std::int64_t{o.ials.kernel.cg_steps};
  }
  m.attributes.insert(hyper.begin(), hyper.end());
  CheckpointOptions copt = ctx.checkpoints ? o.checkpoint : CheckpointOptions{};
  Checkpointing checkpoints(comm, copt, hyper, data.user_ids, data.item_ids, data.train, data.global_mean);
  const double mu = explicit_als ? data.global_mean : 0.0;
  auto view_of = [&](auto& model) {
    return FactorView{&model.users().factors, &model.users().bias,   &model.items().factors,
                      &model.items().bias,    model.items().first(), mu};
  };
  auto after = [&](auto& model, const std::string& row, const std::string& fields, double seconds,
                   double flops, double solve, math::Offset bytes, int iteration) {
    m.seconds += seconds;
    m.flops += flops;
    m.solve_seconds += solve;
    m.last_bytes = bytes;
    ++m.iterations_run;
    std::string extra;
    if (o.ranking_every > 0 && data.test_count > 0 && iteration % o.ranking_every == 0) {
      m.seen_storage = model.users().global_ratings();
      auto r = dist::evaluate_ranking(
          comm, factor_top(comm, view_of(model), m.seen_storage, o.eval_k, o.als.threads), *ctx.ranking_test,
          data.users, data.item_ids.size(), o.eval_k, o.relevance_threshold);
      extra = ", " + ranking_fields(r);
      if (root) std::printf("%s   ndcg@%d %.4f\n", row.c_str(), r.k, r.mean.ndcg);
    } else if (root) {
      std::printf("%s\n", row.c_str());
    }
    if (root) std::fflush(stdout);
    ctx.report->json(ctx.label + "\"iteration\": " + std::to_string(iteration) +
                     ", \"seconds\": " + num(seconds) + fields + ", \"mb_exchanged\": " + num(bytes / 1e6) +
                     ", \"gflops\": " + num(flops / solve / 1e9) + extra);
    return checkpoints.stop_after_iteration(model);
  };
  char row[160];
  if (explicit_als) {
    o.als.clip_min = data.min_rating;
    o.als.clip_max = data.max_rating;
    dist::TestSet test = dist::place_test_ratings(comm, data.test, data.users, data.items);
    m.als = std::make_unique<dist::ExplicitAls>(comm, std::move(m.users), std::move(m.items), std::move(test),
                                                data.global_mean, o.als);
    checkpoints.resume(*m.als);
    if (root)
      std::printf("%5s %11s %11s %9s %12s\n", "iter", "train_rmse", "test_rmse", "seconds", "MB_exchanged");
    dist::IterationStats s;
    while (m.als->iterations_done() < o.iterations) {
      s = m.als->iterate();
      std::snprintf(row, sizeof row, "%5d %11.5f %11s %9.3f %12.2f", s.iteration, s.train.rmse(),
                    s.test.count ? num(s.test.rmse()).c_str() : "-", s.seconds, s.bytes_exchanged / 1e6);
      const std::string fields = ", \"train_rmse\": " + num(s.train.rmse()) +
                                 ", \"test_rmse\": " + (s.test.count ? num(s.test.rmse()) : "null") +
                                 ", \"test_mae\": " + (s.test.count ? num(s.test.mae()) : "null");
      if (after(*m.als, row, fields, s.seconds, s.flops, s.solve_seconds, s.bytes_exchanged, s.iteration))
        return kExitPreempted;
    }
    metrics.emplace_back("train_rmse", s.train.rmse());
    if (s.test.count) {
      metrics.emplace_back("test_rmse", s.test.rmse());
      metrics.emplace_back("test_mae", s.test.mae());
    }
    m.view = view_of(*m.als);
    m.seen_storage = m.als->users().global_ratings();
    m.attributes["global_mean"] = data.global_mean;
    m.attributes["rating_min"] = static_cast<double>(data.min_rating);
    m.attributes["rating_max"] = static_cast<double>(data.max_rating);
  } else {
    m.ials = std::make_unique<dist::ImplicitAls>(comm, std::move(m.users), std::move(m.items), o.ials);
    checkpoints.resume(*m.ials);
    if (root) std::printf("%5s %14s %9s %12s\n", "iter", "loss", "seconds", "MB_exchanged");
    dist::ImplicitIterationStats s;
    while (m.ials->iterations_done() < o.iterations) {
      s = m.ials->iterate();
      std::snprintf(row, sizeof row, "%5d %14.6g %9.3f %12.2f", s.iteration, s.loss, s.seconds,
                    s.bytes_exchanged / 1e6);
      if (after(*m.ials, row, ", \"loss\": " + num(s.loss), s.seconds, s.flops, s.solve_seconds,
                s.bytes_exchanged, s.iteration))
        return kExitPreempted;
    }
    metrics.emplace_back("loss", s.loss);
    m.view = view_of(*m.ials);
    m.seen_storage = m.ials->users().global_ratings();
    m.attributes["global_mean"] = 0.0;
  }
  m.seen = &m.seen_storage;
  m.attributes["iterations"] = static_cast<std::int64_t>(o.iterations);
  return kExitOk;
}

}  // namespace

int fit_model(const dist::Communicator& comm, TrainOptions& o, Algorithm algo, const FitContext& ctx,
              dist::AlsSide users, dist::AlsSide items, std::vector<std::pair<std::string, double>>& metrics,
              Fitted& m) {
  m.algo = algo;
  m.name = algorithm_name(algo);
  m.users = std::move(users);
  m.items = std::move(items);
  m.seen = &m.users.ratings;
  m.attributes = {{"algorithm", m.name}, {"seed", static_cast<std::int64_t>(o.als.seed)}};
  int status = kExitOk;
  switch (algo) {
    case Algorithm::kPopular:
      fit_popular(m);
      break;
    case Algorithm::kContent:
      fit_content(comm, o, ctx, m);
      break;
    case Algorithm::kKnn:
      fit_knn(comm, o, ctx, metrics, m);
      break;
    case Algorithm::kAls:
    case Algorithm::kImplicitAls:
      status = fit_factors(comm, o, algo, ctx, metrics, m);
      break;
    case Algorithm::kHybrid:
      throw std::logic_error("fit_model: a hybrid is fitted by its components");
  }
  if (!m.top) {
    m.top = [&comm, &m, &o](int n) { return factor_top(comm, m.view, *m.seen, n, o.als.threads); };
  }
  return status;
}

}  // namespace hpcrec::app
