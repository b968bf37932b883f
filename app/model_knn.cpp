// knn: item- or user-based neighbourhood CF (mpi/knn_driver.hpp) as a model.
// Its baselines (mu + b_u + b_i) are the file's /users/bias, /items/bias;
// its neighbour lists /knn. Lists rank by the sum of the similarities of
// the candidate's neighbours the user rated (item-based) or of the user's
// neighbours who rated it (user-based), so `explain` lists exactly those
// similarities; `predict` is the KNN rating prediction train evaluates.
#include <cstdio>
#include <stdexcept>

#include "app/commands.hpp"
#include "app/factor_model.hpp"
#include "app/progress.hpp"
#include "app/resources.hpp"
#include "app/train_options.hpp"
#include "mpi/distribute.hpp"
#include "mpi/knn_driver.hpp"
#include "src/sparse_reference.hpp"

namespace hpcrec::app {

namespace {

using math::Index;

struct KnnModelOptions {
  dist::KnnOptions knn;
  dist::PredictOptions predict;
  std::string on = "items", similarity = "pearson-baseline", mean = "baseline";
};

class KnnModel : public FactorModel {
 public:
  KnnModel() = default;
  explicit KnnModel(const TrainOptions& o) {
    opt_.knn = o.knn;
    opt_.predict = o.knn_predict;
    opt_.on = o.knn_on;
    opt_.similarity = o.similarity;
    opt_.mean = o.knn_mean;
    threads_ = o.knn.threads;
  }
  std::string name() const override { return "knn"; }
  void set_threads(int threads) override {
    threads_ = threads;
    opt_.knn.threads = threads;
  }

  io::Attributes attributes() const override {
    return {{"algorithm", name()},
            {"global_mean", mu_},
            {"knn_on", opt_.on},
            {"similarity", opt_.similarity},
            {"shrink", opt_.knn.similarity.shrink},
            {"min_support", std::int64_t{opt_.knn.similarity.min_support}},
            {"neighbors", std::int64_t{opt_.knn.similarity.neighbors}},
            {"knn_mean", opt_.mean},
            {"k_predict", std::int64_t{opt_.predict.k_predict}},
            {"rating_min", opt_.predict.clip_min},
            {"rating_max", opt_.predict.clip_max}};
  }

  int fit(const dist::Communicator& comm, const FitContext& ctx, Metrics& metrics) override {
    const TrainingData& data = *ctx.data;
    const TrainOptions& run = *ctx.run;
    const bool root = comm.rank() == 0;
    opt_.predict.clip_min = data.min_rating;
    opt_.predict.clip_max = data.max_rating;
    const dist::KnnMatrix m = matrix(data, data.by_user);
    dist::KnnBaselines base = dist::fit_baselines(comm, m, data.global_mean);
    dist::KnnStats stats;
    {
      Progress progress(comm, opt_.on == "items" ? "item similarities" : "user similarities", "ring steps");
      dist::KnnOptions ko = opt_.knn;
      ko.progress = progress.callback();
      neighbors_ = dist::compute_neighbors(comm, m, base, ko, &stats);
    }
    figures_.seconds = stats.seconds;
    figures_.knn_rss_max = comm.allreduce<double>(peak_rss_bytes(), MPI_MAX);
    if (run.bench_sparse && comm.size() == 1) {
      const auto t = math::time_sparse_gram(data.by_item, data.user_ids.size());
      figures_.sparse_seconds = t.seconds;
      if (root) std::printf("bench: sparse X^T X in %.2f s (%.0f nonzeros)\n", t.seconds, t.output_nonzeros);
    }
    if (root) {
      std::printf(
          "knn: %s-based %s similarities (shrink %g, %d neighbours kept) in %.2f s (%.2f s computing), "
          "%.1f MB passed around the ring\n",
          opt_.on == "items" ? "item" : "user", opt_.similarity.c_str(), opt_.knn.similarity.shrink,
          opt_.knn.similarity.neighbors, stats.seconds, stats.compute_seconds, stats.bytes_sent / 1e6);
    }
    mu_ = base.mu;
    user_bias_ = std::move(base.user_bias);
    item_bias_ = std::move(base.item_bias);
    first_user_ = data.by_user.first_row;
    first_item_ = data.by_item.first_row;
    user_factors_.resize(data.by_user.rows(), 0);
    item_factors_.resize(data.by_item.rows(), 0);
    if (data.test_count > 0) {
      const math::ErrorSums err =
          dist::evaluate_knn(comm, m, baselines(), neighbors_, opt_.knn, data.test, opt_.predict);
      metrics.emplace_back("test_rmse", err.rmse());
      metrics.emplace_back("test_mae", err.mae());
    }
    return kExitOk;
  }

