#include "app/train_options.hpp"

#include <algorithm>
#include <charconv>
#include <utility>

#include "app/model.hpp"
#include "io/item_features.hpp"

namespace hpcrec::app {

namespace {
constexpr std::pair<Algorithm, const char*> kAlgorithms[] = {
    {Algorithm::kAls, "als"},        {Algorithm::kImplicitAls, "ials"}, {Algorithm::kBpmf, "bpmf"},
    {Algorithm::kKnn, "knn"},        {Algorithm::kContent, "content"},  {Algorithm::kHybrid, "hybrid"},
    {Algorithm::kPopular, "popular"}};
}  // namespace

const char* algorithm_name(Algorithm algo) {
  for (const auto& [a, name] : kAlgorithms)
    if (a == algo) return name;
  return "?";
}

Algorithm parse_algorithm(const std::string& name) {
  for (const auto& [a, n] : kAlgorithms)
    if (name == n) return a;
  throw InputError("--algo: unknown algorithm '" + name +
                   "' (available: als, ials, bpmf, knn, content, hybrid, popular)");
}

std::vector<std::string> rating_model_names(const TrainOptions& o) {
  std::vector<std::string> out;
  for (const ModelEntry& e : model_table())
    if (std::string(e.name) != "hybrid" && e.from_options(o)->predicts_ratings()) out.push_back(e.name);
  return out;
}

namespace {

// --blend-target rating: the components and weights. "als,knn" (names
// without weights) learns weights for those models, as "auto:als,knn";
// a known model that does not predict ratings is refused by name.
math::BlendSpec parse_rating_blend(const TrainOptions& o) {
  const std::vector<std::string> allowed = rating_model_names(o);
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
  std::string text = o.blend;
  if (text != "auto" && text.rfind("auto:", 0) != 0 && text.find(':') == std::string::npos)
    text = "auto:" + text;
  const std::string names = text == "auto" ? "" : text.rfind("auto:", 0) == 0 ? text.substr(5) : text;
  size_t begin = 0;
  while (begin < names.size()) {
    const size_t comma = std::min(names.find(',', begin), names.size());
    const std::string part = names.substr(begin, comma - begin);
    const std::string name = part.substr(0, part.find(':'));
    const auto& table = model_table();
    const bool known =
        std::any_of(table.begin(), table.end(), [&](const ModelEntry& e) { return name == e.name; });
    if (known && std::find(allowed.begin(), allowed.end(), name) == allowed.end())
      throw InputError("--blend-target rating: " + name + " does not predict ratings (use " + list + ")");
    begin = comma + 1;
  }
  return math::parse_blend(text, allowed, allowed);
}

}  // namespace

std::vector<int> parse_text_columns(const std::string& text) {
  std::vector<int> out;
  if (text.empty()) return out;
  size_t begin = 0;
  while (begin <= text.size()) {
    const size_t comma = std::min(text.find(',', begin), text.size());
    const std::string field = text.substr(begin, comma - begin);
    int c = 0;
    auto [p, ec] = std::from_chars(field.data(), field.data() + field.size(), c);
    if (field.empty() || ec != std::errc() || p != field.data() + field.size() || c < 1)
      throw InputError("--text-columns '" + text + "': expected column numbers from 1, e.g. 2,3, got '" +
                       field + "'");
    out.push_back(c - 1);
    begin = comma + 1;
  }
  return out;
}

bool parse_train_options(const Args& args, TrainOptions& o, bool print) {
  po::options_description data("Data");
  data.add_options()("ratings", po::value(&o.data.ratings)->required(),
                     "training ratings file (user, item, rating[, timestamp])")(
      "test", po::value(&o.data.test), "held-out ratings file to evaluate on")(
      "duplicates", po::value(&o.duplicates)->default_value("last"),
      "repeated (user, item): last (latest timestamp, then file order), mean, error");
  add_reader_options(data, o.reader);
  add_split_options(data, o.split);
  data.add_options()("folds", po::value(&o.folds)->default_value(0),
                     "N-fold cross-validation: N trainings, mean and standard deviation of every metric");

  po::options_description model("Model");
  model.add_options()(
      "algo", po::value(&o.algo_name)->default_value("als"),
      "als (explicit, biased ALS-WR), ials (implicit feedback, Hu-Koren-Volinsky), bpmf (Bayesian MF, Gibbs "
      "sampling), knn (neighbourhood), "
      "content (TF-IDF or embeddings), hybrid (a blend of these), popular (baseline)")(
      "factors", po::value(&o.als.factors)->default_value(64), "latent factors k")(
      "iterations", po::value(&o.iterations)->default_value(15), "ALS iterations (each: users, then items)")(
      "lambda", po::value(&o.als.lambda)->default_value(0.12),
      "L2 regularisation of the factors (als: default 0.12, times the row's count under als-wr; ials: plain "
      "lambda, default 0.007 mean(c - 1) sqrt(users x items))")(
      "reg-scaling", po::value(&o.reg_scaling)->default_value("als-wr"),
      "als: als-wr (lambda times the row's rating count) or none (plain lambda)")(
      "bias-lambda", po::value(&o.als.bias_lambda)->default_value(0.05, "0.05"),
      "als: L2 regularisation of the biases")(
      "rank-by", po::value(&o.rank_by)->default_value("support"),
      "als top-N order: support (items the user would pick and like: log(1 + item's ratings) + log P(rating "
      ">= like threshold)) or rating (the predicted rating; rarely rated items first)")(
      "like-threshold", po::value(&o.like_threshold),
      "als --rank-by support: the rating that counts as liked (default: the training mean)")(
      "alpha", po::value(&o.ials.kernel.alpha)->default_value(1.0),
      "ials: confidence weight (c = 1 + alpha r, or 1 + alpha log(1 + r / eps))")(
      "confidence", po::value(&o.confidence)->default_value("auto"),
      "ials: linear (1 + alpha r), log (1 + alpha log(1 + r / eps)), or auto: log when the training "
      "values look like counts (all integers >= 0, largest above 100), else linear")(
      "eps", po::value(&o.ials.kernel.eps)->default_value(1.0), "ials: eps of the log confidence")(
      "solver", po::value(&o.solver)->default_value("cg"),
      "als, ials: cg (conjugate gradient, warm-started: O(ratings k) per sweep) or cholesky (exact solves)")(
      "cg-steps", po::value(&o.ials.kernel.cg_steps)->default_value(3),
      "als, ials: CG steps per row and half-step")("seed", po::value(&o.als.seed)->default_value(42),
                                                   "seed of the initial factors")(
      "threads", po::value(&o.als.threads)->default_value(1), "OpenMP threads per rank");

  po::options_description bpmf("Bayesian MF (--algo bpmf; --factors, --seed and --threads as above)");
  bpmf.add_options()("samples", po::value(&o.bpmf.samples)->default_value(o.bpmf.samples),
                     "Gibbs samples in all, burn-in included")(
      "burn-in", po::value(&o.bpmf.burn_in)->default_value(o.bpmf.burn_in),
      "samples discarded before the mean starts")(
      "thin", po::value(&o.bpmf.thin)->default_value(o.bpmf.thin),
      "keep every N-th sample after the burn-in (the model stores every kept sample)")(
      "noise-precision", po::value(&o.bpmf.noise_precision)->default_value(o.bpmf.noise_precision),
      "alpha, the precision of the rating noise; 0: drawn from its posterior each sample")(
      "init-sweeps", po::value(&o.bpmf.init_sweeps)->default_value(o.bpmf.init_sweeps),
      "explicit ALS sweeps (--lambda, --bias-lambda) the chain starts from");

  po::options_description knn("KNN (--algo knn)");
  knn.add_options()("knn-on", po::value(&o.knn_on)->default_value("items"),
                    "items (item-based) or users (user-based)")(
      "similarity", po::value(&o.similarity)->default_value("pearson-baseline"),
      "cosine, pearson, adjusted-cosine, jaccard or pearson-baseline")(
      "shrink", po::value(&o.knn.similarity.shrink)->default_value(100.0), "shrinkage S: sim * n / (n + S)")(
      "min-support", po::value(&o.knn.similarity.min_support)->default_value(1),
      "least co-ratings of a pair")("neighbors", po::value(&o.knn.similarity.neighbors)->default_value(400),
                                    "neighbours kept per item (user); 0 keeps all")(
      "positive-only", po::value(&o.knn.similarity.positive_only)->default_value(true),
      "keep only positive similarities")("knn-mean", po::value(&o.knn_mean)->default_value("baseline"),
                                         "none (KNNBasic), baseline (KNNBaseline), mean (KNNWithMeans)")(
      "k-predict", po::value(&o.knn_predict.k_predict)->default_value(40),
      "neighbours used for a rating prediction (those the user rated)");

  po::options_description content("Content (--algo content)");
  content.add_options()("item-features", po::value(&o.item_features)->multitoken(),
                        "item metadata files (movies.csv, tags.csv, u.item, or id,text,... CSV); their text "
                        "is joined per item")("ngram", po::value(&o.tfidf.ngram_max)->default_value(1),
                                              "1: words, 2: words and word pairs")(
      "min-df", po::value(&o.min_df)->default_value("1"),
      "ignore terms in fewer documents (count, or fraction if < 1)")(
      "max-df", po::value(&o.max_df)->default_value("1.0"),
      "ignore terms in more documents (fraction, or count)")(
      "stop-words", po::bool_switch(&o.tfidf.stop_words), "drop the built-in English stop words")(
      "sublinear-tf", po::bool_switch(&o.tfidf.sublinear_tf), "tf -> 1 + log(tf)")(
      "implicit-profile", po::bool_switch(&o.implicit_profile),
      "user profiles weight items by confidence, not by rating minus the user's mean")(
      "text-columns", po::value(&o.text_columns),
      "generic feature files: text columns, counted from 1, e.g. 2,3 (default: all but the id column)")(
      "id-column", po::value(&o.id_column)->default_value(1), "generic feature files: the item id column")(
      "features-delimiter", po::value(&o.features_delimiter)->default_value("comma"),
      "generic feature files: comma, tab, pipe, semicolon, or a literal string")(
      "item-embeddings", po::value(&o.item_embeddings),
      "HDF5 file with /items/ids and /items/embeddings [n, d]: dense item vectors in place of TF-IDF");

  po::options_description hybrid("Hybrid (--algo hybrid) and cold start");
  hybrid.add_options()("blend", po::value(&o.blend)->default_value("auto"),
                       "models and weights, e.g. als:0.6,knn:0.2,content:0.2 (per-user min-max normalised "
                       "scores); auto learns the weights on a validation split (auto:ials,knn,... picks "
                       "the models; default ials, knn, content if given, popular)")(
      "blend-target", po::value(&o.blend_target)->default_value("ranking"),
      "ranking (blend the models' per-user normalised top-N scores) or rating (w0 + sum w_m x the rating "
      "models' predictions, clipped; auto: least squares on a validation split; lists rank the union of "
      "each model's --blend-depth candidates by the blended rating)")(
      "blend-depth", po::value(&o.blend_depth)->default_value(100),
      "candidates taken from each model per user")(
      "min-history", po::value(&o.min_history)->default_value(0),
      "users with fewer training interactions get content + popularity (0: off)")(
      "cold-items", po::value(&o.cold_items)->default_value(0.0),
      "hold out this fraction of items entirely (all their ratings to test) and report cold_* metrics on "
      "them");

  po::options_description out("Evaluation and output");
  out.add_options()("eval-k", po::value(&o.eval_k)->default_value(10), "cut-off k of the ranking metrics")(
      "relevance-threshold", po::value(&o.relevance_threshold),
      "test ratings >= this are relevant for ranking metrics (default: every test rating)")(
      "ranking-every", po::value(&o.ranking_every)->default_value(0),
      "ranking metrics every N iterations too (0: at the end only)")("model", po::value(&o.model),
                                                                     "write the model (HDF5) here")(
      "top-n", po::value(&o.top_n)->default_value(10), "recommendations per user")(
      "recommendations", po::value(&o.recommendations),
      "write every user's top-N here (.csv, or .h5 for HDF5)")(
      "item-titles", po::value(&o.item_titles),
      "titles for --recommendations and the model (movies.csv, u.item, or id,title CSV; default: the "
      "MovieLens files among --item-features)")("metrics-out", po::value(&o.metrics_out),
                                                "write per-iteration metrics as JSON lines here")(
      "bench-dense", po::bool_switch(&o.bench_dense),
      "also time the in-process yardsticks (dense_gflops: Eigen; dense_gflops_f32, dense_gflops_f64: "
      "OpenBLAS "
      "GEMM; stream_gbs: triad bandwidth; blas_core) in the final metrics")(
      "bench-sparse", po::bool_switch(&o.bench_sparse),
      "knn on one rank: also time a plain sparse X^T X of the same matrix (sparse_gram_seconds)");
  add_checkpoint_options(out, o.checkpoint);

  po::options_description desc;
  desc.add(data).add(model).add(bpmf).add(knn).add(content).add(hybrid).add(out);
  po::variables_map vm;
  if (!parse_options("train", "Train a recommender across MPI ranks.", desc, args, vm, print)) return false;
  o.settings = options_json(vm);
  for (const char* name : {"factors", "iterations", "threads", "top-n", "eval-k"}) require_positive(vm, name);
  for (const char* name : {"lambda", "bias-lambda", "alpha", "cg-steps", "ranking-every", "folds"})
    require_non_negative(vm, name);
  require_positive(vm, "eps");
  validate_checkpoint_options(o.checkpoint);
  o.data.split = make_split_spec(o.split, !o.data.test.empty());

  o.algo = parse_algorithm(o.algo_name);
  // bpmf (alone or in a hybrid) without --factors: see kBpmfDefaultFactors.
  o.bpmf.factors = vm["factors"].defaulted() ? kBpmfDefaultFactors : o.als.factors;
  require_positive(vm, "samples");
  require_positive(vm, "thin");
  require_non_negative(vm, "burn-in");
  require_non_negative(vm, "noise-precision");
  require_non_negative(vm, "init-sweeps");
  if (o.algo == Algorithm::kBpmf) {
    if (o.bpmf.burn_in >= o.bpmf.samples)
      throw InputError("--burn-in " + std::to_string(o.bpmf.burn_in) + " must be below --samples " +
                       std::to_string(o.bpmf.samples) + " (no sample would be kept)");
    if (!vm["iterations"].defaulted())
      throw InputError("--algo bpmf counts --samples (and --burn-in), not --iterations");
  }
  if (o.algo == Algorithm::kContent && o.item_features.empty() && o.item_embeddings.empty())
    throw InputError("--algo content needs --item-features FILE or --item-embeddings FILE.h5");
  if (!o.item_features.empty() && !o.item_embeddings.empty())
    throw InputError("give --item-features (TF-IDF) or --item-embeddings, not both");
  if (o.id_column < 1) throw InputError("--id-column must be >= 1 (columns count from 1)");
  parse_text_columns(o.text_columns);  // validates
  io::parse_feature_delimiter(o.features_delimiter);
  const bool has_content = !o.item_features.empty() || !o.item_embeddings.empty();
  require_positive(vm, "blend-depth");
  require_non_negative(vm, "min-history");
  if (o.cold_items < 0 || o.cold_items >= 1)
    throw InputError("--cold-items must be in [0, 1), got " + std::to_string(o.cold_items));
  if (o.cold_items > 0 && !o.data.test.empty())
    throw InputError("--cold-items carves its test set from --ratings: drop --test");
  if (o.cold_items > 0 && o.folds > 1) throw InputError("--cold-items and --folds do not combine");
  if (o.data.split.kind == math::SplitKind::kStrong && (o.cold_items > 0 || o.folds > 1))
    throw InputError("--split strong combines with neither --cold-items nor --folds");
  o.data.cold_items = o.cold_items;
  if (o.blend_target != "ranking" && o.blend_target != "rating")
    throw InputError("--blend-target must be ranking or rating, got '" + o.blend_target + "'");
  if (o.algo == Algorithm::kHybrid && o.blend_target == "rating") {
    o.blend_spec = parse_rating_blend(o);
    for (const auto& name : o.blend_spec.models) o.blend_models.push_back(parse_algorithm(name));
    if (o.min_history > 0)
      throw InputError(
          "--min-history goes with --blend-target ranking (light users get content + popularity, which "
          "predict no ratings)");
    if (o.data.split.kind == math::SplitKind::kStrong)
      throw InputError("--split strong does not combine with --blend-target rating (no fold-in of a blend)");
    if (!o.checkpoint.dir.empty() || !o.checkpoint.resume.empty())
      throw InputError("--algo hybrid does not checkpoint (yet): drop --checkpoint-dir / --resume");
    if (o.blend_spec.weights.empty()) o.data.keep_timestamps = true;
  } else if (o.algo == Algorithm::kHybrid) {
    std::vector<std::string> auto_models = {"ials", "knn"};
    if (has_content) auto_models.push_back("content");
    auto_models.push_back("popular");
    o.blend_spec = math::parse_blend(o.blend, {"als", "ials", "knn", "content", "popular"}, auto_models);
    for (const auto& name : o.blend_spec.models) {
      o.blend_models.push_back(parse_algorithm(name));
      if (name == "content" && !has_content)
        throw InputError("--blend names content: give --item-features FILE or --item-embeddings FILE.h5");
    }
    if (!o.checkpoint.dir.empty() || !o.checkpoint.resume.empty())
      throw InputError("--algo hybrid does not checkpoint (yet): drop --checkpoint-dir / --resume");
    // --blend auto splits by time where there are timestamps.
    if (o.blend_spec.weights.empty()) o.data.keep_timestamps = true;
  } else if (vm.count("blend") && !vm["blend"].defaulted()) {
    throw InputError("--blend goes with --algo hybrid");
  } else if (!vm["blend-target"].defaulted()) {
    throw InputError("--blend-target goes with --algo hybrid");
  }
  if (o.min_history > 0 && o.algo != Algorithm::kHybrid)
    throw InputError("--min-history goes with --algo hybrid (light users get content + popularity)");
  if (o.tfidf.ngram_max != 1 && o.tfidf.ngram_max != 2) throw InputError("--ngram must be 1 or 2");
  o.tfidf.min_df = math::parse_doc_frequency(o.min_df);
  o.tfidf.max_df = math::parse_doc_frequency(o.max_df);
  require_non_negative(vm, "shrink");
  require_non_negative(vm, "neighbors");
  require_positive(vm, "min-support");
  require_positive(vm, "k-predict");
  o.knn.on = dist::parse_knn_on(o.knn_on);
  o.knn.similarity.kind = math::parse_similarity(o.similarity);
  o.knn_predict.mean = dist::parse_knn_mean(o.knn_mean);
  if (o.reg_scaling != "als-wr" && o.reg_scaling != "none")
    throw InputError("--reg-scaling must be als-wr or none, got '" + o.reg_scaling + "'");
  o.als.weighted_lambda = o.reg_scaling == "als-wr";
  if (o.rank_by != "support" && o.rank_by != "rating")
    throw InputError("--rank-by must be support or rating, got '" + o.rank_by + "'");
  if (o.confidence == "linear")
    o.ials.kernel.confidence = math::ImplicitAlsConfig::Confidence::kLinear;
  else if (o.confidence == "log")
    o.ials.kernel.confidence = math::ImplicitAlsConfig::Confidence::kLog;
  else if (o.confidence == "auto")
    o.ials.kernel.confidence = math::ImplicitAlsConfig::Confidence::kLinear;  // until resolve_confidence
  else
    throw InputError("--confidence must be auto, linear or log, got '" + o.confidence + "'");
  if (o.solver == "cg")
    o.ials.kernel.solver = math::SolverKind::kConjugateGradient;
  else if (o.solver == "cholesky")
    o.ials.kernel.solver = math::SolverKind::kCholesky;
  else
    throw InputError("--solver must be cg or cholesky, got '" + o.solver + "'");
  o.als.solver = o.ials.kernel.solver;
  o.als.cg_steps = o.ials.kernel.cg_steps;
  o.data.reader = make_reader_options(o.reader);
  if (o.duplicates == "last")
    o.data.duplicates = dist::DuplicatePolicy::kLast;
  else if (o.duplicates == "mean")
    o.data.duplicates = dist::DuplicatePolicy::kMean;
  else if (o.duplicates == "error")
    o.data.duplicates = dist::DuplicatePolicy::kError;
  else
    throw InputError("--duplicates must be last, mean or error, got '" + o.duplicates + "'");
  if (o.folds == 1) throw InputError("--folds must be 0 (off) or at least 2");
  if (o.folds > 1) {
    if (!o.data.test.empty() || o.data.split.kind != math::SplitKind::kNone)
      throw InputError("--folds makes its own splits: drop --test, --holdout and --leave-k");
    if (!o.model.empty() || !o.recommendations.empty() || !o.checkpoint.dir.empty())
      throw InputError(
          "--folds trains several models: --model, --recommendations and checkpoints do not apply");
  }
  o.data.factors = o.als.factors;
  o.ials.factors = o.als.factors;
  o.ials.seed = o.als.seed;
  o.ials.kernel.lambda = o.als.lambda;
  o.ials_lambda_auto = vm["lambda"].defaulted();
  o.ials.kernel.threads = o.als.threads;
  o.knn.threads = o.als.threads;
  return true;
}

}  // namespace hpcrec::app
