// hpcrec train: read -> distribute -> train (one model, or a hybrid's) ->
// evaluate -> model + top-N. Wiring only: the work is in io/, mpi/, src/.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <memory>

#include "app/commands.hpp"
#include "app/item_content.hpp"
#include "app/item_titles.hpp"
#include "app/model.hpp"
#include "app/progress.hpp"
#include "app/resources.hpp"
#include "app/serving.hpp"
#include "app/test_sets.hpp"
#include "app/train_options.hpp"
#include "app/train_report.hpp"
#include "app/training_data.hpp"
#include "mpi/exact_reduce.hpp"
#include "mpi/failure.hpp"
#include "src/als_implicit.hpp"
#include "src/dense_reference.hpp"

namespace hpcrec::app {

namespace {

using math::Index;
using math::Offset;

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
  if (data.cold_count) std::printf(", %lld cold items held out", static_cast<long long>(data.cold_count));
  std::printf("\n");
}

// The model's hyper-parameters as it will store them, on rank 0: the run
// header's second line. Figures the data decides (the mean, the range, ...)
// are left out: they are not settings and are not known yet.
void print_settings(const dist::Communicator& comm, const Model& model) {
  if (comm.rank() != 0) return;
  std::string line = "  " + model.name() + ":";
  for (const auto& [key, value] : model.attributes()) {
    if (key == "algorithm" || key == "global_mean" || key == "rating_min" || key == "rating_max" ||
        key == "residual_sd" || key == "format_version" || key == "blend_intercept")
      continue;
    line += " " + key + " ";
    if (const auto* i = std::get_if<std::int64_t>(&value))
      line += std::to_string(*i);
    else if (const auto* d = std::get_if<double>(&value))
      line += num(*d);
    else
      line += std::get<std::string>(value);
  }
  std::printf("%s\n", line.c_str());
}

// --split strong: `data` without the held-out users' ratings (their rows
// empty, their columns gone from the item rows), and without test ratings
// (they are the held-out users' and are evaluated after fold-in).
TrainingData without_strong_users(const dist::Communicator& comm, const TrainingData& data,
                                  const math::SplitSpec& spec) {
  TrainingData out = data;
  out.test.clear();
  out.test_count = 0;
  auto keep_rows = [&](math::CsrBlock& b, bool rows_are_users) {
    math::CsrBlock k;
    k.first_row = b.first_row;
    for (Index r = 0; r < b.rows(); ++r) {
      const auto cols = b.row_cols(r);
      const auto vals = b.row_values(r);
      if (!rows_are_users || !math::strong_user(spec, b.first_row + r)) {
        for (size_t j = 0; j < cols.size(); ++j) {
          if (!rows_are_users && math::strong_user(spec, cols[j])) continue;
          k.cols.push_back(cols[j]);
          k.values.push_back(vals[j]);
        }
      }
      k.indptr.push_back(static_cast<Offset>(k.cols.size()));
    }
    b = std::move(k);
  };
  keep_rows(out.by_user, true);
  keep_rows(out.by_item, false);
  out.train = comm.allreduce<Offset>(out.by_user.nnz(), MPI_SUM);
  return out;
}

// --split strong: the held-out users' lists, each folded in from its given
// ratings (its rows of data.by_user) into the model fitted on `fitted`; the
// other users' lists are empty (they have no test ratings).
TopLists strong_lists(const dist::Communicator& comm, const Model& model, const TrainingData& data,
                      const TrainingData& fitted, const TrainOptions& o) {
  UserBatch held;
  held.all = false;
  for (Index r = 0; r < data.by_user.rows(); ++r)
    if (math::strong_user(o.data.split, data.by_user.first_row + r)) held.rows.push_back(r);
  const math::CsrBlock histories = batch_rows(data.by_user, held);
  UserBatch given;
  given.histories = &histories;
  const TopLists folded = model.recommend(comm, fitted, given, o.eval_k, ItemFilter{});
  TopLists lists(static_cast<size_t>(data.by_user.rows()));
  for (size_t j = 0; j < held.rows.size(); ++j) lists[static_cast<size_t>(held.rows[j])] = folded[j];
  const Index users = comm.allreduce<Index>(static_cast<Index>(held.rows.size()), MPI_SUM);
  if (comm.rank() == 0)
    std::printf("strong split: %d held-out users folded in from their given ratings\n", users);
  return lists;
}

// Whether the run trains `a`, alone or as a hybrid's part (ials' automatic
// choices are printed only then; the memory check is for factor models).
bool trains(const TrainOptions& o, Algorithm a) {
  return o.algo == a || std::count(o.blend_models.begin(), o.blend_models.end(), a) > 0;
}

// als and ials (alone or in a hybrid) need memory that grows with k^2 per
// thread: estimated here, before training, so that an impossible --factors
// is refused with the figure (exit 2) instead of ending in std::bad_alloc
// (or the OOM killer) minutes later. A rough upper bound per rank: its
// share of both sides' factors twice (old and new), every counterpart row
// it may receive, and per thread two padded (k+1) x (k+1) systems plus the
// k x k Gram matrix and its padded copy.
void check_memory(const dist::Communicator& comm, const TrainingData& data, const TrainOptions& o) {
  const bool bpmf = trains(o, Algorithm::kBpmf);
  if (!trains(o, Algorithm::kAls) && !trains(o, Algorithm::kImplicitAls) && !bpmf) return;
  const double k = o.als.factors, m = data.user_ids.size(), n = data.item_ids.size();
  const double threads = std::max(o.als.threads, 1), ranks = comm.size();
  // bpmf also keeps every kept sample's rows ((k + 1) values each), twice
  // while a checkpoint or the model is written.
  const double kept = bpmf ? 2.0 * o.bpmf.kept_capacity() * (k + 1) / k : 0.0;
  const double factor_bytes = 8.0 * k * ((2.0 + kept) * (m + n) / ranks + std::max(m, n));
  const double system_bytes = 8.0 * (2.0 * threads + 2.0) * (k + 1.0) * (k + 1.0);
  const double per_rank = factor_bytes + system_bytes;
  MPI_Comm node = MPI_COMM_NULL;
  HPCREC_MPI(MPI_Comm_split_type(comm.raw(), MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node));
  int node_ranks = 1;
  HPCREC_MPI(MPI_Comm_size(node, &node_ranks));
  HPCREC_MPI(MPI_Comm_free(&node));
  dist::collective_phase(comm, [&] {
    if (comm.rank() != 0) return;
    const double avail = available_memory_bytes();
    const double need = per_rank * node_ranks;
    if (avail <= 0 || need <= avail) return;
    char buf[512];
    std::snprintf(buf, sizeof buf,
                  "--factors %d: training needs about %.1f GB of memory per rank (factors %.1f GB, %.0f "
                  "k x k systems for %d thread(s) %.1f GB), %.1f GB for the %d rank(s) on this node, but "
                  "%.1f GB is available; lower --factors or --threads, or spread the ranks over more nodes",
                  o.als.factors, per_rank / 1e9, factor_bytes / 1e9, 2.0 * threads + 2.0, o.als.threads,
                  system_bytes / 1e9, need / 1e9, node_ranks, avail / 1e9);
    throw InputError(buf);
  });
}

// Trains, evaluates and writes one model (or a hybrid's models); its final
// metrics go to `outcome`. Returns the exit status (kExitPreempted when a
// stop signal ended the training after a checkpoint).
int train_and_evaluate(const dist::Communicator& comm, TrainOptions& o, const DataOptions& data_options,
                       Report& report, Outcome& outcome, const Record& fold_label, const WarmStart* warm) {
  const bool root = comm.rank() == 0;
  const double t_start = MPI_Wtime();
  // Content models know items from their metadata too: those without
  // ratings (cold start) join the item map, so they can be recommended.
  ItemContent content;
  DataOptions load_options = data_options;
  const bool with_content = needs_content(o);
  if (with_content) {
    read_content(comm, o, content);
    load_options.extra_items = &content.ids;
  }
  TrainingData data;
  {
    Progress step(comm, "reading and distributing the ratings");
    data = load_training_data(comm, load_options);
  }
  print_data_summary(comm, data, o);
  check_memory(comm, data, o);
  // Before any model is made from `o` (with --folds: on the first fold's
  // data, and every fold then uses that choice).
  resolve_confidence(comm, data, o);
  resolve_ials_lambda(comm, data, o);
  if (with_content) build_content(comm, o, data, content);
  const TestSets tests = split_tests(comm, data, o.min_history);
  const bool has_test = data.test_count > 0;
  FitContext ctx;
  ctx.data = &data;
  ctx.run = &o;
  ctx.content = &content;
  ctx.ranking_test = &tests.warm;
  ctx.tests = &tests;
  ctx.report = &report;
  ctx.label = fold_label;
  ctx.warm = warm;

  // --split strong: the model never sees the held-out users; their given
  // ratings stay in `data` as the histories they are folded in from.
  const bool strong = o.data.split.kind == math::SplitKind::kStrong;
  TrainingData trained;
  if (strong) {
    trained = without_strong_users(comm, data, o.data.split);
    ctx.data = &trained;
  }
  TrainingData& fitted = strong ? trained : data;

  std::unique_ptr<Model> model = make_model(o.algo_name, o);
  print_settings(comm, *model);
  const double t_fit = MPI_Wtime();
  const int status = model->fit(comm, ctx, outcome.metrics);
  if (status != kExitOk) return status;
  const double t_evaluate = MPI_Wtime();

  // Final evaluation: ranking metrics over the test users.
  if (has_test) {
    Progress step(comm, "evaluation");
    TopLists lists;
    std::string what = model->parts().empty() ? "ranking" : "ranking " + model->name();
    if (strong) {
      lists = strong_lists(comm, *model, data, fitted, o);
      what += " (held-out users folded in)";
    } else {
      lists = model->recommend(comm, data, UserBatch{}, o.eval_k, ItemFilter{});
    }
    for (auto& kv : evaluate_lists(comm, data, tests, lists, o.eval_k, o.relevance_threshold, what))
      outcome.metrics.push_back(kv);
  }
  const FitFigures& fig = model->figures();
  const int iterations_run = fig.iterations_run;
  if (root) {
    std::printf("final:");
    for (auto& [key, value] : outcome.metrics) std::printf(" %s %.4f", key.c_str(), value);
    if (outcome.metrics.empty()) std::printf(" no metrics (no test data)");
    std::printf("; %.2f s training\n", fig.seconds);
  }

  // Resource figures for benchmarks.
  const double rss_max = comm.allreduce<double>(peak_rss_bytes(), MPI_MAX);
  const double rss_sum = comm.allreduce<double>(peak_rss_bytes(), MPI_SUM);
  Record yardsticks;
  if (o.bench_dense) add_yardstick_fields(comm, yardsticks);
  {
    Record fields = fold_label;
    fields["final"] = true;
    fields["iteration"] = o.iterations;
    fields["seconds"] = fig.seconds;
    bool has_rmse = false;
    for (auto& [key, value] : outcome.metrics) {
      fields[key] = value;
      has_rmse |= key == "test_rmse";
    }
    if (model->predicts_ratings() && !has_rmse) {
      fields["test_rmse"] = nullptr;
      fields["test_mae"] = nullptr;
    }
    if (has_test) fields["k"] = o.eval_k;
    const double iters = std::max(iterations_run, 1);
    fields["ratings"] = data.train;
    fields["seconds_per_iteration"] = fig.seconds / iters;
    fields["solver_gflops"] = fig.flops / fig.solve_seconds / 1e9;
    fields["dense_gflops"] = NAN;
    for (auto& [key, value] : yardsticks.items()) fields[key] = value;
    fields["parse_mb_per_s"] = data.bytes_read / 1e6 / data.read_seconds;
    fields["mb_exchanged_per_iteration"] = fig.last_bytes / 1e6;
    fields["peak_rss_mb_max_rank"] = rss_max / 1e6;
    fields["peak_rss_bytes_per_rating"] = rss_sum / static_cast<double>(data.train);
    if (!std::isnan(fig.knn_rss_max)) {
      fields["similarity_seconds"] = fig.seconds;
      fields["similarity_peak_rss_mb_max_rank"] = fig.knn_rss_max / 1e6;
      fields["sparse_gram_seconds"] = fig.sparse_seconds;
    }
    report.json(fields);
  }

  const double t_write = MPI_Wtime();
  std::vector<std::string> titles;
  if (!o.model.empty() || !o.recommendations.empty()) titles = item_titles(comm, o, data, warm);
  if (!o.model.empty()) {
    {
      Progress step(comm, "writing the model");
      save_model_file(comm, o.model, *model, fitted, titles);
    }
    if (root) std::printf("model: %s\n", o.model.c_str());
  }
  if (!o.recommendations.empty()) {
    const double t0 = MPI_Wtime();
    write_lists(comm, o.recommendations, fitted,
                serve(comm, *model, fitted, UserBatch{}, o.top_n, ItemFilter{}), o.top_n, titles,
                report.context());
    const double secs = comm.allreduce<double>(MPI_Wtime() - t0, MPI_MAX);
    if (root)
      std::printf("recommendations: %s (top %d for %d users, %.2f s)\n", o.recommendations.c_str(), o.top_n,
                  data.user_ids.size(), secs);
  }
  if (root) {
    const double end = MPI_Wtime();
    std::printf(
        "wall time %.2f s: reading %.2f, preparing %.2f, training %.2f, evaluation %.2f, writing %.2f\n",
        end - t_start, data.read_seconds, t_fit - t_start - data.read_seconds, t_evaluate - t_fit,
        t_write - t_evaluate, end - t_write);
  }
  return kExitOk;
}

}  // namespace

