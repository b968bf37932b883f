// als (explicit, biased ALS-WR) and ials (implicit, Hu-Koren-Volinsky): the
// distributed drivers of mpi/ brought to the model interface, with a table
// row, JSON line and checkpoint per iteration.
//
// explain follows implicit's explain: the user's own normal equation is
// solved again against the model's item factors, so the user vector is a
// weighted sum over the user's rated items and the score splits into one
// term per rated item that adds up exactly.
//
//   als:  w = [x_u; b_u] = A^-1 sum_j z_j t_j,  z_j = [y_j; 1],
//         t_j = r_uj - mu - b_j,  A = sum_j z_j z_j^T + diag(l s, ..., l s, lb s)
//         (s = n_u under ALS-WR, else 1), so
//         score = mu + b_i + sum_j (z_i^T A^-1 z_j) t_j,  z_i = [y_i; 1].
//   ials: x_u = A^-1 sum_j c_uj y_j,  A = Y^T Y + sum_j w_uj y_j y_j^T + lambda I,
//         score = sum_j (y_i^T A^-1 y_j) c_uj.
//
// The recomputed score differs from the model's (`model`) by the last
// half-step: training ends with the items, after which x_u is no longer the
// exact solution against the final Y.
//
// Worked example (ials, k = 1, lambda = 1, alpha = 1, all of Y = {y_0 = 1,
// y_1 = 2}): a user with r_u0 = 1 has c = 2, w = 1; A = 5 + 1 + 1 = 7,
// x_u = 2/7; score(1) = y_1 x_u = 4/7, one term: item 0 with 2 * 2/7 = 4/7.
#include <Eigen/Cholesky>
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "app/als_family.hpp"
#include "app/checkpointing.hpp"
#include "app/commands.hpp"
#include "app/factor_model.hpp"
#include "app/progress.hpp"
#include "app/resources.hpp"
#include "app/train_options.hpp"
#include "app/train_report.hpp"
#include "mpi/als_driver.hpp"
#include "mpi/evaluation.hpp"
#include "mpi/exact_reduce.hpp"
#include "mpi/ials_driver.hpp"
#include "mpi/routing.hpp"
#include "src/gram.hpp"
#include "src/support_ranking.hpp"

namespace hpcrec::app {

namespace {

using math::Index;

// Fold-in: the item rows `histories` refer to, gathered from their owners
// through a routing plan (as a training half-step gathers them), and the
// histories with gathered-row column ids.
struct GatheredItems {
  math::Matrix rows;  // [factors (, bias)] per needed item
  math::CsrBlock local;
};
GatheredItems gather_items(const dist::Communicator& comm, const TrainingData& data,
                           const math::CsrBlock& histories, const math::Matrix& item_factors,
                           const math::Vector* item_bias) {
  std::vector<Index> needed(histories.cols.begin(), histories.cols.end());
  std::sort(needed.begin(), needed.end());
  needed.erase(std::unique(needed.begin(), needed.end()), needed.end());
  const dist::RoutingPlan plan = dist::RoutingPlan::build(comm, std::move(needed), data.items);
  GatheredItems g{plan.exchange(comm, item_factors, item_bias), histories};
  plan.localize(g.local.cols);
  return g;
}

// --- als -----------------------------------------------------------------

struct AlsOptions {
  dist::ExplicitAlsOptions als;
  std::string reg_scaling = "als-wr";
  int iterations = 15;
};

class AlsModel : public AlsFamily {
 public:
  AlsModel() = default;
  explicit AlsModel(const TrainOptions& o) {
    opt_.als = o.als;
    opt_.reg_scaling = o.reg_scaling;
    opt_.iterations = o.iterations;
    threads_ = o.als.threads;
    rank_by_support_ = o.rank_by == "support";
    like_threshold_ = o.like_threshold;
  }
  std::string name() const override { return "als"; }

  io::Attributes hyper() const override {
    return {{"algorithm", name()},
            {"factors", std::int64_t{opt_.als.factors}},
            {"lambda", opt_.als.lambda},
            {"seed", static_cast<std::int64_t>(opt_.als.seed)},
            {"bias_lambda", opt_.als.bias_lambda},
            {"reg_scaling", opt_.reg_scaling},
            {"solver", std::string(opt_.als.solver == math::SolverKind::kCholesky ? "cholesky" : "cg")},
            {"cg_steps", std::int64_t{opt_.als.cg_steps}}};
  }
  io::Attributes attributes() const override {
    io::Attributes a = hyper();
    a["iterations"] = std::int64_t{opt_.iterations};
    add_rating_attributes(a);
    return a;
  }

