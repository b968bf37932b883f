// bpmf: Bayesian MF by Gibbs sampling (mpi/bpmf_driver.hpp) brought to the
// model interface. The saved model is the posterior mean over the kept
// samples written as one factor model of width K k (users [x^1 .. x^K] / K,
// items [y^1 .. y^K], biases the means), so scoring, top-N, predict and the
// file format are FactorModel's; the root attributes add `rank` (k per
// sample) and `kept_samples` (K). Top-N follows als (--rank-by support by
// default, sigma the last sample's training RMSE).
#include <cmath>
#include <cstdio>

#include "app/als_family.hpp"

namespace hpcrec::app {

namespace {

using math::Index;

class BpmfModel : public AlsFamily {
 public:
  BpmfModel() = default;
  explicit BpmfModel(const TrainOptions& o) {
    opt_ = o.bpmf;
    opt_.seed = o.als.seed;
    opt_.threads = o.als.threads;
    opt_.init_lambda = o.als.lambda;
    opt_.init_bias_lambda = o.als.bias_lambda;
    threads_ = o.als.threads;
    rank_by_support_ = o.rank_by == "support";
    like_threshold_ = o.like_threshold;
  }
  std::string name() const override { return "bpmf"; }

  // For checkpoints: "factors" is the width of the stored state (the rows
  // and every kept sample), so a checkpoint of another --samples, --burn-in
  // or --thin is refused like one of another --factors.
  io::Attributes hyper() const override {
    return {{"algorithm", name()},
            {"factors", std::int64_t{opt_.state_width()}},
            {"rank", std::int64_t{opt_.factors}},
            {"seed", static_cast<std::int64_t>(opt_.seed)},
            {"samples", std::int64_t{opt_.samples}},
            {"burn_in", std::int64_t{opt_.burn_in}},
            {"thin", std::int64_t{opt_.thin}},
            {"noise_precision", opt_.noise_precision},
            {"beta0", opt_.beta0},
            {"init_sweeps", std::int64_t{opt_.init_sweeps}},
            {"init_lambda", opt_.init_lambda}};
  }
  io::Attributes attributes() const override {
    io::Attributes a = hyper();
    a["factors"] = std::int64_t{opt_.factors};  // the model file's own: its width (write_model)
    a["kept_samples"] = std::int64_t{kept_};
    add_rating_attributes(a);
    return a;
  }

  int fit(const dist::Communicator& comm, const FitContext& ctx, Metrics& metrics) override {
    TrainingData& data = *ctx.data;
    opt_.clip_min = clip_min_ = data.min_rating;
    opt_.clip_max = clip_max_ = data.max_rating;
    mu_ = data.global_mean;
    Checkpointing checkpoints = checkpointing(comm, ctx);
    dist::TestSet test = dist::place_test_ratings(comm, data.test, data.users, data.items);
    dist::Bpmf driver(comm, {data.users, std::move(data.by_user), {}, false, {}, {}},
                      {data.items, std::move(data.by_item), {}, false, {}, {}}, std::move(test),
                      data.global_mean, opt_);
    if (comm.rank() == 0)
      std::printf("%6s %5s %11s %11s %11s %8s %9s %12s\n", "sample", "kept", "train_rmse", "sample_rmse",
                  "test_rmse", "alpha", "seconds", "MB_exchanged");
    dist::BpmfStats last;
    const int status = iterate(comm, ctx, driver, checkpoints, opt_.samples, [&](const dist::BpmfStats& s) {
      last = s;
      residual_sd_ = s.train.rmse();
      char line[200];
      std::snprintf(line, sizeof line, "%6d %5d %11.5f %11s %11s %8.4f %9.3f %12.2f", s.iteration, s.kept,
                    s.train.rmse(), s.test.count ? num(s.sample_test.rmse()).c_str() : "-",
                    s.test.count ? num(s.test.rmse()).c_str() : "-", s.alpha, s.seconds,
                    s.bytes_exchanged / 1e6);
      Record fields = {{"kept", s.kept},
                       {"alpha", s.alpha},
                       {"train_rmse", s.train.rmse()},
                       {"sample_test_rmse", s.test.count ? s.sample_test.rmse() : NAN},
                       {"test_rmse", s.test.count ? s.test.rmse() : NAN},
                       {"test_mae", s.test.count ? s.test.mae() : NAN}};
      return std::pair{std::string(line), fields};
    });
    if (status == kExitOk && figures_.iterations_run == 0) {
      last = driver.current_stats();
      residual_sd_ = last.train.rmse();
    }
    kept_ = driver.kept();
    take(driver);
    als_family::restore_blocks(driver, data);
    if (std::isnan(residual_sd_)) residual_sd_ = als_family::rating_sd(comm, data);
    if (status != kExitOk) return status;
    if (comm.rank() == 0)
      std::printf("bpmf: the model is the mean of %d kept sample(s) (width %d = %d x %d factors)\n", kept_,
                  static_cast<int>(item_factors_.cols()), std::max(kept_, 1), opt_.factors);
    als_family::add_rating_metrics(last, metrics);
    return kExitOk;
  }

