// hpcrec train: read -> distribute -> train (one model, or a hybrid's) ->
// evaluate -> model + top-N. Wiring only: the work is in io/, mpi/, src/.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <memory>

#include "app/commands.hpp"
#include "app/fitted_model.hpp"
#include "app/resources.hpp"
#include "app/train_options.hpp"
#include "app/train_report.hpp"
#include "app/training_data.hpp"
#include "io/item_features.hpp"
#include "io/model_file.hpp"
#include "io/topn_writer.hpp"
#include "mpi/evaluation.hpp"
#include "mpi/failure.hpp"
#include "src/dense_reference.hpp"

namespace hpcrec::app {

namespace {

using math::Index;
using math::Offset;

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
  if (data.cold_count) std::printf(", %lld cold items held out", static_cast<long long>(data.cold_count));
  std::printf("\n");
}

bool needs_content(const TrainOptions& o) {
  if (o.algo == Algorithm::kContent) return true;
  if (o.algo != Algorithm::kHybrid) return false;
  const bool listed =
      std::find(o.blend_models.begin(), o.blend_models.end(), Algorithm::kContent) != o.blend_models.end();
  return listed || (o.min_history > 0 && (!o.item_features.empty() || !o.item_embeddings.empty()));
}

// Collective. Reads the item metadata or embeddings (every rank the whole files).
void read_content(const dist::Communicator& comm, const TrainOptions& o, ItemContent& content) {
  if (!o.item_embeddings.empty()) {
    dist::collective_phase(comm, [&] { content.embeddings = io::read_item_embeddings(o.item_embeddings); });
    content.from_embeddings = true;
    content.ids = content.embeddings.id_map();
    return;
  }
  dist::collective_phase(comm, [&] {
    std::vector<io::ItemFeatureSource> sources;
    for (const auto& path : o.item_features) {
      io::ItemFeatureSource src;
      src.path = path;
      src.format = io::detect_item_feature_format(path);
      if (src.format == io::ItemFeatureFormat::kDelimited) {
        src.delimiter = io::parse_feature_delimiter(o.features_delimiter);
        src.id_column = o.id_column - 1;
        src.text_columns = parse_text_columns(o.text_columns);
      }
      sources.push_back(src);
    }
    content.features = io::read_item_features(sources);
  });
  content.ids = content.features.id_map();
}

// Every rank: the content rows of the job's items (items without metadata: empty rows).
void build_content(const dist::Communicator& comm, const TrainOptions& o, const TrainingData& data,
                   ItemContent& content) {
  const double t0 = MPI_Wtime();
  Index matched = 0;
  if (content.from_embeddings) {
    content.rows = content.embeddings.aligned(data.item_ids, &matched);
    content.columns = content.embeddings.dimension();
    content.embeddings = {};
    if (comm.rank() == 0)
      std::printf("content: %d of %d items have embeddings (d = %d)\n", matched, data.item_ids.size(),
                  content.columns);
    return;
  }
  std::vector<io::ItemDocument> docs = content.features.aligned(data.item_ids, &matched);
  std::vector<std::string> texts;
  std::vector<std::vector<std::string>> tokens;
  for (auto& d : docs) {
    texts.push_back(std::move(d.text));
    tokens.push_back(std::move(d.tokens));
  }
  math::TfidfModel tfidf = math::fit_tfidf(texts, tokens, o.tfidf);
  content.rows = std::move(tfidf.matrix);
  content.columns = static_cast<Index>(tfidf.vocabulary.size());
  const double secs = comm.allreduce<double>(MPI_Wtime() - t0, MPI_MAX);
  if (comm.rank() == 0) {
    std::printf("content: %d of %d items have metadata, %d terms, TF-IDF in %.2f s\n", matched,
                data.item_ids.size(), content.columns, secs);
  }
}

// The test ratings evaluation looks at, by kind.
struct TestSets {
  std::vector<math::Rating> warm;   // ratings of items seen in training (all without --cold-items)
  std::vector<math::Rating> cold;   // ratings of the held-out items (--cold-items)
  std::vector<math::Rating> light;  // warm ratings of users with < --min-history training ratings
};

TestSets split_tests(const dist::Communicator& comm, const TrainingData& data, const TrainOptions& o) {
  TestSets t;
  for (const auto& r : data.test) {
    if (!data.cold_item.empty() && r.item >= 0 && data.cold_item[r.item])
      t.cold.push_back(r);
    else
      t.warm.push_back(r);
  }
  if (o.min_history > 0) {
    // Training ratings per user, everywhere (an n_users array; see the note in README).
    std::vector<int> history(static_cast<size_t>(data.user_ids.size()), 0);
    for (Index r = 0; r < data.by_user.rows(); ++r)
      history[data.by_user.first_row + r] = static_cast<int>(data.by_user.row_nnz(r));
    comm.allreduce_inplace<int>(history, MPI_SUM);
    for (const auto& r : t.warm)
      if (r.user >= 0 && history[r.user] < o.min_history) t.light.push_back(r);
  }
  return t;
}

// Ranking metrics of `top` (this rank's users' lists of at least eval_k) on
// every test set that has ratings; printed as `what`, returned in report order.
std::vector<std::pair<std::string, double>> evaluate_lists(const dist::Communicator& comm,
                                                           const TrainOptions& o, const TrainingData& data,
                                                           const TestSets& tests, const TopLists& top,
                                                           const std::string& what) {
  std::vector<std::pair<std::string, double>> out;
  auto one = [&](const std::vector<math::Rating>& test, const std::string& prefix, const std::string& label) {
    const Offset n = comm.allreduce<Offset>(static_cast<Offset>(test.size()), MPI_SUM);
    if (n == 0) return;
    auto r = dist::evaluate_ranking(comm, top, test, data.users, data.item_ids.size(), o.eval_k,
                                    o.relevance_threshold);
    print_ranking(comm, label, r);
    for (auto& kv : ranking_metrics(r, prefix)) out.push_back(kv);
    if (!prefix.empty()) out.emplace_back(prefix + "users", static_cast<double>(r.users));
  };
  one(tests.warm, "", what);
  one(tests.cold, "cold_", what + " cold items");
  one(tests.light, "light_", what + " light users");
  return out;
}

// Collective. Per global item: 1 if it has training interactions.
std::vector<char> items_with_interactions(const dist::Communicator& comm, const TrainingData& data) {
  std::vector<int> has(static_cast<size_t>(data.item_ids.size()), 0);
  for (Index r = 0; r < data.by_item.rows(); ++r)
    has[data.by_item.first_row + r] = data.by_item.row_nnz(r) > 0;
  comm.allreduce_inplace<int>(has, MPI_MAX);
  return std::vector<char>(has.begin(), has.end());
}

// Copies of the training blocks for one more model (a hybrid's components).
dist::AlsSide user_side(const TrainingData& d) { return {d.users, d.by_user, {}, false, {}, {}}; }
dist::AlsSide item_side(const TrainingData& d) { return {d.items, d.by_item, {}, false, {}, {}}; }

// Users below --min-history: content and popularity, equally, where the
// blend has them (popularity alone without content).
std::vector<double> light_weights(const TrainOptions& o, const std::vector<Algorithm>& algos) {
  std::vector<double> w(algos.size(), 0.0);
  if (o.min_history <= 0) return w;
  const bool has_content = std::find(algos.begin(), algos.end(), Algorithm::kContent) != algos.end();
  for (size_t j = 0; j < algos.size(); ++j) {
    if (algos[j] == Algorithm::kPopular) w[j] = has_content ? 0.5 : 1.0;
    if (algos[j] == Algorithm::kContent) w[j] = 0.5;
  }
  return w;
}

// A hybrid's models and how their lists combine (src/hybrid.hpp).
struct Blend {
  std::vector<std::unique_ptr<Fitted>> models;
  std::vector<double> weights, cold_weights;              // per model
  std::vector<double> light_weights, light_cold_weights;  // per model, users below --min-history
  std::vector<char> cold;                                 // per global item: no training interactions
  std::vector<int> history;                               // this rank's users' training interactions
  int min_history = 0;
  int depth = 100;

