// hybrid: a model whose parts are models, their per-user lists blended
// (src/hybrid.hpp) with one weight per part for items with training
// interactions and another for cold items; users with fewer than
// --min-history training interactions get the light weights (content and
// popularity). --blend auto learns the weights on a validation split carved
// from the training ratings (see learn_weights).
//
// In the model file each part lives under /components/NAME (its own
// attributes and datasets, as it would at the root) with its weights as the
// group's attributes blend_weight, blend_cold_weight, light_weight,
// light_cold_weight; the root says algorithm = hybrid, components =
// "als,content,popular" (in blend order), min_history and blend_depth.
#include <algorithm>
#include <cstdio>
#include <sstream>

#include "app/commands.hpp"
#include "app/item_content.hpp"
#include "app/model.hpp"
#include "app/test_sets.hpp"
#include "app/train_options.hpp"
#include "app/train_report.hpp"
#include "mpi/evaluation.hpp"
#include "mpi/failure.hpp"
#include "src/hybrid.hpp"

namespace hpcrec::app {

namespace {

using math::Index;

// Users below --min-history: content and popularity, equally, where the
// blend has them (popularity alone without content).
std::vector<double> light_weights(int min_history, const std::vector<std::string>& names) {
  std::vector<double> w(names.size(), 0.0);
  if (min_history <= 0) return w;
  const bool has_content = std::find(names.begin(), names.end(), "content") != names.end();
  for (size_t j = 0; j < names.size(); ++j) {
    if (names[j] == "popular") w[j] = has_content ? 0.5 : 1.0;
    if (names[j] == "content") w[j] = 0.5;
  }
  return w;
}

// Only content scores items without interactions: c_m = w_m for content, 0 otherwise.
std::vector<double> plain_cold_weights(const std::vector<std::string>& names, const std::vector<double>& w) {
  std::vector<double> c(names.size(), 0.0);
  for (size_t j = 0; j < names.size(); ++j)
    if (names[j] == "content") c[j] = w[j];
  return c;
}

struct BlendWeights {
  std::vector<double> w, c;
};

class HybridModel : public Model {
 public:
  HybridModel() = default;
  explicit HybridModel(const TrainOptions& o) : run_(std::make_shared<TrainOptions>(o)) {
    named_ = o.blend_spec.models.size();
    for (Algorithm a : o.blend_models) names_.push_back(algorithm_name(a));
    auto add = [&](const char* name) {
      if (std::find(names_.begin(), names_.end(), name) == names_.end()) names_.push_back(name);
    };
    if (o.min_history > 0) {
      add("popular");
      if (needs_content(o)) add("content");
    }
    min_history_ = o.min_history;
    depth_ = o.blend_depth;
    threads_ = o.als.threads;
  }
  std::string name() const override { return "hybrid"; }
  void set_threads(int threads) override {
    threads_ = threads;
    for (auto& p : parts_) p->set_threads(threads);
  }
  std::vector<const Model*> parts() const override {
    std::vector<const Model*> out;
    for (const auto& p : parts_) out.push_back(p.get());
    return out;
  }

  io::Attributes attributes() const override {
    std::string list;
    for (const auto& n : names_) list += (list.empty() ? "" : ",") + n;
    return {{"algorithm", name()},
            {"components", list},
            {"min_history", std::int64_t{min_history_}},
            {"blend_depth", std::int64_t{depth_}},
            {"global_mean", 0.0}};
  }