  int fit(const dist::Communicator& comm, const FitContext& ctx, Metrics& metrics) override {
    TrainingData& data = *ctx.data;
    opt_.als.clip_min = clip_min_ = data.min_rating;
    opt_.als.clip_max = clip_max_ = data.max_rating;
    mu_ = data.global_mean;
    Checkpointing checkpoints = checkpointing(comm, ctx);
    dist::TestSet test = dist::place_test_ratings(comm, data.test, data.users, data.items);
    dist::ExplicitAls driver(comm, {data.users, std::move(data.by_user), {}, false, {}, {}},
                             {data.items, std::move(data.by_item), {}, false, {}, {}}, std::move(test),
                             data.global_mean, opt_.als);
    trace_phase(comm.rank(), "driver ready");
    warm_start(ctx, driver);
    if (ctx.warm && ctx.warm->fold_users) {
      const int status = fold_only(comm, ctx, driver);
      residual_sd_ = ctx.warm->model->number("residual_sd", NAN);
      if (std::isnan(residual_sd_)) residual_sd_ = als_family::rating_sd(comm, data);
      return status;
    }
    limit_to_touched(comm, ctx, driver);
    if (comm.rank() == 0)
      std::printf("%5s %11s %11s %9s %12s\n", "iter", "train_rmse", "test_rmse", "seconds", "MB_exchanged");
    dist::IterationStats last;
    const int status =
        iterate(comm, ctx, driver, checkpoints, opt_.iterations, [&](const dist::IterationStats& s) {
          last = s;
          residual_sd_ = s.train.rmse();
          char line[160];
          std::snprintf(line, sizeof line, "%5d %11.5f %11s %9.3f %12.2f", s.iteration, s.train.rmse(),
                        s.test.count ? num(s.test.rmse()).c_str() : "-", s.seconds, s.bytes_exchanged / 1e6);
          Record fields = {{"train_rmse", s.train.rmse()},
                           {"test_rmse", s.test.count ? s.test.rmse() : NAN},
                           {"test_mae", s.test.count ? s.test.mae() : NAN}};
          return std::pair{std::string(line), fields};
        });
    // Resumed at or past --iterations: no iteration ran, so report the
    // checkpoint's factors (not an empty train_rmse 0, no test figures).
    if (status == kExitOk && figures_.iterations_run == 0) {
      last = driver.current_stats();
      residual_sd_ = last.train.rmse();
    }
    trace_phase(comm.rank(), "trained");
    take(driver);
    trace_phase(comm.rank(), "model took the factors");
    als_family::restore_blocks(driver, data);
    trace_phase(comm.rank(), "blocks restored");
    // Stopped by a signal before the first iteration: no residuals yet.
    if (std::isnan(residual_sd_)) residual_sd_ = als_family::rating_sd(comm, data);
    if (status != kExitOk) return status;
    als_family::add_rating_metrics(last, metrics);
    return kExitOk;
  }

