// One trained model of `hpcrec train`, whatever the algorithm, as evaluation,
// the model file, the top-N file and the hybrid blend see it.
#pragma once

#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "app/train_options.hpp"
#include "app/train_report.hpp"
#include "app/training_data.hpp"
#include "io/item_embeddings.hpp"
#include "io/item_features.hpp"
#include "io/model_file.hpp"
#include "mpi/als_driver.hpp"
#include "mpi/ials_driver.hpp"
#include "mpi/knn_driver.hpp"
#include "src/content.hpp"

namespace hpcrec::app {

using TopLists = std::vector<std::vector<math::ScoredItem>>;

// A factor model as scoring sees it: score(u, i) = mu + b_u + b_i + x_u . y_i
// (ials and popular have mu = b_u = 0; popular has no factors, b_i = count).
struct FactorView {
  const math::Matrix* user_factors = nullptr;
  const math::Vector* user_bias = nullptr;
  const math::Matrix* item_factors = nullptr;
  const math::Vector* item_bias = nullptr;
  math::Index first_item = 0;
  double mu = 0;
};

// Item content for content models: one l2-normalised row per item of the
// job's item map, TF-IDF over metadata or given embeddings. Every rank holds
// all of it (metadata-sized).
struct ItemContent {
  io::ItemFeatures features;      // --item-features, as read
  io::ItemEmbeddings embeddings;  // --item-embeddings, as read
  bool from_embeddings = false;
  math::IdMap ids;      // the items the content knows: they join the item map (cold start)
  math::CsrBlock rows;  // item x column (term or embedding dimension)
  math::Index columns = 0;
};

// Everything a trained model owns. Heap-allocated and never moved: `top`
// and `view` point into it.
struct Fitted {
  Algorithm algo = Algorithm::kAls;
  std::string name;
  dist::AlsSide users, items;  // popular, knn, content (ALS moves them into its driver)
  std::unique_ptr<dist::ExplicitAls> als;
  std::unique_ptr<dist::ImplicitAls> ials;
  math::Matrix no_factors_u, no_factors_i;
  math::Vector zero_bias_u, zero_bias_i, popularity;
  FactorView view;
  io::Attributes attributes;
  dist::KnnMatrix knn_matrix;
  dist::KnnBaselines baselines;
  math::NeighborLists neighbors;
  std::shared_ptr<math::ContentIndex> content;
  math::CsrBlock seen_storage;
  const math::CsrBlock* seen = nullptr;  // this rank's users' training items (global ids)
  // Collective: the best n unseen items of each of this rank's users.
  std::function<TopLists(int n)> top;
  // Figures for the final report.
  double seconds = 0, flops = 0, solve_seconds = 0;
  math::Offset last_bytes = 0;
  int iterations_run = 0;
  double knn_rss_max = NAN, sparse_seconds = NAN;
};

struct FitContext {
  const TrainingData* data = nullptr;                       // ids, partitions, mean, test
  const ItemContent* content = nullptr;                     // for Algorithm::kContent
  const std::vector<char>* interacted = nullptr;            // per global item: has training interactions
  const std::vector<math::Rating>* ranking_test = nullptr;  // for --ranking-every
  Report* report = nullptr;
  std::string label;        // JSON prefix, e.g. "\"fold\": 2, "
  bool checkpoints = true;  // hybrid components do not checkpoint
};

// Collective. Trains `algo` on (users, items) and fills `m`; per-model
// metrics (train/test RMSE, loss) go to `metrics`. Returns kExitPreempted
// when a stop signal ended training after a checkpoint, else kExitOk.
int fit_model(const dist::Communicator& comm, TrainOptions& o, Algorithm algo, const FitContext& ctx,
              dist::AlsSide users, dist::AlsSide items, std::vector<std::pair<std::string, double>>& metrics,
              Fitted& m);

}  // namespace hpcrec::app