  int fit(const dist::Communicator& comm, const FitContext& ctx, Metrics& metrics) override {
    const TrainOptions& o = *run_;
    TrainingData& data = *ctx.data;
    const bool root = comm.rank() == 0;
    BlendWeights bw;
    if (o.blend_spec.weights.empty()) {
      bw = learn_weights(comm, ctx);
      if (root) std::printf("== blend auto: training every model on all training ratings ==\n");
    } else {
      bw.w.assign(names_.size(), 0.0);
      std::copy(o.blend_spec.weights.begin(), o.blend_spec.weights.end(), bw.w.begin());
      bw.c = plain_cold_weights(names_, bw.w);
    }
    const int status = fit_parts(comm, ctx, metrics);
    if (status != kExitOk) return status;
    weights_ = bw.w;
    cold_weights_ = bw.c;
    std::string line = "hybrid:";
    Record blend = Record::object();
    for (size_t j = 0; j < names_.size(); ++j) {
      char buf[64];
      std::snprintf(buf, sizeof buf, " %s %.3g", names_[j].c_str(), bw.w[j]);
      line += buf;
      blend[names_[j]] = bw.w[j];
      if (names_[j] == "content") {
        std::snprintf(buf, sizeof buf, " (cold items %.3g)", bw.c[j]);
        line += buf;
        blend["content_cold"] = bw.c[j];
      }
    }
    if (root)
      std::printf("%s (min-history %d, %d candidates per model)\n", line.c_str(), min_history_, depth_);
    Record record = ctx.label;
    record["blend"] = blend;
    ctx.report->json(record);
    // Each model alone, for comparison (the same test sets).
    if (data.test_count > 0 && ctx.tests) {
      for (const auto& m : parts_) {
        auto lists = m->recommend(comm, data, UserBatch{}, o.eval_k, ItemFilter{});
        auto ms = evaluate_lists(comm, data, *ctx.tests, lists, o.eval_k, o.relevance_threshold,
                                 "ranking " + m->name());
        Record fields = ctx.label;
        fields["component"] = m->name();
        for (auto& [k, v] : ms) fields[k] = v;
        fields["k"] = o.eval_k;
        ctx.report->json(fields);
      }
    }
    for (const auto& m : parts_) {
      const FitFigures& f = m->figures();
      figures_.seconds += f.seconds;
      figures_.flops += f.flops;
      figures_.solve_seconds += f.solve_seconds;
      figures_.last_bytes += f.last_bytes;
      figures_.iterations_run = std::max(figures_.iterations_run, f.iterations_run);
    }
    return kExitOk;
  }

  TopLists recommend(const dist::Communicator& comm, const TrainingData& data, const UserBatch& batch, int n,
                     const ItemFilter& filter) const override {
    std::vector<TopLists> lists;
    for (const auto& m : parts_)
      lists.push_back(m->recommend(comm, data, batch, std::max(n, depth_), filter));
    const std::vector<char> cold = cold_items(comm, data);
    return combine(data, batch, lists, weights_, cold_weights_, cold, n);
  }

  std::vector<double> predict(const dist::Communicator& comm, const TrainingData& data,
                              const std::vector<math::Rating>& pairs) const override {
    // The parts' lists once per user, however many of its pairs there are.
    const std::vector<char> cold = cold_items(comm, data);
    std::vector<double> out(pairs.size(), std::nan(""));
    std::vector<size_t> order(pairs.size());
    for (size_t j = 0; j < order.size(); ++j) order[j] = j;
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return pairs[a].user < pairs[b].user; });
    std::vector<std::vector<math::ScoredItem>> lists;
    Index listed = -1;
    for (size_t j : order) {
      const math::Rating& r = pairs[j];
      if (r.user < 0 || r.item < 0) continue;
      if (r.user != listed) {
        lists = part_lists(comm, data, r.user);
        listed = r.user;
      }
      const Explanation e = shares(data, lists, cold, r.user, r.item);
      if (!e.terms.empty()) out[j] = e.score;
    }
    return out;
  }

  Explanation explain(const dist::Communicator& comm, const TrainingData& data, Index user,
                      Index item) const override {
    return shares(data, part_lists(comm, data, user), cold_items(comm, data), user, item);
  }

  // The first part (in blend order) that has neighbours of that side.
  Similar similar(const TrainingData& data, bool users, Index row, int n, int min_ratings) const override {
    std::string why;
    for (const auto& p : parts_) {
      try {
        return p->similar(data, users, row, n, min_ratings);
      } catch (const InputError& e) {
        why += std::string(why.empty() ? "" : "; ") + p->name() + ": " + e.what();
      }
    }
    throw InputError("no part of this hybrid has neighbours of " + std::string(users ? "users" : "items") +
                     " (" + why + ")");
  }

  void save(io::ModelWriter& out, const TrainingData& data, const std::string& group) const override {
    for (size_t j = 0; j < parts_.size(); ++j) {
      const std::string g = group + "/components/" + names_[j];
      io::Attributes a = parts_[j]->attributes();
      a["blend_weight"] = weights_[j];
      a["blend_cold_weight"] = cold_weights_[j];
      a["light_weight"] = light_weights_[j];
      a["light_cold_weight"] = light_cold_weights_[j];
      out.attributes(g, a);
      parts_[j]->save(out, data, g);
    }
  }