  Explanation explain(const dist::Communicator&, const TrainingData& data, Index user,
                      Index item) const override {
    const Index u = user - first_user_, i = item - first_item_;
    const auto cols = data.by_user.row_cols(u);
    const auto vals = data.by_user.row_values(u);
    const Eigen::Index k = item_factors_.cols(), d = k + 1;
    const double s = opt_.reg_scaling == "als-wr" ? static_cast<double>(cols.size()) : 1.0;
    math::Matrix z(static_cast<Eigen::Index>(cols.size()), d);
    math::Vector t(static_cast<Eigen::Index>(cols.size()));
    for (size_t j = 0; j < cols.size(); ++j) {
      const Index jj = cols[j] - first_item_;
      z.row(static_cast<Eigen::Index>(j)) << item_factors_.row(jj), 1.0;
      t[static_cast<Eigen::Index>(j)] = vals[j] - mu_ - item_bias_[jj];
    }
    math::Matrix a = z.transpose() * z;
    for (Eigen::Index f = 0; f < k; ++f) a(f, f) += opt_.als.lambda * s;
    a(k, k) += opt_.als.bias_lambda * s;
    math::Vector zi(d);
    zi << item_factors_.row(i).transpose(), 1.0;
    // q = A^-1 z_i (A symmetric): term j = (z_j . q) t_j.
    const math::Vector q = a.ldlt().solve(zi);
    Explanation e;
    e.method = "als: the user's regularised least squares re-solved against the item factors";
    e.terms.push_back({"bias", "global mean", mu_});
    e.terms.push_back({"bias", "item bias", item_bias_[i]});
    for (size_t j = 0; j < cols.size(); ++j) {
      const double c = z.row(static_cast<Eigen::Index>(j)).dot(q) * t[static_cast<Eigen::Index>(j)];
      e.terms.push_back({"item", data.item_ids.name(cols[j]), c});
    }
    for (const auto& term : e.terms) e.score += term.value;
    e.model = mu_ + user_bias_[u] + item_bias_[i] + user_factors_.row(u).dot(item_factors_.row(i));
    if (rank_by_support_) {
      // Ranked by the support score of src/support_ranking.hpp, not by the rating.
      const math::Offset n = data.by_item.row_nnz(i);
      const math::Vector prior = math::Vector::Constant(1, std::log1p(static_cast<double>(n)));
      const math::SupportRanking ranking = support_ranking(prior);
      const double score = ranking.score(e.model, 0);
      char how[200];
      std::snprintf(
          how, sizeof how,
          "; ranked by support: log(1 + %lld ratings) + log P(rating >= %.4g) = %.4g + %.4g (sigma %.4g)",
          static_cast<long long>(n), ranking.threshold, prior[0], score - prior[0], 1.0 / ranking.inv_sigma);
      e.method += how;
      e.model = score;
    }
    return e;
  }

  bool predicts_ratings() const override { return true; }

  void set_rank_by(const std::string& how) override {
    if (how == "support" && !(residual_sd_ >= 0))
      throw InputError(
          "this als model was saved before support ranking (no residual_sd): retrain it, or use "
          "--rank-by rating");
    rank_by_support_ = how == "support";
  }

  // The user half-step of training for these rows: (x_u, b_u) jointly, by
  // the same kernel, against the model's item factors and biases.
  Folded fold_in(const dist::Communicator& comm, const TrainingData& data,
                 const math::CsrBlock& histories) const override {
    const int k = static_cast<int>(item_factors_.cols());
    const GatheredItems g = gather_items(comm, data, histories, item_factors_, &item_bias_);
    math::ExplicitAlsConfig cfg;
    cfg.lambda = opt_.als.lambda;
    cfg.bias_lambda = opt_.als.bias_lambda;
    cfg.weighted_lambda = opt_.als.weighted_lambda;
    cfg.global_mean = mu_;
    cfg.threads = threads_;
    Folded out{math::Matrix::Zero(histories.rows(), k), math::Vector::Zero(histories.rows())};
    math::CsrView view{g.local.indptr, g.local.cols, g.local.values};
    math::solve_explicit_rows(view, g.rows.leftCols(k), g.rows.col(k), cfg, out.factors, out.bias);
    return out;
  }

 protected:
  bool rating_scale() const override { return true; }
  void load_options(const io::Attributes& a, const io::ModelReader& in) override {
    opt_.als.factors = static_cast<int>(attr_int(a, "factors", in));
    opt_.als.lambda = attr_double(a, "lambda", in);
    opt_.als.bias_lambda = attr_double(a, "bias_lambda", in);
    opt_.als.seed = static_cast<std::uint64_t>(attr_int(a, "seed", in));
    opt_.reg_scaling = attr_string(a, "reg_scaling", in);
    opt_.als.weighted_lambda = opt_.reg_scaling == "als-wr";
    opt_.iterations = static_cast<int>(attr_int(a, "iterations", in));
    // Saved before explicit ALS had a CG solver: Cholesky.
    const bool cg = a.count("solver") && attr_string(a, "solver", in) == "cg";
    opt_.als.solver = cg ? math::SolverKind::kConjugateGradient : math::SolverKind::kCholesky;
    if (a.count("cg_steps")) opt_.als.cg_steps = static_cast<int>(attr_int(a, "cg_steps", in));
    load_rating_attributes(a, in);
    opt_.als.clip_min = clip_min_;
    opt_.als.clip_max = clip_max_;
  }