  TopLists recommend(const dist::Communicator& comm, const TrainingData& data, const UserBatch& batch, int n,
                     const ItemFilter& filter) const override {
    const auto exclusions = batch_exclusions(data, batch, filter);
    if (batch.histories && opt_.knn.on == dist::KnnOn::kUsers)
      throw InputError(
          "a user-based KNN model cannot score users by their ratings alone (use item-based KNN)");
    if (batch.all && !batch.histories) {
      Progress progress(comm, "top-" + std::to_string(n) + " lists", "ring steps");
      dist::KnnOptions ko = opt_.knn;
      ko.progress = progress.callback();
      return dist::knn_top_n(comm, matrix(data, data.by_user), neighbors_, ko, n, &exclusions,
                             filter.blocked);
    }
    const math::CsrBlock rows = batch_rows(data.by_user, batch);
    math::NeighborLists lists;
    if (opt_.knn.on == dist::KnnOn::kUsers && !batch.histories) {
      // The batch users' own lists, in batch order.
      for (Index r : batch.rows) {
        const auto row = neighbors_.row(r);
        lists.entries.insert(lists.entries.end(), row.begin(), row.end());
        lists.indptr.push_back(static_cast<math::Offset>(lists.entries.size()));
      }
    }
    return dist::knn_top_n(comm, matrix(data, rows), opt_.knn.on == dist::KnnOn::kUsers ? lists : neighbors_,
                           opt_.knn, n, &exclusions, filter.blocked);
  }

  std::vector<double> predict(const dist::Communicator& comm, const TrainingData& data,
                              const std::vector<math::Rating>& pairs) const override {
    // Each pair goes where predict_knn evaluates it (the owner of o, else of
    // s, else stays; o = the user for item-based), so that predict_knn keeps
    // it there and answers in arrival order; the values come back here.
    const bool items = opt_.knn.on == dist::KnnOn::kItems;
    auto dest = [&](const math::Rating& r) {
      const Index o = items ? r.user : r.item, s = items ? r.item : r.user;
      if (o >= 0) return (items ? data.users : data.items).owner(o);
      if (s >= 0) return (items ? data.items : data.users).owner(s);
      return comm.rank();
    };
    return dist::answer_at(comm, pairs, dest, [&](const std::vector<math::Rating>& here) {
      const auto got = dist::predict_knn(comm, matrix(data, data.by_user), baselines(), neighbors_, opt_.knn,
                                         here, opt_.predict);
      if (got.size() != here.size()) throw std::logic_error("knn predict: pairs moved between ranks");
      std::vector<double> out;
      out.reserve(got.size());
      for (const auto& p : got) out.push_back(p.predicted);
      return out;
    });
  }

  Explanation explain(const dist::Communicator&, const TrainingData& data, Index user,
                      Index item) const override {
    Explanation e;
    if (opt_.knn.on == dist::KnnOn::kItems) {
      // score = sum of sim(i, j) over i's neighbours j the user rated.
      e.method = "knn (item-based): the similarities of the item's neighbours the user rated";
      const auto rated = data.by_user.row_cols(user - first_user_);
      for (const math::Neighbor& nb : neighbors_.row(item - neighbors_.first_row))
        if (std::binary_search(rated.begin(), rated.end(), nb.id))
          e.terms.push_back({"neighbor", data.item_ids.name(nb.id), nb.sim});
    } else {
      // score = sum of sim(u, v) over u's neighbours v who rated the item.
      e.method = "knn (user-based): the similarities of the user's neighbours who rated the item";
      const auto raters = data.by_item.row_cols(item - first_item_);
      for (const math::Neighbor& nb : neighbors_.row(user - neighbors_.first_row))
        if (std::binary_search(raters.begin(), raters.end(), nb.id))
          e.terms.push_back({"neighbor", data.user_ids.name(nb.id), nb.sim});
    }
    for (const auto& t : e.terms) e.score += t.value;
    e.model = e.score;
    return e;
  }

