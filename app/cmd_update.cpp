// hpcrec update: a saved model kept current with new interactions, without
// training from scratch. The model's training ratings and the new ones are
// merged (new users and items get rows, id maps merge; a (user, item) pair
// rated again takes the new rating, as train's --duplicates last), the
// model's own hyper-parameters are kept, and training runs a few sweeps
// (--iterations, default 1: one warm sweep) over all of it, starting als and ials from the
// previous factors of every known user and item (new ones from the seed, as
// train starts them). With --scope touched the sweeps solve only the users
// and items the new interactions name (each against all of the other side),
// and every other row keeps the model's factors. knn and popular are
// refitted on the merged ratings; content is too, from its item metadata
// (--item-features, with rows for new items) and its stored TF-IDF
// settings. The model's item titles are kept.
// Everything else is `train`: the same output, --test, checkpoints, and the
// same factors at any rank count.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>

#include "app/commands.hpp"
#include "app/model.hpp"
#include "app/options.hpp"
#include "app/serving_options.hpp"
#include "app/train_options.hpp"
#include "mpi/failure.hpp"

namespace hpcrec::app {

namespace {

// update (fold = false) and fold-in (fold = true).
int update_model(const Args& args, const dist::Communicator& comm, bool fold) {
  std::string model_path, ratings, out, test, recommendations, metrics_out, threshold, eval_k = "10";
  std::string checkpoint_dir, checkpoint_every, resume, scope = "all";
  std::vector<std::string> item_features;
  std::string text_columns, id_column, features_delimiter, item_embeddings, item_titles;
  int iterations = 1, threads = 1, top_n = 10;
  po::options_description desc("Update options");
  desc.add_options()("model", po::value(&model_path)->required(),
                     "the model to update (hpcrec train --model)")(
      "ratings", po::value(&ratings)->required(),
      "the new interactions: user,item[,rating[,timestamp]] lines (tab, comma, :: or space separated)")(
      "model-out", po::value(&out)->required(), "write the updated model here")(
      "iterations", po::value(&iterations)->default_value(1),
      "sweeps over all ratings, from the previous factors")(
      "scope", po::value(&scope)->default_value("all"),
      "all: every sweep solves every user and item; touched (als, ials): only the users and items the "
      "new interactions name, against all of the other side")("test", po::value(&test),
                                                              "evaluate on this test file, as train --test")(
      "relevance-threshold", po::value(&threshold), "as train: test ratings >= this are relevant")(
      "eval-k", po::value(&eval_k)->default_value("10"), "as train: the ranking metrics' cut-off")(
      "recommendations", po::value(&recommendations), "write every user's top-N here (.csv or .h5)")(
      "top-n", po::value(&top_n)->default_value(10), "recommendations per user")(
      "metrics-out", po::value(&metrics_out), "per-iteration metrics as JSON lines here")(
      "threads", po::value(&threads)->default_value(1), "OpenMP threads per rank")(
      "checkpoint-dir", po::value(&checkpoint_dir), "as train: checkpoint the sweeps here")(
      "checkpoint-every", po::value(&checkpoint_every), "as train: a checkpoint every N sweeps")(
      "resume", po::value(&resume), "as train: auto or a checkpoint file (the same model and new ratings)")(
      "item-features", po::value(&item_features)->multitoken(),
      "content: the item metadata files (as train; with rows for new items)")(
      "text-columns", po::value(&text_columns), "content: as train")("id-column", po::value(&id_column),
                                                                     "content: as train")(
      "features-delimiter", po::value(&features_delimiter), "content: as train")(
      "item-embeddings", po::value(&item_embeddings),
      "content: the embeddings file (default: the one the model was trained on)")(
      "item-titles", po::value(&item_titles), "titles for new items (as train); the model's titles are kept");
  bool go = true;
  dist::collective_phase(comm, [&] {
    po::variables_map vm;
    go = parse_options("update",
                       "Keep a saved model current: merge new interactions and run a few warm sweeps.", desc,
                       args, vm, comm.rank() == 0);
    if (!go) return;
    require_positive(vm, "iterations");
    require_positive(vm, "threads");
    require_positive(vm, "top-n");
    if (scope != "all" && scope != "touched")
      throw InputError("--scope must be all or touched, got '" + scope + "'");
    if (fold && !vm["scope"].defaulted())
      throw InputError("--scope is an update option: fold-in solves only the given users");
  });
  if (!go) return kExitOk;

  // Every rank reads the previous model whole (its factors start the sweeps).
  std::unique_ptr<io::ModelReader> reader;
  std::vector<std::string> flags;
  std::string algorithm;
  // fold-in: the users of --ratings; --scope touched: its users and items
  // (rank 0's parse, then everywhere).
  std::set<std::string> fold_users, touched_users, touched_items;
  std::vector<std::string> titles;  // the model's, kept
  dist::collective_phase(comm, [&] {
    reader = std::make_unique<io::ModelReader>(model_path);
    const io::Attributes a = reader->attributes("");
    algorithm = attr_string(a, "algorithm", *reader);
    const ModelEntry& entry = model_entry(algorithm);
    if (!entry.train_flags)
      throw InputError(model_path + ": a " + algorithm +
                       " model cannot be updated (yet): train it again on all ratings");
    if (fold && algorithm != "als" && algorithm != "ials")
      throw InputError(
          model_path + ": fold-in writes user vectors, which a " + algorithm +
          " model has none of: recommend --user-ratings scores users from their ratings directly");
    flags = entry.train_flags(a, *reader);
    const bool metadata = !item_features.empty() || !item_embeddings.empty() || !text_columns.empty() ||
                          !id_column.empty() || !features_delimiter.empty();
    if (metadata && algorithm != "content")
      throw InputError("--item-features, --item-embeddings: only a content model reads item metadata, not " +
                       algorithm);
    if (algorithm == "content") {
      auto at = std::find(flags.begin(), flags.end(), "--item-embeddings");
      if (at != flags.end() && !item_embeddings.empty()) *(at + 1) = item_embeddings;
      if (at == flags.end() && item_features.empty())
        throw InputError(model_path +
                         ": a content model is updated from its item metadata: give --item-features with the "
                         "files it was trained on (and rows for new items)");
    }
    if (reader->has("/items/titles")) titles = reader->strings("/items/titles");
    if (scope == "touched" && algorithm != "als" && algorithm != "ials")
      throw InputError("--scope touched: a " + algorithm +
                       " model is refitted on all ratings (exact); use --scope all");
  });
  // The merged ratings, as one file train reads: the model's training
  // ratings first, then the new ones (later lines win a repeated pair).
  const std::string merged = out + ".ratings.tmp";
  dist::collective_phase(comm, [&] {
    if (comm.rank() != 0) return;
    std::vector<UserRating> fresh = read_user_ratings(ratings);
    const io::Model& m = reader->common();
    if (fold) {
      // Fold-in adds no items: ratings of items the model does not know are dropped.
      const size_t before = fresh.size();
      std::erase_if(fresh, [&](const UserRating& r) { return !m.item_ids.find_text(r.item); });
      if (fresh.size() != before)
        std::fprintf(stderr, "hpcrec fold-in: %zu ratings of items not in the model ignored\n",
                     before - fresh.size());
      for (const UserRating& r : fresh) fold_users.insert(r.user);
    }
    if (scope == "touched") {
      for (const UserRating& r : fresh) {
        touched_users.insert(r.user);
        touched_items.insert(r.item);
      }
    }
    std::FILE* f = std::fopen(merged.c_str(), "wb");
    if (!f) throw InputError(merged + ": cannot write the merged ratings next to --model-out");
    std::string text;
    bool ok = true;
    auto flush = [&](bool force) {
      if (!force && text.size() < (8u << 20)) return;
      ok = ok && std::fwrite(text.data(), 1, text.size(), f) == text.size();
      text.clear();
    };
    char buf[32];
    auto line = [&](const std::string& user, const std::string& item, double rating, const char* stamp) {
      text += user;
      text += '\t';
      text += item;
      text += '\t';
      // The shortest text that reads back as the same float.
      const auto res = std::to_chars(buf, buf + sizeof buf, static_cast<float>(rating));
      text.append(buf, res.ptr);
      text += stamp;
      flush(false);
    };
    std::vector<std::string> items(static_cast<size_t>(m.item_ids.size()));
    for (math::Index i = 0; i < m.item_ids.size(); ++i) items[i] = m.item_ids.name(i);
    for (math::Index u = 0; u < m.user_ids.size(); ++u) {
      const std::string user = m.user_ids.name(u);
      for (auto e = m.train_indptr[u]; e < m.train_indptr[u + 1]; ++e)
        line(user, items[m.train_items[e]], m.train_values[e], "\t0\n");
    }
    for (const UserRating& r : fresh) line(r.user, r.item, std::isnan(r.rating) ? 1.0 : r.rating, "\t1\n");
    flush(true);
    ok = std::fclose(f) == 0 && ok;
    if (!ok) throw InputError(merged + ": cannot write the merged ratings (disk full?)");
  });
  // Format and header detected per file: the merged file is tab-separated
  // with a numeric rating field (no header), and --test keeps its own.
  Args train_args = {"--ratings",    merged,
                     "--algo",       algorithm,
                     "--iterations", std::to_string(iterations),
                     "--model",      out,
                     "--threads",    std::to_string(threads),
                     "--top-n",      std::to_string(top_n)};
  train_args.insert(train_args.end(), flags.begin(), flags.end());
  if (!test.empty()) train_args.insert(train_args.end(), {"--test", test, "--eval-k", eval_k});
  if (!threshold.empty()) train_args.insert(train_args.end(), {"--relevance-threshold", threshold});
  if (!recommendations.empty()) train_args.insert(train_args.end(), {"--recommendations", recommendations});
  if (!metrics_out.empty()) train_args.insert(train_args.end(), {"--metrics-out", metrics_out});
  if (!checkpoint_dir.empty()) train_args.insert(train_args.end(), {"--checkpoint-dir", checkpoint_dir});
  if (!checkpoint_every.empty())
    train_args.insert(train_args.end(), {"--checkpoint-every", checkpoint_every});
  if (!resume.empty()) train_args.insert(train_args.end(), {"--resume", resume});
  if (!item_features.empty()) {
    train_args.push_back("--item-features");
    train_args.insert(train_args.end(), item_features.begin(), item_features.end());
  }
  for (const auto& [flag, value] : {std::pair{"--text-columns", &text_columns},
                                    {"--id-column", &id_column},
                                    {"--features-delimiter", &features_delimiter},
                                    {"--item-titles", &item_titles}})
    if (!value->empty()) train_args.insert(train_args.end(), {flag, *value});
  // Every rank needs the sets: rank 0 read the file.
  auto share = [&](std::set<std::string>& names) {
    std::string joined;
    for (const auto& u : names) joined += u + '\n';
    comm.broadcast_string(joined, 0);
    names.clear();
    for (size_t at = 0, next; at < joined.size(); at = next + 1) {
      next = joined.find('\n', at);
      names.insert(joined.substr(at, next - at));
    }
  };
  if (fold) share(fold_users);
  if (scope == "touched") {
    share(touched_users);
    share(touched_items);
  }
  TrainOptions o;
  int status = kExitOk;
  try {
    dist::collective_phase(comm, [&] { parse_train_options(train_args, o, false); });
    o.command = fold ? "fold-in" : "update";
    WarmStart warm{&reader->common(), fold ? &fold_users : nullptr, nullptr, nullptr, &titles};
    if (scope == "touched") {
      warm.touched_users = &touched_users;
      warm.touched_items = &touched_items;
    }
    status = run_training(comm, o, &warm);
  } catch (...) {
    if (comm.rank() == 0) std::filesystem::remove(merged);
    throw;
  }
  if (comm.rank() == 0) std::filesystem::remove(merged);
  return status;
}

}  // namespace

int run_update(const Args& args, const dist::Communicator& comm) { return update_model(args, comm, false); }
int run_fold_in(const Args& args, const dist::Communicator& comm) { return update_model(args, comm, true); }

}  // namespace hpcrec::app