  // The score split into its parts: the mean over the kept samples of
  // mu + b_u + b_i + x_u . y_i, each term the mean of its own.
  Explanation explain(const dist::Communicator&, const TrainingData& data, Index user,
                      Index item) const override {
    const Index u = user - first_user_, i = item - first_item_;
    Explanation e;
    e.method = "bpmf: the posterior mean over " + std::to_string(std::max(kept_, 1)) +
               " kept sample(s) of global mean + user bias + item bias + factors";
    e.terms.push_back({"bias", "global mean", mu_});
    e.terms.push_back({"bias", "user bias", user_bias_[u]});
    e.terms.push_back({"bias", "item bias", item_bias_[i]});
    e.terms.push_back({"model", "factors", user_factors_.row(u).dot(item_factors_.row(i))});
    for (const auto& term : e.terms) e.score += term.value;
    e.model = e.score;
    if (rank_by_support_) {
      const math::Offset n = data.by_item.row_nnz(i);
      const math::Vector prior = math::Vector::Constant(1, std::log1p(static_cast<double>(n)));
      const math::SupportRanking ranking = support_ranking(prior);
      e.model = ranking.score(e.score, 0);
      e.method += "; ranked by support (as als)";
    }
    return e;
  }

  bool predicts_ratings() const override { return true; }

  void set_rank_by(const std::string& how) override { rank_by_support_ = how == "support"; }

  Folded fold_in(const dist::Communicator&, const TrainingData&, const math::CsrBlock&) const override {
    throw InputError("bpmf models do not fold in users (yet): retrain with them, or use als");
  }

 protected:
  bool rating_scale() const override { return true; }
  void load_options(const io::Attributes& a, const io::ModelReader& in) override {
    opt_.factors = static_cast<int>(attr_int(a, "rank", in));
    opt_.seed = static_cast<std::uint64_t>(attr_int(a, "seed", in));
    opt_.samples = static_cast<int>(attr_int(a, "samples", in));
    opt_.burn_in = static_cast<int>(attr_int(a, "burn_in", in));
    opt_.thin = static_cast<int>(attr_int(a, "thin", in));
    opt_.noise_precision = attr_double(a, "noise_precision", in);
    opt_.beta0 = attr_double(a, "beta0", in);
    opt_.init_sweeps = static_cast<int>(attr_int(a, "init_sweeps", in));
    opt_.init_lambda = attr_double(a, "init_lambda", in);
    kept_ = static_cast<int>(attr_int(a, "kept_samples", in));
    load_rating_attributes(a, in);
    opt_.clip_min = clip_min_;
    opt_.clip_max = clip_max_;
  }

 private:
  dist::BpmfOptions opt_;
  int kept_ = 0;
};

}  // namespace

std::unique_ptr<Model> make_bpmf(const TrainOptions& o) { return std::make_unique<BpmfModel>(o); }
std::unique_ptr<Model> blank_bpmf() { return std::make_unique<BpmfModel>(); }

}  // namespace hpcrec::app
