#include "app/train_options.hpp"

namespace hpcrec::app {

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
      "als (explicit, biased ALS-WR), ials (implicit feedback, Hu-Koren-Volinsky), knn (neighbourhood), "
      "popular (baseline)")("factors", po::value(&o.als.factors)->default_value(64), "latent factors k")(
      "iterations", po::value(&o.iterations)->default_value(15), "ALS iterations (each: users, then items)")(
      "lambda", po::value(&o.als.lambda)->default_value(0.12),
      "L2 regularisation of the factors (als default 0.12; ials: plain lambda, default 0.12 too)")(
      "reg-scaling", po::value(&o.reg_scaling)->default_value("als-wr"),
      "als: als-wr (lambda times the row's rating count) or none (plain lambda)")(
      "bias-lambda", po::value(&o.als.bias_lambda)->default_value(0.05),
      "als: L2 regularisation of the biases")("alpha", po::value(&o.ials.kernel.alpha)->default_value(1.0),
                                              "ials: confidence c = 1 + alpha r")(
      "confidence", po::value(&o.confidence)->default_value("linear"),
      "ials: linear (1 + alpha r) or log (1 + alpha log(1 + r / eps))")(
      "eps", po::value(&o.ials.kernel.eps)->default_value(1.0), "ials: eps of the log confidence")(
      "solver", po::value(&o.solver)->default_value("cg"), "ials: cg (conjugate gradient) or cholesky")(
      "cg-steps", po::value(&o.ials.kernel.cg_steps)->default_value(3),
      "ials: CG steps per row and half-step")("seed", po::value(&o.als.seed)->default_value(42),
                                              "seed of the initial factors")(
      "threads", po::value(&o.als.threads)->default_value(1), "OpenMP threads per rank");

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
      "user profiles weight items by confidence, not by rating minus the user's mean");

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
      "metrics-out", po::value(&o.metrics_out), "write per-iteration metrics as JSON lines here")(
      "bench-dense", po::bool_switch(&o.bench_dense),
      "also time a dense Eigen product in this process (dense_gflops in the final metrics)")(
      "bench-sparse", po::bool_switch(&o.bench_sparse),
      "knn on one rank: also time a plain sparse X^T X of the same matrix (sparse_gram_seconds)");
  add_checkpoint_options(out, o.checkpoint);

  po::options_description desc;
  desc.add(data).add(model).add(knn).add(content).add(out);
  po::variables_map vm;
  if (!parse_options("train", "Train a recommender across MPI ranks.", desc, args, vm, print)) return false;
  for (const char* name : {"factors", "iterations", "threads", "top-n", "eval-k"}) require_positive(vm, name);
  for (const char* name : {"lambda", "bias-lambda", "alpha", "cg-steps", "ranking-every", "folds"})
    require_non_negative(vm, name);
  require_positive(vm, "eps");
  validate_checkpoint_options(o.checkpoint);
  o.data.split = make_split_spec(o.split, !o.data.test.empty());

  if (o.algo_name == "als")
    o.algo = Algorithm::kAls;
  else if (o.algo_name == "ials")
    o.algo = Algorithm::kImplicitAls;
  else if (o.algo_name == "popular")
    o.algo = Algorithm::kPopular;
  else if (o.algo_name == "knn")
    o.algo = Algorithm::kKnn;
  else if (o.algo_name == "content")
    o.algo = Algorithm::kContent;
  else
    throw InputError("--algo: unknown algorithm '" + o.algo_name +
                     "' (available: als, ials, knn, content, popular)");
  if (o.algo == Algorithm::kContent && o.item_features.empty())
    throw InputError("--algo content needs --item-features FILE");
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
  if (o.confidence == "linear")
    o.ials.kernel.confidence = math::ImplicitAlsConfig::Confidence::kLinear;
  else if (o.confidence == "log")
    o.ials.kernel.confidence = math::ImplicitAlsConfig::Confidence::kLog;
  else
    throw InputError("--confidence must be linear or log, got '" + o.confidence + "'");
  if (o.solver == "cg")
    o.ials.kernel.solver = math::SolverKind::kConjugateGradient;
  else if (o.solver == "cholesky")
    o.ials.kernel.solver = math::SolverKind::kCholesky;
  else
    throw InputError("--solver must be cg or cholesky, got '" + o.solver + "'");
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
  o.ials.kernel.threads = o.als.threads;
  o.knn.threads = o.als.threads;
  return true;
}

}  // namespace hpcrec::app