  // Collective. Each model's lists, blended per user.
  TopLists top(int n) const {
    std::vector<TopLists> lists;
    for (const auto& m : models) lists.push_back(m->top(std::max(n, depth)));
    return combine(lists, weights, cold_weights, n);
  }
  TopLists combine(const std::vector<TopLists>& lists, const std::vector<double>& w,
                   const std::vector<double>& c, int n) const {
    TopLists out(history.size());
    std::vector<math::BlendSource> sources(models.size());
    for (size_t u = 0; u < history.size(); ++u) {
      const bool light = history[u] < min_history;
      for (size_t j = 0; j < models.size(); ++j)
        sources[j] = {lists[j][u], light ? light_weights[j] : w[j], light ? light_cold_weights[j] : c[j]};
      out[u] = math::blend_lists(sources, &cold, n);
    }
    return out;
  }
};

// Only content scores items without interactions: c_m = w_m for content, 0 otherwise.
std::vector<double> plain_cold_weights(const std::vector<Algorithm>& algos, const std::vector<double>& w) {
  std::vector<double> c(algos.size(), 0.0);
  for (size_t j = 0; j < algos.size(); ++j)
    if (algos[j] == Algorithm::kContent) c[j] = w[j];
  return c;
}

// Collective. Fits every model of the blend on (a copy of) ctx.data and
// sets all of `blend` but its weights (and cold weights).
int fit_blend(const dist::Communicator& comm, TrainOptions& o, const std::vector<Algorithm>& algos,
              const FitContext& ctx, Blend& blend, std::vector<std::pair<std::string, double>>& metrics) {
  const TrainingData& data = *ctx.data;
  blend.models.clear();
  blend.min_history = o.min_history;
  blend.depth = o.blend_depth;
  blend.light_weights = light_weights(o, algos);
  blend.light_cold_weights = plain_cold_weights(algos, blend.light_weights);
  blend.cold = items_with_interactions(comm, data);
  for (char& c : blend.cold) c = !c;
  blend.history.assign(static_cast<size_t>(data.by_user.rows()), 0);
  for (Index r = 0; r < data.by_user.rows(); ++r)
    blend.history[r] = static_cast<int>(data.by_user.row_nnz(r));
  for (Algorithm a : algos) {
    if (comm.rank() == 0) std::printf("-- hybrid: %s --\n", algorithm_name(a));
    auto m = std::make_unique<Fitted>();
    FitContext c = ctx;
    c.label = ctx.label + "\"component\": \"" + algorithm_name(a) + "\", ";
    std::vector<std::pair<std::string, double>> own;
    const int status = fit_model(comm, o, a, c, user_side(data), item_side(data), own, *m);
    if (status != kExitOk) return status;
    for (auto& [k, v] : own) metrics.emplace_back(std::string(algorithm_name(a)) + "_" + k, v);
    blend.models.push_back(std::move(m));
  }
  return kExitOk;
}

// The blend's weights: w per model and c per model (src/hybrid.hpp).
struct BlendWeights {
  std::vector<double> w, c;
};

// --blend auto: the weights that maximise NDCG@k on a validation split
// carved from the training ratings: each user's latest --holdout fraction
// (default 0.2; by timestamp if there are timestamps, else by hash), plus
// every rating of a share of the items (--cold-items, or else the share of
// the job's items without interactions), so that validation has new items
// in the same proportion as the test. First w over the simplex grid with
// step 0.1 (c = w), then content's c over 0, 0.1, ..., 1 with w fixed; the
// first best in grid order wins at each stage.
BlendWeights learn_weights(const dist::Communicator& comm, TrainOptions& o, const TrainingData& data,
                           const FitContext& ctx, const std::vector<Algorithm>& algos) {
  math::SplitSpec spec;
  spec.kind = data.has_timestamps ? math::SplitKind::kTemporal : math::SplitKind::kUser;
  spec.fraction = o.split.holdout > 0 ? o.split.holdout : 0.2;
  spec.seed = o.split.seed + 1;
  const std::vector<char> interacted = items_with_interactions(comm, data);
  Index warm = 0;
  for (char c : interacted) warm += c != 0;
  const double item_share = o.cold_items > 0
                                ? o.cold_items
                                : 1.0 - static_cast<double>(warm) / static_cast<double>(interacted.size());
  std::vector<char> hold(interacted.size(), 0);
  Index held = 0;
  for (size_t i = 0; i < hold.size(); ++i) {
    hold[i] = interacted[i] && math::held_out(spec.seed, -1, static_cast<Index>(i), item_share);
    held += hold[i];
  }
  TrainingData val = carve_validation(comm, data, spec, hold);
  if (comm.rank() == 0)
    std::printf(
        "== blend auto: validation split (%s %.2f of each user's training ratings and all of %d items: "
        "%lld ratings) ==\n",
        data.has_timestamps ? "latest" : "random", spec.fraction, held,
        static_cast<long long>(val.test_count));
  FitContext c = ctx;
  c.data = &val;
  c.label = ctx.label + "\"validation\": true, ";
  Blend blend;
  std::vector<std::pair<std::string, double>> ignored;
  if (fit_blend(comm, o, algos, c, blend, ignored) != kExitOk)
    throw dist::JobError("stopped by a signal while learning the blend weights", kExitPreempted);
  std::vector<TopLists> lists;
  for (const auto& m : blend.models) lists.push_back(m->top(std::max(o.eval_k, o.blend_depth)));
  auto ndcg = [&](const std::vector<double>& w, const std::vector<double>& cw) {
    return dist::evaluate_ranking(comm, blend.combine(lists, w, cw, o.eval_k), val.test, val.users,
                                  val.item_ids.size(), o.eval_k, o.relevance_threshold)
        .mean.ndcg;
  };
  // The grid over the named models; models added only for light users keep 0.
  const size_t named = o.blend_spec.models.size();
  BlendWeights best;
  double best_ndcg = -1;
  for (const auto& g : math::simplex_grid(static_cast<int>(named), 10)) {
    std::vector<double> w(algos.size(), 0.0);
    std::copy(g.begin(), g.end(), w.begin());
    const auto cw = plain_cold_weights(algos, w);
    const double v = ndcg(w, cw);
    if (v > best_ndcg) {
      best_ndcg = v;
      best = {w, cw};
    }
  }
  // Content's place among the named models (named = none).
  const size_t content = static_cast<size_t>(
      std::find(algos.begin(), algos.begin() + static_cast<long>(named), Algorithm::kContent) -
      algos.begin());
  if (held > 0 && content < named) {
    const size_t j = content;
    const BlendWeights stage1 = best;
    for (int step = 0; step <= 10; ++step) {
      std::vector<double> cw = stage1.c;
      cw[j] = step / 10.0;
      const double v = ndcg(stage1.w, cw);
      if (v > best_ndcg) {
        best_ndcg = v;
        best.c = cw;
      }
    }
  }
  std::vector<double> single(named);
  for (size_t j = 0; j < named; ++j) {
    std::vector<double> w(algos.size(), 0.0);
    w[j] = 1;
    single[j] = ndcg(w, plain_cold_weights(algos, w));
  }
  if (comm.rank() == 0) {
    std::printf("blend auto: validation ndcg@%d %.4f with", o.eval_k, best_ndcg);
    for (size_t j = 0; j < named; ++j) std::printf(" %s %.1f", algorithm_name(algos[j]), best.w[j]);
    if (content < named) std::printf(", cold items: content %.1f", best.c[content]);
    std::printf(" (single models:");
    for (size_t j = 0; j < named; ++j) std::printf(" %s %.4f", algorithm_name(algos[j]), single[j]);
    std::printf(")\n");
  }
  return best;
}

// Neighbour lists for the model file: K slots a row (the longest list).
io::NeighborSlice neighbor_slice(const dist::Communicator& comm, const TrainOptions& o, const Fitted& m) {
  io::NeighborSlice slice;
  int k = 0;
  for (Index r = 0; r < m.neighbors.rows(); ++r) k = std::max(k, static_cast<int>(m.neighbors.row(r).size()));
  k = comm.allreduce<int>(k, MPI_MAX);
  slice.side = m.algo == Algorithm::kKnn && o.knn_on == "users" ? "users" : "items";
  slice.first = m.neighbors.first_row;
  slice.rows = m.neighbors.rows();
  slice.k = k;
  const size_t slots = static_cast<size_t>(slice.rows) * k;
  slice.index.assign(slots, -1);
  slice.similarity.assign(slots, std::nan(""));
  slice.support.assign(slots, 0);
  for (Index r = 0; r < m.neighbors.rows(); ++r) {
    const auto row = m.neighbors.row(r);
    for (size_t j = 0; j < row.size(); ++j) {
      slice.index[static_cast<size_t>(r) * k + j] = row[j].id;
      slice.similarity[static_cast<size_t>(r) * k + j] = row[j].sim;
      slice.support[static_cast<size_t>(r) * k + j] = row[j].support;
    }
  }
  return slice;
}

void write_recommendations(const dist::Communicator& comm, const TrainOptions& o, const TrainingData& data,
                           const TopLists& best) {
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
}

// Trains, evaluates and writes one model (or a hybrid's models); its final
// metrics go to `outcome`. Returns the exit status (kExitPreempted when a
// stop signal ended the training after a checkpoint).
int train_and_evaluate(const dist::Communicator& comm, TrainOptions& o, const DataOptions& data_options,
                       Report& report, Outcome& outcome, const std::string& fold_label) {
  const bool root = comm.rank() == 0;
  const bool hybrid = o.algo == Algorithm::kHybrid;
  // Content models know items from their metadata too: those without
  // ratings (cold start) join the item map, so they can be recommended.
  ItemContent content;
  DataOptions load_options = data_options;
  const bool with_content = needs_content(o);
  if (with_content) {
    read_content(comm, o, content);
    load_options.extra_items = &content.ids;
  }
  if (hybrid && o.blend_spec.weights.empty()) load_options.keep_timestamps = true;  // validation split
  TrainingData data = load_training_data(comm, load_options);
  print_data_summary(comm, data, o);
  if (with_content) build_content(comm, o, data, content);
  const TestSets tests = split_tests(comm, data, o);
  const bool has_test = data.test_count > 0;
  FitContext ctx;
  ctx.data = &data;
  ctx.content = &content;
  ctx.ranking_test = &tests.warm;
  ctx.report = &report;
  ctx.label = fold_label;

  std::unique_ptr<Fitted> single;
  Blend blend;
  std::function<TopLists(int)> final_top;
  if (!hybrid) {
    single = std::make_unique<Fitted>();
    dist::AlsSide users{data.users, std::move(data.by_user), {}, false, {}, {}};
    dist::AlsSide items{data.items, std::move(data.by_item), {}, false, {}, {}};
    const int status =
        fit_model(comm, o, o.algo, ctx, std::move(users), std::move(items), outcome.metrics, *single);
    if (status != kExitOk) return status;
    final_top = single->top;
  } else {
    // The named models, then popularity and content for light users if needed.
    std::vector<Algorithm> algos = o.blend_models;
    auto add = [&](Algorithm a) {
      if (std::find(algos.begin(), algos.end(), a) == algos.end()) algos.push_back(a);
    };
    if (o.min_history > 0) {
      add(Algorithm::kPopular);
      if (with_content) add(Algorithm::kContent);
    }
    BlendWeights bw;
    if (o.blend_spec.weights.empty()) {
      bw = learn_weights(comm, o, data, ctx, algos);
      if (root) std::printf("== blend auto: training every model on all training ratings ==\n");
    } else {
      bw.w.assign(algos.size(), 0.0);
      std::copy(o.blend_spec.weights.begin(), o.blend_spec.weights.end(), bw.w.begin());
      bw.c = plain_cold_weights(algos, bw.w);
    }
    const int status = fit_blend(comm, o, algos, ctx, blend, outcome.metrics);
    if (status != kExitOk) return status;
    blend.weights = bw.w;
    blend.cold_weights = bw.c;
    data.by_user = {};  // the models hold their copies
    data.by_item = {};
    std::string line = "hybrid:", json = fold_label + "\"blend\": {";
    for (size_t j = 0; j < algos.size(); ++j) {
      char buf[64];
      std::snprintf(buf, sizeof buf, " %s %.3g", algorithm_name(algos[j]), bw.w[j]);
      line += buf;
      json += std::string(j ? ", " : "") + "\"" + algorithm_name(algos[j]) + "\": " + num(bw.w[j]);
      if (algos[j] == Algorithm::kContent) {
        std::snprintf(buf, sizeof buf, " (cold items %.3g)", bw.c[j]);
        line += buf;
        json += ", \"content_cold\": " + num(bw.c[j]);
      }
    }
    if (root)
      std::printf("%s (min-history %d, %d candidates per model)\n", line.c_str(), o.min_history,
                  o.blend_depth);
    report.json(json + "}");
    // Each model alone, for comparison (the same test sets).
    if (has_test) {
      for (const auto& m : blend.models) {
        auto metrics =
            evaluate_lists(comm, o, data, tests, m->top(o.eval_k), std::string("ranking ") + m->name);
        std::string fields = fold_label + "\"component\": \"" + m->name + "\"";
        for (auto& [k, v] : metrics) fields += ", \"" + k + "\": " + num(v);
        report.json(fields + ", \"k\": " + std::to_string(o.eval_k));
      }
    }
    final_top = [&blend](int n) { return blend.top(n); };
  }

  // Final evaluation: ranking metrics over the test users.
  if (has_test) {
    for (auto& kv :
         evaluate_lists(comm, o, data, tests, final_top(o.eval_k), hybrid ? "ranking hybrid" : "ranking"))
      outcome.metrics.push_back(kv);
  }
  double total_seconds = 0, total_flops = 0, total_solve = 0;
  Offset last_bytes = 0;
  int iterations_run = 0;
  std::vector<const Fitted*> fitted;
  if (single) fitted.push_back(single.get());
  for (const auto& m : blend.models) fitted.push_back(m.get());
  for (const Fitted* m : fitted) {
    total_seconds += m->seconds;
    total_flops += m->flops;
    total_solve += m->solve_seconds;
    last_bytes += m->last_bytes;
    iterations_run = std::max(iterations_run, m->iterations_run);
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
                ", \"similarity_peak_rss_mb_max_rank\": " + num(single->knn_rss_max / 1e6) +
                ", \"sparse_gram_seconds\": " + num(single->sparse_seconds);
    report.json(fields);
  }

  if (!o.model.empty() && single) {
    io::ModelSlice slice;
    slice.attributes = single->attributes;
    const FactorView& view = single->view;
    slice.users = {&data.user_ids, data.users.first(comm.rank()), view.user_factors, view.user_bias};
    slice.items = {&data.item_ids, view.first_item, view.item_factors, view.item_bias};
    slice.train = single->seen;
    io::NeighborSlice neighbors;
    if (o.algo == Algorithm::kKnn || o.algo == Algorithm::kContent) {
      neighbors = neighbor_slice(comm, o, *single);
      slice.neighbors = &neighbors;
    }
    io::write_model(comm, o.model, slice);
    if (root) std::printf("model: %s\n", o.model.c_str());
  }
  if (!o.recommendations.empty()) {
    const double t0 = MPI_Wtime();
    write_recommendations(comm, o, data, final_top(o.top_n));
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
