// hybrid: a model whose parts are models, their per-user lists blended
// (src/hybrid.hpp) with one weight per part for items with training
// interactions and another for cold items; users with fewer than
// --min-history training interactions get the light weights (content and
// popularity). --blend auto learns the weights on a validation split carved
// from the training ratings (see learn_weights).
//
// --blend-target rating blends the rating models' predictions instead
// (src/hybrid.hpp, "Rating blend"): r_hat = clip(w0 + sum_m w_m p_m), the
// weights learnt by least squares on the same kind of validation split
// (learn_rating_weights) or given; top-N lists rank the union of each
// part's --blend-depth candidates by that blended rating.
//
// In the model file each part lives under /components/NAME (its own
// attributes and datasets, as it would at the root) with its weights as the
// group's attributes blend_weight, blend_cold_weight, light_weight,
// light_cold_weight; the root says algorithm = hybrid, components =
// "als,content,popular" (in blend order), min_history and blend_depth. A
// rating blend adds blend_target = "rating", blend_intercept (w0),
// rating_min and rating_max at the root (files without blend_target are
// ranking blends).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "app/commands.hpp"
#include "app/item_content.hpp"
#include "app/model.hpp"
#include "app/progress.hpp"
#include "app/test_sets.hpp"
#include "app/train_options.hpp"
#include "app/train_report.hpp"
#include "mpi/evaluation.hpp"
#include "mpi/exact_reduce.hpp"
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

// The rating blend's least-squares ridge per validation rating (on the
// models' weights, not the intercept): small, only to keep the normal
// equation solvable when two models predict alike.
constexpr double kRatingBlendRidge = 1e-6;