void resolve_confidence(const dist::Communicator& comm, const TrainingData& data, TrainOptions& o) {
  if (o.confidence != "auto") return;
  // data.min_rating and data.max_rating are already global; whether every
  // value is an integer is agreed here.
  int integers = 1;
  for (const float v : data.by_user.values) {
    if (v != std::floor(v)) {
      integers = 0;
      break;
    }
  }
  integers = comm.allreduce<int>(integers, MPI_MIN);
  const bool counts = integers && data.min_rating >= 0 && data.max_rating > kAutoLogConfidenceMax;
  o.confidence = counts ? "log" : "linear";
  o.ials.kernel.confidence =
      counts ? math::ImplicitAlsConfig::Confidence::kLog : math::ImplicitAlsConfig::Confidence::kLinear;
  const bool ials = trains(o, Algorithm::kImplicitAls);
  if (comm.rank() != 0 || !ials) return;
  if (counts)
    std::printf("confidence auto: log (values look like counts: integers >= 0, max %.0f > %.0f)\n",
                static_cast<double>(data.max_rating), kAutoLogConfidenceMax);
  else if (!integers)
    std::printf("confidence auto: linear (values are not all integers)\n");
  else if (data.min_rating < 0)
    std::printf("confidence auto: linear (negative values, min %g)\n", static_cast<double>(data.min_rating));
  else
    std::printf("confidence auto: linear (integer values up to %.0f <= %.0f: not heavy-tailed counts)\n",
                static_cast<double>(data.max_rating), kAutoLogConfidenceMax);
}

