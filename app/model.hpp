// One interface for every algorithm (as implicit's RecommenderBase): a model
// fits on the distributed training matrix, scores a batch of users against
// every item, predicts (user, item) pairs, explains a score, and saves and
// loads itself. `train`, `recommend`, `predict`, `explain` and `similar` use
// only this interface and the table in app/model_registry.cpp: adding an
// algorithm is one file and one table row.
//
// What a model is fitted on and serves from is the same distributed matrix,
// app::TrainingData: the id maps, the user and item partitions, and this
// rank's user rows (training items and values: the history a list excludes
// and that KNN and content score from) and item rows. `train` builds it from
// the ratings file; `recommend` and friends from the model file's stored
// training matrix (/users/train_*), over any number of ranks. A model keeps
// only what it learnt (factors of this rank's rows, neighbour lists, TF-IDF
// rows, blend weights), so the same scoring code serves both and `recommend
// --all` reproduces `train --recommendations` byte for byte.
//
// Worked example (2 ranks, 5 users, 4 items, a factor model): rank 0 holds
// users 0-2 and items 0-1, rank 1 users 3-4 and items 2-3. A batch on rank 1
// of local rows {1} (user 4) asks for n = 2: the item blocks travel the
// ring, user 4's factors meet items 0-3, user 4's training items (say {2})
// are skipped, and rank 1 gets one list, e.g. {(0, 4.1), (3, 3.7)}.
#pragma once

#include <cmath>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "app/run_info.hpp"
#include "app/training_data.hpp"
#include "io/model_file.hpp"
#include "mpi/communicator.hpp"
#include "src/similarity.hpp"
#include "src/topn.hpp"

namespace hpcrec::app {

struct TrainOptions;
struct ItemContent;
struct TestSets;
class Report;

using TopLists = std::vector<std::vector<math::ScoredItem>>;
using Metrics = std::vector<std::pair<std::string, double>>;

// What a list may hold. By default a user's training items are excluded.
struct ItemFilter {
  const std::vector<char>* blocked = nullptr;  // per global item: 1 = never recommended
  bool include_seen = false;                   // keep the user's training items as candidates
  bool allows(math::Index item) const { return !blocked || !(*blocked)[item]; }
};

// Users to score on this rank: every row of its user block, local row
// indices in ascending order, or (fold-in) users given by their histories
// alone: `histories` rows (global item ids ascending, values), which the
// model scores from its fixed item side without being changed.
struct UserBatch {
  bool all = true;
  std::vector<math::Index> rows;
  const math::CsrBlock* histories = nullptr;
  math::Index size(const TrainingData& data) const {
    if (histories) return histories->rows();
    return all ? data.by_user.rows() : static_cast<math::Index>(rows.size());
  }
  math::Index row(math::Index j) const { return all ? j : rows[j]; }
  // The training items and values of batch user j.
  std::span<const math::Index> items(const TrainingData& data, math::Index j) const {
    return histories ? histories->row_cols(j) : data.by_user.row_cols(row(j));
  }
  math::Offset history(const TrainingData& data, math::Index j) const {
    return histories ? histories->row_nnz(j) : data.by_user.row_nnz(row(j));
  }
};

// Why a user gets an item: terms that add up to `score` (within rounding).
struct ExplainTerm {
  std::string kind;  // "item" (a rated item), "neighbor", "term", "model", "bias", ...
  std::string id;    // original id, term or component name
  double value = 0;
};
struct Explanation {
  double score = 0;    // the sum of the terms
  double model = 0;    // the score the model ranks by
  std::string method;  // how the terms were obtained, one line
  std::vector<ExplainTerm> terms;
};

// The nearest rows of one side by the model's own measure: stored
// neighbour lists (KNN, content: similarity and support) or the cosine of
// the factors (als, ials).
struct Similar {
  std::string measure = "cosine";    // "similarity" (with support) or "cosine"
  std::vector<math::Neighbor> list;  // best first
};

// `update` and `fold-in`: the previous model. Factor models start known
// users and items from its rows (matched by original id) instead of the
// seed's. With `fold_users` (fold-in) there are no sweeps: those users are
// solved against the previous items (a user half-step), everyone else keeps
// their rows.
struct WarmStart {
  const io::Model* model = nullptr;  // whole, as read by one process
  const std::set<std::string>* fold_users = nullptr;
  // update --scope touched: the users and items the new interactions name;
  // als and ials solve only their rows (the others keep the model's).
  const std::set<std::string>* touched_users = nullptr;
  const std::set<std::string>* touched_items = nullptr;
  const std::vector<std::string>* titles = nullptr;  // the model's, per its item (kept by update)
};

// Settings of the run, not of a model: evaluation, checkpoints, reporting.
struct FitContext {
  TrainingData* data = nullptr;  // blocks may be moved out during fit, but are restored
  const TrainOptions* run = nullptr;
  const ItemContent* content = nullptr;                     // content models
  const std::vector<math::Rating>* ranking_test = nullptr;  // for --ranking-every
  const TestSets* tests = nullptr;                          // a hybrid evaluates its parts on them
  const WarmStart* warm = nullptr;                          // update, fold-in
  Report* report = nullptr;
  Record label = Record::object();  // the keys that place its records, e.g. {"fold": 2}
  bool checkpoints = true;          // hybrid components do not checkpoint
};

// Figures a fit leaves for the run summary.
struct FitFigures {
  double seconds = 0, flops = 0, solve_seconds = 0;
  math::Offset last_bytes = 0;
  int iterations_run = 0;
  double knn_rss_max = NAN, sparse_seconds = NAN;
};

// This rank's factor rows and biases as the model file's /users and /items
// hold them (zero-width factors for models without).
struct FactorRows {
  const math::Matrix* user_factors = nullptr;
  const math::Vector* user_bias = nullptr;
  const math::Matrix* item_factors = nullptr;
  const math::Vector* item_bias = nullptr;
};

class Model {
 public:
  virtual ~Model() = default;
  virtual std::string name() const = 0;