  Similar similar(const TrainingData&, bool users, Index row, int n, int) const override {
    if (users != (opt_.knn.on == dist::KnnOn::kUsers))
      throw InputError("a " + opt_.on + "-based KNN model has neighbours of " + opt_.on + " only (use --" +
                       (users ? "item" : "user") + ")");
    return stored_neighbors(neighbors_, row - neighbors_.first_row, n);
  }

  void save(io::ModelWriter& out, const TrainingData& data, const std::string& group) const override {
    FactorModel::save(out, data, group);
    out.neighbors(group + "/knn", neighbor_slice(out.comm(), neighbors_, opt_.on),
                  opt_.on == "users" ? data.user_ids : data.item_ids);
  }

  void load(const io::ModelReader& in, const std::string& group, const TrainingData& data) override {
    FactorModel::load(in, group, data);
    const io::StoredNeighbors side = in.neighbors(group + "/knn");
    if (side.side != opt_.on) in.fail(group + "/knn: side " + side.side + " but knn_on " + opt_.on);
    const bool users = opt_.on == "users";
    neighbors_ = load_neighbor_lists(in, group, users ? data.by_user.first_row : data.by_item.first_row,
                                     users ? data.by_user.rows() : data.by_item.rows(),
                                     users ? data.user_ids.size() : data.item_ids.size());
  }

  bool predicts_ratings() const override { return true; }

 protected:
  bool rating_scale() const override { return true; }
  void load_options(const io::Attributes& a, const io::ModelReader& in) override {
    opt_.on = attr_string(a, "knn_on", in);
    opt_.similarity = attr_string(a, "similarity", in);
    opt_.mean = attr_string(a, "knn_mean", in);
    opt_.knn.on = dist::parse_knn_on(opt_.on);
    opt_.knn.similarity.kind = math::parse_similarity(opt_.similarity);
    opt_.knn.similarity.shrink = attr_double(a, "shrink", in);
    opt_.knn.similarity.min_support = static_cast<int>(attr_int(a, "min_support", in));
    opt_.knn.similarity.neighbors = static_cast<int>(attr_int(a, "neighbors", in));
    opt_.predict.mean = dist::parse_knn_mean(opt_.mean);
    opt_.predict.k_predict = static_cast<int>(attr_int(a, "k_predict", in));
    opt_.predict.clip_min = clip_min_ = attr_double(a, "rating_min", in);
    opt_.predict.clip_max = clip_max_ = attr_double(a, "rating_max", in);
    mu_ = attr_double(a, "global_mean", in);
  }

 private:
  dist::KnnMatrix matrix(const TrainingData& data, const math::CsrBlock& users) const {
    return {&users, &data.by_item, data.users, data.items};
  }
  dist::KnnBaselines baselines() const { return {mu_, user_bias_, item_bias_}; }

  KnnModelOptions opt_;
  math::NeighborLists neighbors_;
};

}  // namespace

std::vector<std::string> knn_train_flags(const io::Attributes& a, const io::ModelReader& in) {
  return {"--knn-on",      attr_string(a, "knn_on", in),
          "--similarity",  attr_string(a, "similarity", in),
          "--shrink",      num17(attr_double(a, "shrink", in)),
          "--min-support", std::to_string(attr_int(a, "min_support", in)),
          "--neighbors",   std::to_string(attr_int(a, "neighbors", in)),
          "--knn-mean",    attr_string(a, "knn_mean", in),
          "--k-predict",   std::to_string(attr_int(a, "k_predict", in))};
}

std::unique_ptr<Model> make_knn(const TrainOptions& o) { return std::make_unique<KnnModel>(o); }
std::unique_ptr<Model> blank_knn() { return std::make_unique<KnnModel>(); }

}  // namespace hpcrec::app