void resolve_ials_lambda(const dist::Communicator& comm, const TrainingData& data, TrainOptions& o) {
  if (!o.ials_lambda_auto) return;
  o.ials_lambda_auto = false;  // cross-validation: every fold keeps the first fold's
  const double users = data.user_ids.size(), items = data.item_ids.size();
  // The mean confidence weight w (c = 1 + w) over the training interactions,
  // exactly, so lambda is the same at any rank count.
  math::ExactSum weights;
  for (const float v : data.by_user.values) weights.add(math::implicit_confidence_weight(o.ials.kernel, v));
  const double mean_weight =
      data.train > 0 ? dist::exact_allreduce(comm, weights).value() / static_cast<double>(data.train) : 1.0;
  o.ials.kernel.lambda = kAutoIalsLambda * mean_weight * std::sqrt(users * items);
  const bool ials = trains(o, Algorithm::kImplicitAls);
  if (comm.rank() == 0 && ials)
    std::printf(
        "lambda auto (ials): %g x mean confidence weight %.4g x sqrt(%.0f users x %.0f items) = %.4g\n",
        kAutoIalsLambda, mean_weight, users, items, o.ials.kernel.lambda);
}

int run_train(const Args& args, const dist::Communicator& comm) {
  TrainOptions o;
  bool go = true;
  dist::collective_phase(comm, [&] { go = parse_train_options(args, o, comm.rank() == 0); });
  if (!go) return kExitOk;
  return run_training(comm, o, nullptr);
}

