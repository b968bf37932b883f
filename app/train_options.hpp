// Options of `hpcrec train`, parsed and validated once.
#pragma once

#include <cmath>
#include <string>

#include "app/checkpointing.hpp"
#include "app/commands.hpp"
#include "app/reader_options.hpp"
#include "app/run_info.hpp"
#include "app/split_options.hpp"
#include "app/training_data.hpp"
#include "mpi/als_driver.hpp"
#include "mpi/bpmf_driver.hpp"
#include "mpi/ials_driver.hpp"
#include "mpi/knn_driver.hpp"
#include "src/hybrid.hpp"
#include "src/tfidf.hpp"

namespace hpcrec::io {
struct Model;
}

namespace hpcrec::app {

// --algo bpmf without --factors: BPMF is hardly overfitted by more factors,
// but the model stores every kept sample (width kept x k); on ml-100k u1 k =
// 10, 16, 32 and 64 give 0.9082, 0.9083, 0.9083 and 0.9091 (100 samples).
inline constexpr int kBpmfDefaultFactors = 32;

enum class Algorithm { kAls, kImplicitAls, kBpmf, kPopular, kKnn, kContent, kHybrid };

// "als", "ials", "bpmf", "popular", "knn", "content", "hybrid".
const char* algorithm_name(Algorithm algo);
Algorithm parse_algorithm(const std::string& name);

struct TrainOptions {
  DataOptions data;
  SplitCli split;
  std::string algo_name = "als";
  Algorithm algo = Algorithm::kAls;
  dist::ExplicitAlsOptions als;
  dist::ImplicitAlsOptions ials;
  dist::BpmfOptions bpmf;  // factors, seed and threads are als's
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
  // What the hybrid blends: "ranking" (per-user normalised top-N scores) or
  // "rating" (a linear blend of the rating models' predictions).
  std::string blend_target = "ranking";
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
  // als top-N order: support (picked and liked, src/support_ranking.hpp) or
  // rating (the predicted rating); the like threshold t (NaN: the training mean).
  std::string rank_by = "support";
  double like_threshold = NAN;
  // ials: linear, log, or auto: resolved to linear or log on the training
  // data before a model is made (resolve_confidence), so models only ever
  // see and store linear or log.
  std::string confidence = "auto", solver = "cg";
  // ials without --lambda: resolved on the training data (resolve_ials_lambda).
  bool ials_lambda_auto = false;
  bool bench_dense = false;
  bool bench_sparse = false;
  CheckpointOptions checkpoint;
  // For the run records: the command that runs the training (train,
  // update, fold-in, tune) and every option as parsed.
  std::string command = "train";
  Record settings = Record::object();
};

// The models of the table (app/model_registry.cpp) whose predict() gives
// ratings (Model::predicts_ratings), in table order: the components a
// --blend-target rating hybrid may have.
std::vector<std::string> rating_model_names(const TrainOptions& o);

// "2,3" -> {1, 2} (0-based); "" -> {} (all but the id column). Throws InputError.
std::vector<int> parse_text_columns(const std::string& text);

// Parses and validates; false if --help was given (usage printed when `print`).
bool parse_train_options(const Args& args, TrainOptions& o, bool print);

// --confidence auto picks log confidence when every training value is an
// integer >= 0 and the largest is above this (counts with a heavy tail).
inline constexpr double kAutoLogConfidenceMax = 100;

// Collective. With o.confidence == "auto": decides linear or log from the
// distributed training ratings (every rank the same answer), sets
// o.confidence and o.ials.kernel.confidence, and says which on rank 0 when
// the run trains an ials model (alone or in a hybrid). Otherwise does
// nothing.
void resolve_confidence(const dist::Communicator& comm, const TrainingData& data, TrainOptions& o);

// ials without --lambda: lambda = kAutoIalsLambda * mean(w) * sqrt(m * n),
// w = c - 1 the confidence weight of a training interaction. The HKV loss
// sums over all m x n pairs: every user's normal equation carries Y^T Y (a
// sum over the n items), every item's X^T X (over the m users), and one
// plain lambda serves both, so it grows with the geometric mean of the two;
// and the observed part scales with the confidence weights (alpha, linear
// or log), so lambda does too, keeping their balance whatever alpha is. The
// factor is the best single value across ml-100k, ml-latest-small,
// generated ratings and generated counts (docs/BENCHMARKS.md, "Tuning").
inline constexpr double kAutoIalsLambda = 0.007;

// With o.ials_lambda_auto: sets o.ials.kernel.lambda from the data's users
// and items (global on every rank) and says so on rank 0 when ials trains.
void resolve_ials_lambda(const dist::Communicator& comm, const TrainingData& data, TrainOptions& o);

// Collective. The train pipeline after parsing: read, fit (from `warm`'s
// factor rows when given: `update`, `fold-in`), evaluate, write. Returns
// the exit status.
struct WarmStart;
// What one training run ends with (one fold of cross-validation, or the run).
struct Outcome {
  std::vector<std::pair<std::string, double>> metrics;  // in report order
};

// With `outcome`, the run's final metrics (cross-validation: the means over
// the folds) are left there too.
int run_training(const dist::Communicator& comm, TrainOptions& o, const WarmStart* warm,
                 Outcome* outcome = nullptr);

}  // namespace hpcrec::app