 private:
  AlsOptions opt_;
};

// --- ials ----------------------------------------------------------------

struct IalsOptions {
  dist::ImplicitAlsOptions ials;
  std::string confidence = "linear", solver = "cg";
  int iterations = 15;
};

class IalsModel : public AlsFamily {
 public:
  IalsModel() = default;
  explicit IalsModel(const TrainOptions& o) {
    opt_.ials = o.ials;
    opt_.confidence = o.confidence;
    opt_.solver = o.solver;
    opt_.iterations = o.iterations;
    threads_ = o.als.threads;
  }
  std::string name() const override { return "ials"; }

  io::Attributes hyper() const override {
    return {{"algorithm", name()},
            {"factors", std::int64_t{opt_.ials.factors}},
            {"lambda", opt_.ials.kernel.lambda},
            {"seed", static_cast<std::int64_t>(opt_.ials.seed)},
            {"alpha", opt_.ials.kernel.alpha},
            {"confidence", opt_.confidence},
            {"eps", opt_.ials.kernel.eps},
            {"solver", opt_.solver},
            {"cg_steps", std::int64_t{opt_.ials.kernel.cg_steps}}};
  }
  io::Attributes attributes() const override {
    io::Attributes a = hyper();
    a["global_mean"] = 0.0;
    a["iterations"] = std::int64_t{opt_.iterations};
    return a;
  }

  int fit(const dist::Communicator& comm, const FitContext& ctx, Metrics& metrics) override {
    TrainingData& data = *ctx.data;
    Checkpointing checkpoints = checkpointing(comm, ctx);
    dist::ImplicitAls driver(comm, {data.users, std::move(data.by_user), {}, false, {}, {}},
                             {data.items, std::move(data.by_item), {}, false, {}, {}}, opt_.ials);
    trace_phase(comm.rank(), "driver ready");
    warm_start(ctx, driver);
    if (ctx.warm && ctx.warm->fold_users) return fold_only(comm, ctx, driver);
    limit_to_touched(comm, ctx, driver);
    if (comm.rank() == 0) std::printf("%5s %14s %9s %12s\n", "iter", "loss", "seconds", "MB_exchanged");
    double loss = 0;
    const int status =
        iterate(comm, ctx, driver, checkpoints, opt_.iterations, [&](const dist::ImplicitIterationStats& s) {
          loss = s.loss;
          char line[160];
          std::snprintf(line, sizeof line, "%5d %14.6g %9.3f %12.2f", s.iteration, s.loss, s.seconds,
                        s.bytes_exchanged / 1e6);
          return std::pair{std::string(line), Record{{"loss", s.loss}}};
        });
    if (status == kExitOk && figures_.iterations_run == 0) loss = driver.current_stats().loss;  // as als
    trace_phase(comm.rank(), "trained");
    take(driver);
    trace_phase(comm.rank(), "model took the factors");
    als_family::restore_blocks(driver, data);
    trace_phase(comm.rank(), "blocks restored");
    if (status != kExitOk) return status;
    metrics.emplace_back("loss", loss);
    return kExitOk;
  }

  Explanation explain(const dist::Communicator&, const TrainingData& data, Index user,
                      Index item) const override {
    const Index u = user - first_user_, i = item - first_item_;
    const auto cols = data.by_user.row_cols(u);
    const auto vals = data.by_user.row_values(u);
    const math::ImplicitAlsConfig& cfg = opt_.ials.kernel;
    math::Matrix a = item_factors_.transpose() * item_factors_;
    a.diagonal().array() += cfg.lambda;
    std::vector<double> conf(cols.size(), 0.0);
    for (size_t j = 0; j < cols.size(); ++j) {
      const double w = math::implicit_confidence_weight(cfg, vals[j]);
      if (w <= 0 && vals[j] <= 0) continue;  // stored r <= 0: an unobserved pair
      const auto y = item_factors_.row(cols[j] - first_item_);
      a.noalias() += w * y.transpose() * y;
      conf[j] = 1.0 + w;
    }
    const math::Vector q = a.ldlt().solve(item_factors_.row(i).transpose());
    Explanation e;
    e.method = "ials: the user's confidence-weighted least squares re-solved against the item factors";
    for (size_t j = 0; j < cols.size(); ++j) {
      if (conf[j] == 0) continue;
      const double c = item_factors_.row(cols[j] - first_item_).dot(q) * conf[j];
      e.terms.push_back({"item", data.item_ids.name(cols[j]), c});
    }
    for (const auto& term : e.terms) e.score += term.value;
    e.model = user_factors_.row(u).dot(item_factors_.row(i));
    return e;
  }