  // Collective. Fits on *ctx.data and appends its final metrics (train/test
  // RMSE, loss) to `metrics`. Returns kExitPreempted when a stop signal ended
  // training after a checkpoint, else kExitOk.
  virtual int fit(const dist::Communicator& comm, const FitContext& ctx, Metrics& metrics) = 0;

  // Collective. The best n items of each batch user, best first, ties to the
  // smaller item id; items without a score are not candidates.
  virtual TopLists recommend(const dist::Communicator& comm, const TrainingData& data, const UserBatch& batch,
                             int n, const ItemFilter& filter) const = 0;

  // Collective. A score per pair of this rank's `pairs` (dense ids, -1 for
  // an id unknown to the model), in order: ALS the clipped rating with the
  // test set's fallbacks, others their ranking score (NaN: no score).
  // Factor models need the pair's user and item rows here (load on one
  // process, as `predict` does).
  virtual std::vector<double> predict(const dist::Communicator& comm, const TrainingData& data,
                                      const std::vector<math::Rating>& pairs) const = 0;

  // Why `item` for `user` (dense ids, both known; a model loaded on one
  // process). Collective over `comm` (a hybrid asks its parts for lists).
  virtual Explanation explain(const dist::Communicator& comm, const TrainingData& data, math::Index user,
                              math::Index item) const = 0;

  // The n nearest rows to `row` of the user side (`users`) or the item side,
  // skipping rows with fewer than `min_ratings` training ratings where the
  // measure is not a stored list (a model loaded on one process). Throws
  // InputError when the model has no such neighbours.
  virtual Similar similar(const TrainingData& data, bool users, math::Index row, int n,
                          int min_ratings) const;