int run_training(const dist::Communicator& comm, TrainOptions& o, const WarmStart* warm, Outcome* result) {
  const bool resuming = !o.checkpoint.resume.empty();
  // Before the metrics file is opened (and truncated): a bad output path
  // then leaves nothing behind.
  check_output_path(comm, "model", o.model);
  check_output_path(comm, "recommendations", o.recommendations);
  Report report(comm, o.metrics_out, resuming);
  report.set_context(run_record(comm, o.command, o.algo_name, o.als.threads, o.settings));
  if (o.folds <= 1) {
    Outcome outcome;
    const int status = train_and_evaluate(comm, o, o.data, report, outcome, Record::object(), warm);
    if (result) *result = std::move(outcome);
    return status;
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
    // Folds are numbered from 1, on screen and in the records.
    const int status = train_and_evaluate(comm, o, d, report, outcomes[f], Record{{"fold", f + 1}}, warm);
    if (status != kExitOk) return status;
  }
  Record fields = {{"cv", true}, {"folds", o.folds}};
  if (comm.rank() == 0) std::printf("cross-validation over %d folds (mean +- std):\n", o.folds);
  for (size_t m = 0; m < outcomes[0].metrics.size(); ++m) {
    double sum = 0, sq = 0;
    for (const auto& oc : outcomes) sum += oc.metrics[m].second;
    const double mean = sum / o.folds;
    for (const auto& oc : outcomes) sq += (oc.metrics[m].second - mean) * (oc.metrics[m].second - mean);
    const double sd = std::sqrt(sq / (o.folds - 1));
    const std::string& key = outcomes[0].metrics[m].first;
    if (comm.rank() == 0) std::printf("  %-16s %.4f +- %.4f\n", key.c_str(), mean, sd);
    fields[key] = mean;
    fields[key + "_std"] = sd;
    if (result) result->metrics.emplace_back(key, mean);
  }
  report.json(fields);
  return kExitOk;
}

}  // namespace hpcrec::app