  void load(const io::ModelReader& in, const std::string& group, const TrainingData& data) override {
    const io::Attributes a = in.attributes(group);
    min_history_ = static_cast<int>(attr_int(a, "min_history", in));
    depth_ = static_cast<int>(attr_int(a, "blend_depth", in));
    std::stringstream list(attr_string(a, "components", in));
    names_.clear();
    for (std::string name; std::getline(list, name, ',');) names_.push_back(name);
    if (names_.empty()) in.fail("a hybrid model without components");
    parts_.clear();
    weights_.clear();
    cold_weights_.clear();
    light_weights_.clear();
    light_cold_weights_.clear();
    for (const auto& name : names_) {
      const std::string g = group + "/components/" + name;
      parts_.push_back(load_model(in, g, data));
      const io::Attributes ga = in.attributes(g);
      weights_.push_back(attr_double(ga, "blend_weight", in));
      cold_weights_.push_back(attr_double(ga, "blend_cold_weight", in));
      light_weights_.push_back(attr_double(ga, "light_weight", in));
      light_cold_weights_.push_back(attr_double(ga, "light_cold_weight", in));
    }
  }

 private:
  // Collective. Fits every part on *ctx.data (fresh models) and sets the light weights.
  int fit_parts(const dist::Communicator& comm, const FitContext& ctx, Metrics& metrics) {
    parts_.clear();
    light_weights_ = light_weights(min_history_, names_);
    light_cold_weights_ = plain_cold_weights(names_, light_weights_);
    for (const auto& name : names_) {
      if (comm.rank() == 0) std::printf("-- hybrid: %s --\n", name.c_str());
      auto m = make_model(name, *run_);
      FitContext c = ctx;
      c.checkpoints = false;
      c.label["component"] = name;
      Metrics own;
      const int status = m->fit(comm, c, own);
      if (status != kExitOk) return status;
      for (auto& [k, v] : own) metrics.emplace_back(name + "_" + k, v);
      parts_.push_back(std::move(m));
    }
    return kExitOk;
  }

  // Collective. Each part's list of blend_depth candidates for one user.
  std::vector<std::vector<math::ScoredItem>> part_lists(const dist::Communicator& comm,
                                                        const TrainingData& data, Index user) const {
    UserBatch batch;
    batch.all = false;
    batch.rows = {user - data.by_user.first_row};
    std::vector<std::vector<math::ScoredItem>> lists;
    for (const auto& p : parts_) lists.push_back(p->recommend(comm, data, batch, depth_, ItemFilter{})[0]);
    return lists;
  }

  // The item's share from each part: weight x its min-max normalised score
  // in the part's list (src/hybrid.hpp); the terms add up to the blend's score.
  Explanation shares(const TrainingData& data, const std::vector<std::vector<math::ScoredItem>>& lists,
                     const std::vector<char>& cold, Index user, Index item) const {
    const bool light = data.by_user.row_nnz(user - data.by_user.first_row) < min_history_;
    Explanation e;
    e.method = "hybrid: each model's weight times its min-max normalised score in its own list";
    for (size_t j = 0; j < parts_.size(); ++j) {
      const auto& list = lists[j];
      auto it =
          std::find_if(list.begin(), list.end(), [&](const math::ScoredItem& s) { return s.item == item; });
      if (it == list.end()) continue;
      double lo = list.front().score, hi = lo;
      for (const auto& s : list) {
        lo = std::min(lo, s.score);
        hi = std::max(hi, s.score);
      }
      const double norm = hi > lo ? (it->score - lo) / (hi - lo) : 1.0;
      const double w = cold[item] ? (light ? light_cold_weights_[j] : cold_weights_[j])
                                  : (light ? light_weights_[j] : weights_[j]);
      if (w <= 0) continue;
      e.terms.push_back({"model", names_[j], w * norm});
    }
    for (const auto& t : e.terms) e.score += t.value;
    e.model = e.score;
    return e;
  }

  // Per global item: no training interactions.
  static std::vector<char> cold_items(const dist::Communicator& comm, const TrainingData& data) {
    std::vector<char> cold = items_with_interactions(comm, data);
    for (char& c : cold) c = !c;
    return cold;
  }

  TopLists combine(const TrainingData& data, const UserBatch& batch, const std::vector<TopLists>& lists,
                   const std::vector<double>& w, const std::vector<double>& c, const std::vector<char>& cold,
                   int n) const {
    const Index users = batch.size(data);
    TopLists out(static_cast<size_t>(users));
    std::vector<math::BlendSource> sources(parts_.size());
    for (Index j = 0; j < users; ++j) {
      const bool light = batch.history(data, j) < min_history_;
      for (size_t m = 0; m < parts_.size(); ++m)
        sources[m] = {lists[m][j], light ? light_weights_[m] : w[m], light ? light_cold_weights_[m] : c[m]};
      out[j] = math::blend_lists(sources, &cold, n);
    }
    return out;
  }