  // Collective. The model's attributes and own datasets, under `group`
  // ("" = the file's root; a hybrid's parts go under /components/NAME).
  virtual io::Attributes attributes() const = 0;
  virtual void save(io::ModelWriter& out, const TrainingData& data, const std::string& group) const = 0;
  // Every rank: rebuilds this rank's part from `in` (configuration from the
  // group's attributes), for `data` as loaded from the same file.
  virtual void load(const io::ModelReader& in, const std::string& group, const TrainingData& data) = 0;

  // The rows the file's root /users and /items hold when this model is the
  // file's model (null: none, e.g. a hybrid's, whose parts store their own).
  virtual std::optional<FactorRows> factor_rows() const { return std::nullopt; }

  // The run summary's figures, set by fit.
  const FitFigures& figures() const { return figures_; }
  // OpenMP threads for scoring (serving sets it; fit takes the run's).
  virtual void set_threads(int threads) { threads_ = threads; }
  // Serving: the order of top-N lists, "support" or "rating" (explicit
  // rating models, src/support_ranking.hpp). Throws InputError where the
  // model has no such choice.
  virtual void set_rank_by(const std::string& how);
  // Whether predict() gives ratings (RMSE and MAE mean something).
  virtual bool predicts_ratings() const { return false; }
  // The parts of a composite model (a hybrid's), empty otherwise.
  virtual std::vector<const Model*> parts() const { return {}; }

 protected:
  FitFigures figures_;
  int threads_ = 1;
};

// --- the table -------------------------------------------------------------

struct ModelEntry {
  const char* name;
  const char* summary;
  // Configured from the command line, to be fitted.
  std::unique_ptr<Model> (*from_options)(const TrainOptions& options);
  // Empty, to be loaded.
  std::unique_ptr<Model> (*blank)();
  // The train options that rebuild a saved model's configuration from its
  // attributes (for `update`); nullptr where updating is not supported.
  std::vector<std::string> (*train_flags)(const io::Attributes& attributes,
                                          const io::ModelReader& in) = nullptr;
};

const std::vector<ModelEntry>& model_table();
const ModelEntry& model_entry(const std::string& name);  // throws InputError for unknown names
std::unique_ptr<Model> make_model(const std::string& name, const TrainOptions& options);
// Reads the attribute "algorithm" of `group` and loads that model.
std::unique_ptr<Model> load_model(const io::ModelReader& in, const std::string& group,
                                  const TrainingData& data);

// --- helpers shared by the models ----------------------------------------------

// The batch's rows of `block` (a CSR of this rank's users) as a block of their own.
math::CsrBlock batch_rows(const math::CsrBlock& block, const UserBatch& batch);
// Per batch user: the items to skip (training items unless filter.include_seen).
std::vector<std::span<const math::Index>> batch_exclusions(const TrainingData& data, const UserBatch& batch,
                                                           const ItemFilter& filter);
// Collective. Neighbour lists as the model file stores them (K slots a row,
// K the longest list over all ranks).
io::NeighborSlice neighbor_slice(const dist::Communicator& comm, const math::NeighborLists& lists,
                                 const std::string& side);
// Every rank: the stored lists under `group`/knn of this rank's rows
// [first, first + rows) of a side with `total` rows.
math::NeighborLists load_neighbor_lists(const io::ModelReader& in, const std::string& group,
                                        math::Index first, math::Index rows, math::Index total);
// The first n entries of stored lists' row `row` (local index).
Similar stored_neighbors(const math::NeighborLists& lists, math::Index row, int n);
// A double as text that parses back to the same value (%.17g).
std::string num17(double x);
// Attribute lookups with a clear error (file, group, attribute).
double attr_double(const io::Attributes& a, const std::string& key, const io::ModelReader& in);
std::int64_t attr_int(const io::Attributes& a, const std::string& key, const io::ModelReader& in);
std::string attr_string(const io::Attributes& a, const std::string& key, const io::ModelReader& in);

}  // namespace hpcrec::app
