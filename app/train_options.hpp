// Options of `hpcrec train`, parsed and validated once.
#pragma once

#include <string>

#include "app/checkpointing.hpp"
#include "app/commands.hpp"
#include "app/reader_options.hpp"
#include "app/split_options.hpp"
#include "app/training_data.hpp"
#include "mpi/als_driver.hpp"
#include "mpi/ials_driver.hpp"
#include "mpi/knn_driver.hpp"
#include "src/hybrid.hpp"
#include "src/tfidf.hpp"

namespace hpcrec::io {
struct Model;
}

namespace hpcrec::app {

enum class Algorithm { kAls, kImplicitAls, kPopular, kKnn, kContent, kHybrid };

// "als", "ials", "popular", "knn", "content", "hybrid".
const char* algorithm_name(Algorithm algo);
Algorithm parse_algorithm(const std::string& name);

struct TrainOptions {
  DataOptions data;
  SplitCli split;
  std::string algo_name = "als";
  Algorithm algo = Algorithm::kAls;
  dist::ExplicitAlsOptions als;
  dist::ImplicitAlsOptions ials;
  dist::KnnOptions knn;
  dist::PredictOptions knn_predict;
  std::string knn_on = "items", similarity = "pearson-baseline", knn_mean = "baseline";
  std::vector<std::string> item_features;  // content: metadata files
  std::string text_columns;                // generic feature files: 1-based text columns ("" = all)
  int id_column = 1;                       // generic feature files: 1-based item id column
  std::string features_delimiter = "comma";
  std::string item_embeddings;  // content: HDF5 embeddings in place of TF-IDF
  std::string item_titles;      // titles for the model file and --recommendations
  math::TfidfOptions tfidf;
  std::string min_df = "1", max_df = "1.0";
  bool implicit_profile = false;
  // hybrid
  std::string blend = "auto";
  math::BlendSpec blend_spec;
  std::vector<Algorithm> blend_models;
  int blend_depth = 100;  // candidates taken from each model per user
  int min_history = 0;    // users with fewer training interactions: content + popularity
  double cold_items = 0;  // fraction of items held out entirely (cold-start evaluation)
  int iterations = 15;
  int folds = 0;  // > 1: cross-validation
  std::string model, recommendations, metrics_out;
  int top_n = 10;
  int eval_k = 10;
  double relevance_threshold = -1e300;  // every test rating relevant
  int ranking_every = 0;                // ranking metrics every N iterations (0: at the end only)
  ReaderCli reader;
  std::string duplicates = "last", reg_scaling = "als-wr";
  std::string confidence = "linear", solver = "cg";
  bool bench_dense = false;
  bool bench_sparse = false;
  CheckpointOptions checkpoint;
};

// "2,3" -> {1, 2} (0-based); "" -> {} (all but the id column). Throws InputError.
std::vector<int> parse_text_columns(const std::string& text);

// Parses and validates; false if --help was given (usage printed when `print`).
bool parse_train_options(const Args& args, TrainOptions& o, bool print);

// Collective. The train pipeline after parsing: read, fit (from `warm`'s
// factor rows when given: `update`, `fold-in`), evaluate, write. Returns
// the exit status.
struct WarmStart;
int run_training(const dist::Communicator& comm, TrainOptions& o, const WarmStart* warm);

}  // namespace hpcrec::app