  // --blend auto: the weights that maximise NDCG@k on a validation split
  // carved from the training ratings: each user's latest --holdout fraction
  // (default 0.2; by timestamp if there are timestamps, else by hash), plus
  // every rating of a share of the items (--cold-items, or else the share of
  // the job's items without interactions), so that validation has new items
  // in the same proportion as the test. First w over the simplex grid with
  // step 0.1 (c = w), then content's c over 0, 0.1, ..., 1 with w fixed; the
  // first best in grid order wins at each stage.
  BlendWeights learn_weights(const dist::Communicator& comm, const FitContext& ctx) {
    const TrainOptions& o = *run_;
    const TrainingData& data = *ctx.data;
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
    c.label["validation"] = true;
    Metrics ignored;
    if (fit_parts(comm, c, ignored) != kExitOk)
      throw dist::JobError("stopped by a signal while learning the blend weights", kExitPreempted);
    std::vector<TopLists> lists;
    for (const auto& m : parts_)
      lists.push_back(m->recommend(comm, val, UserBatch{}, std::max(o.eval_k, depth_), ItemFilter{}));
    const std::vector<char> cold = cold_items(comm, val);
    auto ndcg = [&](const std::vector<double>& w, const std::vector<double>& cw) {
      return dist::evaluate_ranking(comm, combine(val, UserBatch{}, lists, w, cw, cold, o.eval_k), val.test,
                                    val.users, val.item_ids.size(), o.eval_k, o.relevance_threshold)
          .mean.ndcg;
    };
    // The grid over the named models; models added only for light users keep 0.
    BlendWeights best;
    double best_ndcg = -1;
    for (const auto& g : math::simplex_grid(static_cast<int>(named_), 10)) {
      std::vector<double> w(names_.size(), 0.0);
      std::copy(g.begin(), g.end(), w.begin());
      const auto cw = plain_cold_weights(names_, w);
      const double v = ndcg(w, cw);
      if (v > best_ndcg) {
        best_ndcg = v;
        best = {w, cw};
      }
    }
    // Content's place among the named models (named = none).
    const size_t content = static_cast<size_t>(
        std::find(names_.begin(), names_.begin() + static_cast<long>(named_), "content") - names_.begin());
    if (held > 0 && content < named_) {
      const BlendWeights stage1 = best;
      for (int step = 0; step <= 10; ++step) {
        std::vector<double> cw = stage1.c;
        cw[content] = step / 10.0;
        const double v = ndcg(stage1.w, cw);
        if (v > best_ndcg) {
          best_ndcg = v;
          best.c = cw;
        }
      }
    }
    std::vector<double> single(named_);
    for (size_t j = 0; j < named_; ++j) {
      std::vector<double> w(names_.size(), 0.0);
      w[j] = 1;
      single[j] = ndcg(w, plain_cold_weights(names_, w));
    }
    if (comm.rank() == 0) {
      std::printf("blend auto: validation ndcg@%d %.4f with", o.eval_k, best_ndcg);
      for (size_t j = 0; j < named_; ++j) std::printf(" %s %.1f", names_[j].c_str(), best.w[j]);
      if (content < named_) std::printf(", cold items: content %.1f", best.c[content]);
      std::printf(" (single models:");
      for (size_t j = 0; j < named_; ++j) std::printf(" %s %.4f", names_[j].c_str(), single[j]);
      std::printf(")\n");
    }
    parts_.clear();
    return best;
  }

  std::shared_ptr<const TrainOptions> run_;  // to make fresh parts (fit only)
  std::vector<std::string> names_;           // parts in blend order: the named ones first
  size_t named_ = 0;                         // how many were named in --blend
  std::vector<std::unique_ptr<Model>> parts_;
  std::vector<double> weights_, cold_weights_, light_weights_, light_cold_weights_;
  int min_history_ = 0;
  int depth_ = 100;
};

}  // namespace

std::unique_ptr<Model> make_hybrid(const TrainOptions& o) { return std::make_unique<HybridModel>(o); }
std::unique_ptr<Model> blank_hybrid() { return std::make_unique<HybridModel>(); }

}  // namespace hpcrec::app