// Collective. RMSE and MAE of `predicted` against the ratings of `truth`
// (this rank's share; NaN predictions skipped), from exact sums: the same at
// any rank count.
math::ErrorSums exact_errors(const dist::Communicator& comm, const std::vector<double>& predicted,
                             const std::vector<math::Rating>& truth) {
  std::vector<math::ExactSum> sums(2);
  std::int64_t count = 0;
  for (size_t j = 0; j < truth.size(); ++j) {
    if (std::isnan(predicted[j])) continue;
    const double e = predicted[j] - truth[j].value;
    sums[0].add(e * e);
    sums[1].add(std::abs(e));
    ++count;
  }
  sums = dist::exact_allreduce(comm, sums);
  return {sums[0].value(), sums[1].value(), comm.allreduce<std::int64_t>(count, MPI_SUM)};
}

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
    rating_ = o.blend_target == "rating";
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
    io::Attributes a = {{"algorithm", name()},
                        {"components", list},
                        {"min_history", std::int64_t{min_history_}},
                        {"blend_depth", std::int64_t{depth_}},
                        {"global_mean", 0.0}};
    if (rating_) {
      a["blend_target"] = std::string("rating");
      a["blend_intercept"] = intercept_;
      // Asked before fit too (the run header), when there are no weights yet.
      const bool fitted = support_.size() == 2 * names_.size() + 2;
      a["blend_user_support"] = fitted ? support_[2 * names_.size()] : 0.0;
      a["blend_item_support"] = fitted ? support_[2 * names_.size() + 1] : 0.0;
      a["rating_min"] = clip_min_;
      a["rating_max"] = clip_max_;
    }
    return a;
  }

  bool predicts_ratings() const override { return rating_; }

  int fit(const dist::Communicator& comm, const FitContext& ctx, Metrics& metrics) override {
    if (rating_) return fit_rating(comm, ctx, metrics);
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
    add_figures();
    return kExitOk;
  }

  TopLists recommend(const dist::Communicator& comm, const TrainingData& data, const UserBatch& batch, int n,
                     const ItemFilter& filter) const override {
    if (rating_) return recommend_rating(comm, data, batch, n, filter);
    std::vector<TopLists> lists;
    for (const auto& m : parts_)
      lists.push_back(m->recommend(comm, data, batch, std::max(n, depth_), filter));
    const std::vector<char> cold = cold_items(comm, data);
    return combine(data, batch, lists, weights_, cold_weights_, cold, n);
  }

  std::vector<double> predict(const dist::Communicator& comm, const TrainingData& data,
                              const std::vector<math::Rating>& pairs) const override {
    if (rating_) return predict_rating(comm, data, pairs);
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
    if (rating_) {
      const std::vector<math::Rating> pair = {{user, item, 0.0f}};
      Explanation e;
      e.method =
          "hybrid (rating): the intercept plus each model's weight times its predicted rating; the "
          "blend is their sum clipped to [" +
          num(clip_min_) + ", " + num(clip_max_) + "]";
      e.method += "; a model's weight grows with the user's and the item's log(1 + training ratings)";
      e.terms.push_back({"bias", "intercept", intercept_});
      const auto f = blend_features(comm, data, pair);
      const size_t m = parts_.size();
      const double fu = f[2 * m][0], fi = f[3 * m + 1][0];
      for (size_t j = 0; j < m; ++j) {
        const double w = weights_[j] + support_[j] * fu + support_[m + j] * fi;
        e.terms.push_back({"model", names_[j], w * f[j][0]});
      }
      e.terms.push_back({"bias", "user support", support_[2 * m] * fu});
      e.terms.push_back({"bias", "item support", support_[2 * m + 1] * fi});
      for (const auto& t : e.terms) e.score += t.value;
      std::vector<double> x;
      for (const auto& col : f) x.push_back(col[0]);
      e.model = math::blend_rating(blend_vector(), x, clip_min_, clip_max_);
      return e;
    }
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
      if (rating_) {
        a["blend_user_support_weight"] = support_[j];
        a["blend_item_support_weight"] = support_[names_.size() + j];
      }
      a["blend_cold_weight"] = cold_weights_[j];
      a["light_weight"] = light_weights_[j];
      a["light_cold_weight"] = light_cold_weights_[j];
      out.attributes(g, a);
      parts_[j]->save(out, data, g);
    }
  }

  void load(const io::ModelReader& in, const std::string& group, const TrainingData& data) override {
    const io::Attributes a = in.attributes(group);
    // Files written before rating blends have no blend_target: ranking.
    rating_ = a.count("blend_target") && attr_string(a, "blend_target", in) == "rating";
    if (a.count("blend_target") && !rating_ && attr_string(a, "blend_target", in) != "ranking")
      in.fail("blend_target must be ranking or rating");
    if (rating_) {
      intercept_ = attr_double(a, "blend_intercept", in);
      clip_min_ = attr_double(a, "rating_min", in);
      clip_max_ = attr_double(a, "rating_max", in);
    }
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
    std::vector<double> by_user, by_item;
    for (const auto& name : names_) {
      const std::string g = group + "/components/" + name;
      parts_.push_back(load_model(in, g, data));
      const io::Attributes ga = in.attributes(g);
      weights_.push_back(attr_double(ga, "blend_weight", in));
      cold_weights_.push_back(attr_double(ga, "blend_cold_weight", in));
      light_weights_.push_back(attr_double(ga, "light_weight", in));
      light_cold_weights_.push_back(attr_double(ga, "light_cold_weight", in));
      auto optional = [&](const char* key) { return ga.count(key) ? attr_double(ga, key, in) : 0.0; };
      by_user.push_back(optional("blend_user_support_weight"));
      by_item.push_back(optional("blend_item_support_weight"));
    }
    support_ = by_user;
    support_.insert(support_.end(), by_item.begin(), by_item.end());
    // Files written before the support features have none: weight 0.
    for (const char* key : {"blend_user_support", "blend_item_support"})
      support_.push_back(rating_ && a.count(key) ? attr_double(a, key, in) : 0.0);
  }

 private:
  void add_figures() {
    for (const auto& m : parts_) {
      const FitFigures& f = m->figures();
      figures_.seconds += f.seconds;
      figures_.flops += f.flops;
      figures_.solve_seconds += f.solve_seconds;
      figures_.last_bytes += f.last_bytes;
      figures_.iterations_run = std::max(figures_.iterations_run, f.iterations_run);
    }
  }

  // The weights in blend_features' order, as src/hybrid.hpp's blend_rating
  // takes them: (w0, w_1..w_M, then the support weights).
  std::vector<double> blend_vector() const {
    std::vector<double> w = {intercept_};
    w.insert(w.end(), weights_.begin(), weights_.end());
    w.insert(w.end(), support_.begin(), support_.end());
    return w;
  }

  // Collective. The rating blend's features of each of this rank's pairs,
  // feature-weighted linear stacking (Sill et al. 2009) on the support of
  // the pair: with f_u = log(1 + the user's training ratings) and f_i the
  // item's (0 for an unknown id), the columns are
  //   p_1 .. p_M,  p_1 f_u .. p_M f_u,  p_1 f_i .. p_M f_i,  f_u,  f_i
  // so that a model's weight w_m + v_m f_u + z_m f_i can grow where it has
  // more data (KNN with many co-ratings, factors for well-rated items). On
  // ml-100k u1 (als, knn, bpmf) the blend's test RMSE is 0.9045 with the
  // p_m alone and 0.9026 with the support columns.
  std::vector<std::vector<double>> blend_features(const dist::Communicator& comm, const TrainingData& data,
                                                  const std::vector<math::Rating>& pairs) const {
    std::vector<std::vector<double>> f = part_predictions(comm, data, pairs);
    auto support = [&](bool users) {
      const math::CsrBlock& block = users ? data.by_user : data.by_item;
      const dist::BlockPartition& part = users ? data.users : data.items;
      auto id = [users](const math::Rating& r) { return users ? r.user : r.item; };
      return dist::answer_at(
          comm, pairs, [&](const math::Rating& r) { return id(r) >= 0 ? part.owner(id(r)) : comm.rank(); },
          [&](const std::vector<math::Rating>& here) {
            std::vector<double> out;
            for (const math::Rating& r : here)
              out.push_back(
                  id(r) >= 0 ? std::log1p(static_cast<double>(block.row_nnz(id(r) - block.first_row))) : 0.0);
            return out;
          });
    };
    const std::vector<double> fu = support(true), fi = support(false);
    const size_t m = f.size();
    for (const std::vector<double>* s : {&fu, &fi}) {
      for (size_t j = 0; j < m; ++j) {
        std::vector<double> col(pairs.size());
        for (size_t t = 0; t < pairs.size(); ++t) col[t] = f[j][t] * (*s)[t];
        f.push_back(std::move(col));
      }
    }
    f.push_back(fu);
    f.push_back(fi);
    // Order: p (m), p f_u (m), p f_i (m), f_u, f_i.
    return f;
  }

  // Collective. Every part's prediction of each of this rank's `pairs`.
  std::vector<std::vector<double>> part_predictions(const dist::Communicator& comm, const TrainingData& data,
                                                    const std::vector<math::Rating>& pairs) const {
    std::vector<std::vector<double>> p;
    for (const auto& m : parts_) p.push_back(m->predict(comm, data, pairs));
    return p;
  }

  std::vector<double> predict_rating(const dist::Communicator& comm, const TrainingData& data,
                                     const std::vector<math::Rating>& pairs) const {
    const auto f = blend_features(comm, data, pairs);
    const std::vector<double> w = blend_vector();
    std::vector<double> out(pairs.size()), x(f.size());
    for (size_t j = 0; j < pairs.size(); ++j) {
      for (size_t c = 0; c < f.size(); ++c) x[c] = f[c][j];
      out[j] = math::blend_rating(w, x, clip_min_, clip_max_);
    }
    return out;
  }

  // The union of the parts' lists of --blend-depth (at least n) candidates
  // per user, ranked by the blended rating (ties to the smaller item id).
  TopLists recommend_rating(const dist::Communicator& comm, const TrainingData& data, const UserBatch& batch,
                            int n, const ItemFilter& filter) const {
    if (batch.histories)
      throw InputError(
          "a rating blend (--blend-target rating) scores the users it was trained on only, not users given "
          "by their ratings");
    std::vector<TopLists> lists;
    for (const auto& m : parts_)
      lists.push_back(m->recommend(comm, data, batch, std::max(n, depth_), filter));
    const Index users = batch.size(data);
    std::vector<math::Rating> pairs;
    std::vector<size_t> start(static_cast<size_t>(users) + 1, 0);
    std::vector<Index> items;
    for (Index j = 0; j < users; ++j) {
      items.clear();
      for (const auto& l : lists)
        for (const auto& e : l[j]) items.push_back(e.item);
      std::sort(items.begin(), items.end());
      items.erase(std::unique(items.begin(), items.end()), items.end());
      const Index user = data.by_user.first_row + batch.row(j);
      for (Index i : items) pairs.push_back({user, i, 0.0f});
      start[j + 1] = pairs.size();
    }
    const std::vector<double> score = predict_rating(comm, data, pairs);
    TopLists out(static_cast<size_t>(users));
    for (Index j = 0; j < users; ++j) {
      math::TopNHeap heap(n);
      for (size_t e = start[j]; e < start[j + 1]; ++e)
        if (!std::isnan(score[e])) heap.push(pairs[e].item, score[e]);
      out[j] = heap.sorted();
    }
    return out;
  }

  // --blend-target rating: learn or take the weights, fit the parts on all
  // training ratings, report each part's test RMSE and MAE and the blend's.
  int fit_rating(const dist::Communicator& comm, const FitContext& ctx, Metrics& metrics) {
    const TrainOptions& o = *run_;
    TrainingData& data = *ctx.data;
    const bool root = comm.rank() == 0;
    clip_min_ = data.min_rating;
    clip_max_ = data.max_rating;
    std::vector<double> w = {0.0};
    Record learnt = Record::object();
    if (o.blend_spec.weights.empty()) {
      w = learn_rating_weights(comm, ctx, learnt);
      if (root) std::printf("== blend auto: training every model on all training ratings ==\n");
    } else {
      w.insert(w.end(), o.blend_spec.weights.begin(), o.blend_spec.weights.end());
    }
    const int status = fit_parts(comm, ctx, metrics);
    if (status != kExitOk) return status;
    // Given weights have no support terms.
    w.resize(1 + 3 * names_.size() + 2, 0.0);
    intercept_ = w[0];
    weights_.assign(w.begin() + 1, w.begin() + 1 + static_cast<std::ptrdiff_t>(names_.size()));
    support_.assign(w.begin() + 1 + static_cast<std::ptrdiff_t>(names_.size()), w.end());
    cold_weights_.assign(names_.size(), 0.0);
    Record blend = Record::object();
    blend["intercept"] = intercept_;
    std::string line = "hybrid (rating): " + num(intercept_);
    const size_t nm = names_.size();
    for (size_t j = 0; j < nm; ++j) {
      line += " + (" + num(weights_[j]) + " + " + num(support_[j]) + " fu + " + num(support_[nm + j]) +
              " fi) " + names_[j];
      blend[names_[j]] = weights_[j];
      blend[names_[j] + "_user_support"] = support_[j];
      blend[names_[j] + "_item_support"] = support_[nm + j];
    }
    line += " + " + num(support_[2 * nm]) + " fu + " + num(support_[2 * nm + 1]) +
            " fi (fu, fi: log(1 + the user's, the item's training ratings))";
    blend["user_support"] = support_[2 * nm];
    blend["item_support"] = support_[2 * nm + 1];
    if (root) std::printf("%s, clipped to [%g, %g]\n", line.c_str(), clip_min_, clip_max_);
    Record record = ctx.label;
    record["blend"] = blend;
    record.update(learnt);
    ctx.report->json(record);
    if (data.test_count > 0) {
      const auto p = part_predictions(comm, data, data.test);
      for (size_t j = 0; j < parts_.size(); ++j) {
        const math::ErrorSums err = exact_errors(comm, p[j], data.test);
        if (root)
          std::printf("test %s: rmse %.4f mae %.4f over %lld ratings\n", names_[j].c_str(), err.rmse(),
                      err.mae(), static_cast<long long>(err.count));
        Record fields = ctx.label;
        fields["component"] = names_[j];
        fields["test_rmse"] = err.rmse();
        fields["test_mae"] = err.mae();
        if (ctx.tests) {
          auto lists = parts_[j]->recommend(comm, data, UserBatch{}, o.eval_k, ItemFilter{});
          for (auto& [k, v] : evaluate_lists(comm, data, *ctx.tests, lists, o.eval_k, o.relevance_threshold,
                                             "ranking " + names_[j]))
            fields[k] = v;
          fields["k"] = o.eval_k;
        }
        ctx.report->json(fields);
      }
      const std::vector<double> blended = predict_rating(comm, data, data.test);
      const math::ErrorSums err = exact_errors(comm, blended, data.test);
      if (root)
        std::printf("test hybrid (rating blend): rmse %.4f mae %.4f over %lld ratings\n", err.rmse(),
                    err.mae(), static_cast<long long>(err.count));
      metrics.emplace_back("test_rmse", err.rmse());
      metrics.emplace_back("test_mae", err.mae());
    }
    add_figures();
    return kExitOk;
  }

  // --blend-target rating with --blend auto: the least-squares weights
  // (w0, w_1, ..., w_M) of src/hybrid.hpp on the validation split of
  // learn_weights, from each part fitted on the rest and its predictions of
  // the validation ratings. The normal equation's sums are reduced exactly,
  // so the weights are the same at any rank count. `record` gets the
  // validation figures for the blend's record.
  std::vector<double> learn_rating_weights(const dist::Communicator& comm, const FitContext& ctx,
                                           Record& record) {
    TrainingData val = validation_split(comm, ctx);
    const FitContext c = fit_on_validation(comm, ctx, val);
    const auto p = blend_features(comm, val, val.test);
    math::RatingBlendSums sums(static_cast<int>(p.size()));
    std::vector<double> x(p.size());
    for (size_t t = 0; t < val.test.size(); ++t) {
      bool finite = true;
      for (size_t c = 0; c < p.size(); ++c) finite &= !std::isnan(x[c] = p[c][t]);
      if (finite) sums.add(x, val.test[t].value);
    }
    sums.sums() = dist::exact_allreduce(comm, sums.sums());
    if (!(sums.count() > 0))
      throw dist::JobError("blend auto: no validation rating every model predicts", kExitBadInput);
    const std::vector<double> w = sums.solve(kRatingBlendRidge);
    // Validation errors: each part alone, and the blend (in-sample for its weights).
    std::vector<double> blended(val.test.size());
    for (size_t t = 0; t < val.test.size(); ++t) {
      for (size_t c = 0; c < p.size(); ++c) x[c] = p[c][t];
      blended[t] = math::blend_rating(w, x, val.min_rating, val.max_rating);
    }
    const math::ErrorSums blend_err = exact_errors(comm, blended, val.test);
    std::string singles;
    for (size_t m = 0; m < parts_.size(); ++m) {
      const math::ErrorSums err = exact_errors(comm, p[m], val.test);
      singles += " " + names_[m] + " " + num(err.rmse());
      Record fields = c.label;
      fields["component"] = names_[m];
      fields["validation_rmse"] = err.rmse();
      fields["validation_mae"] = err.mae();
      ctx.report->json(fields);
    }
    if (comm.rank() == 0) {
      std::printf("blend auto (rating): least squares over %.0f validation ratings (ridge %g per rating): %s",
                  sums.count(), kRatingBlendRidge, num(w[0]).c_str());
      for (size_t m = 0; m < parts_.size(); ++m)
        std::printf(" %s %s %s", w[m + 1] < 0 ? "-" : "+", num(std::abs(w[m + 1])).c_str(),
                    names_[m].c_str());
      std::printf(" + support terms");
      std::printf("\nblend auto (rating): validation rmse %.4f mae %.4f (single models:%s)\n",
                  blend_err.rmse(), blend_err.mae(), singles.c_str());
    }
    record["validation_rmse"] = blend_err.rmse();
    record["validation_mae"] = blend_err.mae();
    record["validation_ratings"] = static_cast<std::int64_t>(sums.count());
    parts_.clear();
    return w;
  }

  // Collective. Fits every part on the validation split's training part
  // `val`; returns the context its records are labelled with.
  FitContext fit_on_validation(const dist::Communicator& comm, const FitContext& ctx, TrainingData& val) {
    FitContext c = ctx;
    c.data = &val;
    c.label["validation"] = true;
    Metrics ignored;
    if (fit_parts(comm, c, ignored) != kExitOk)
      throw dist::JobError("stopped by a signal while learning the blend weights", kExitPreempted);
    return c;
  }

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

  // Collective. --blend auto's validation split, carved from the training
  // ratings: each user's latest --holdout fraction (default 0.2; by
  // timestamp if there are timestamps, else by hash of --split-seed + 1);
  // for a rating blend that fraction of the ratings at random (by hash), as
  // rating tests are drawn (MovieLens' u1-u5, --holdout's default), unless
  // the run's own --split is temporal: weights fitted on each user's latest
  // ratings favour the model that extrapolates best in time, not the one
  // that predicts a held-out rating best (on ml-100k u1 the blend of als,
  // knn and bpmf reaches 0.9057 with them, 0.90xx with a random split),
  // plus every rating of a share of the items (--cold-items, or else the
  // share of the job's items without interactions), so that validation has
  // new items in the same proportion as the test. Sets held_items_.
  TrainingData validation_split(const dist::Communicator& comm, const FitContext& ctx) {
    const TrainOptions& o = *run_;
    const TrainingData& data = *ctx.data;
    math::SplitSpec spec;
    if (rating_ && o.split.kind != "temporal")
      spec.kind = math::SplitKind::kRandom;
    else
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
          spec.kind == math::SplitKind::kTemporal ? "latest"
          : spec.kind == math::SplitKind::kRandom ? "random, per rating,"
                                                  : "random",
          spec.fraction, held, static_cast<long long>(val.test_count));
    held_items_ = held;
    return val;
  }

  // --blend auto: the weights that maximise NDCG@k on validation_split's
  // split of the training ratings. First w over the simplex grid with
  // step 0.1 (c = w), then content's c over 0, 0.1, ..., 1 with w fixed; the
  // first best in grid order wins at each stage.
  BlendWeights learn_weights(const dist::Communicator& comm, const FitContext& ctx) {
    const TrainOptions& o = *run_;
    TrainingData val = validation_split(comm, ctx);
    const FitContext c = fit_on_validation(comm, ctx, val);
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
    const auto grid = math::simplex_grid(static_cast<int>(named_), 10);
    Progress progress(comm, "blend auto: weight search", "blends");
    for (size_t gi = 0; gi < grid.size(); ++gi) {
      progress.update(static_cast<double>(gi), static_cast<double>(grid.size()));
      const auto& g = grid[gi];
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
    if (held_items_ > 0 && content < named_) {
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
  Index held_items_ = 0;  // items validation_split held out entirely
  // --blend-target rating: r_hat = clip(intercept_ + sum weights_[m] p_m +
  // support_ . (the support columns of blend_features), clip_min_, clip_max_).
  bool rating_ = false;
  double intercept_ = 0;
  std::vector<double> support_;  // 2M + 2: p f_u weights, p f_i weights, f_u, f_i
  double clip_min_ = -HUGE_VAL, clip_max_ = HUGE_VAL;
};

}  // namespace

std::unique_ptr<Model> make_hybrid(const TrainOptions& o) { return std::make_unique<HybridModel>(o); }
std::unique_ptr<Model> blank_hybrid() { return std::make_unique<HybridModel>(); }

}  // namespace hpcrec::app