  // The user half-step for these rows, solved exactly (Cholesky: a new user
  // has no previous vector for CG to start from) against Y^T Y of all items.
  Folded fold_in(const dist::Communicator& comm, const TrainingData& data,
                 const math::CsrBlock& histories) const override {
    const int k = static_cast<int>(item_factors_.cols());
    const GatheredItems g = gather_items(comm, data, histories, item_factors_, nullptr);
    math::ExactGram gram(k);
    math::add_gram_chunks(item_factors_, first_item_, gram);
    std::vector<std::int64_t> limbs = gram.to_limbs();
    comm.allreduce_inplace<std::int64_t>(limbs, MPI_SUM);
    const math::ColMatrix yty = math::ExactGram::from_limbs(k, limbs).value();
    math::ImplicitAlsConfig cfg = opt_.ials.kernel;
    cfg.solver = math::SolverKind::kCholesky;
    cfg.threads = threads_;
    Folded out{math::Matrix::Zero(histories.rows(), k), math::Vector::Zero(histories.rows())};
    math::CsrView view{g.local.indptr, g.local.cols, g.local.values};
    math::solve_implicit_rows(view, g.rows, yty, cfg, out.factors);
    return out;
  }

 protected:
  void load_options(const io::Attributes& a, const io::ModelReader& in) override {
    opt_.ials.factors = static_cast<int>(attr_int(a, "factors", in));
    opt_.ials.kernel.lambda = attr_double(a, "lambda", in);
    opt_.ials.kernel.alpha = attr_double(a, "alpha", in);
    opt_.ials.kernel.eps = attr_double(a, "eps", in);
    opt_.ials.seed = static_cast<std::uint64_t>(attr_int(a, "seed", in));
    opt_.confidence = attr_string(a, "confidence", in);
    opt_.ials.kernel.confidence = opt_.confidence == "log" ? math::ImplicitAlsConfig::Confidence::kLog
                                                           : math::ImplicitAlsConfig::Confidence::kLinear;
    opt_.solver = attr_string(a, "solver", in);
    opt_.ials.kernel.cg_steps = static_cast<int>(attr_int(a, "cg_steps", in));
    opt_.iterations = static_cast<int>(attr_int(a, "iterations", in));
    mu_ = 0;
  }

 private:
  IalsOptions opt_;
};

}  // namespace

std::vector<std::string> als_train_flags(const io::Attributes& a, const io::ModelReader& in) {
  std::vector<std::string> flags = {
      "--factors",     std::to_string(attr_int(a, "factors", in)),
      "--lambda",      num17(attr_double(a, "lambda", in)),
      "--bias-lambda", num17(attr_double(a, "bias_lambda", in)),
      "--reg-scaling", attr_string(a, "reg_scaling", in),
      "--seed",        std::to_string(attr_int(a, "seed", in)),
      "--rank-by",     a.count("rank_by") ? attr_string(a, "rank_by", in) : "rating",
      "--solver",      a.count("solver") ? attr_string(a, "solver", in) : "cholesky"};
  if (a.count("cg_steps"))
    flags.insert(flags.end(), {"--cg-steps", std::to_string(attr_int(a, "cg_steps", in))});
  if (a.count("like_threshold"))
    flags.insert(flags.end(), {"--like-threshold", num17(attr_double(a, "like_threshold", in))});
  return flags;
}

std::vector<std::string> ials_train_flags(const io::Attributes& a, const io::ModelReader& in) {
  return {"--factors",    std::to_string(attr_int(a, "factors", in)),
          "--lambda",     num17(attr_double(a, "lambda", in)),
          "--alpha",      num17(attr_double(a, "alpha", in)),
          "--confidence", attr_string(a, "confidence", in),
          "--eps",        num17(attr_double(a, "eps", in)),
          "--solver",     attr_string(a, "solver", in),
          "--cg-steps",   std::to_string(attr_int(a, "cg_steps", in)),
          "--seed",       std::to_string(attr_int(a, "seed", in))};
}

std::unique_ptr<Model> make_als(const TrainOptions& o) { return std::make_unique<AlsModel>(o); }
std::unique_ptr<Model> blank_als() { return std::make_unique<AlsModel>(); }
std::unique_ptr<Model> make_ials(const TrainOptions& o) { return std::make_unique<IalsModel>(o); }
std::unique_ptr<Model> blank_ials() { return std::make_unique<IalsModel>(); }

}  // namespace hpcrec::app
