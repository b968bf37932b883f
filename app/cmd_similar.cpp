// hpcrec similar: an item's (or user's) nearest neighbours in a saved model,
// by the model's own measure (Model::similar): the stored lists of a KNN or
// content model (similarity and co-rating or shared-term support), or the
// cosine of the latent factors of a factor model (als, ials); a hybrid
// answers with its first part that has such neighbours.
#include <cstdio>

#include "app/commands.hpp"
#include "app/item_titles.hpp"
#include "app/options.hpp"
#include "app/serving.hpp"
#include "io/item_titles.hpp"
#include "mpi/failure.hpp"

namespace hpcrec::app {

int run_similar(const Args& args, const dist::Communicator& comm) {
  std::string model_path, item, user, titles_file;
  int top_n = 10, min_ratings = 1;
  po::options_description desc("Similar options");
  desc.add_options()("model", po::value(&model_path)->required(),
                     "model file written by hpcrec train --model")(
      "item", po::value(&item), "original item id")("user", po::value(&user),
                                                    "original user id (user-based)")(
      "top-n", po::value(&top_n)->default_value(10), "number of neighbours")(
      "min-ratings", po::value(&min_ratings)->default_value(1),
      "factor models: only neighbours with at least this many training ratings (rarely rated items "
      "have factors shaped by the regularisation more than by their ratings)")(
      "item-titles", po::value(&titles_file),
      "titles to show for items (movies.csv, u.item, or id,title CSV; default: those stored in the model)");
  bool go = true;
  dist::collective_phase(comm, [&] {
    po::variables_map vm;
    go = parse_options("similar", "Nearest neighbours of an item (or user) in a saved model.", desc, args, vm,
                       comm.rank() == 0);
    if (!go) return;
    require_positive(vm, "top-n");
    require_non_negative(vm, "min-ratings");
    if (item.empty() == user.empty())
      throw InputError("hpcrec similar: give exactly one of --item and --user");
  });
  if (!go) return kExitOk;
  dist::collective_phase(comm, [&] {
    if (comm.rank() != 0) return;
    const auto self = dist::Communicator::self();
    LoadedModel lm = load_model_file(self, model_path, 1);
    const bool items = !item.empty();
    if (items && !titles_file.empty()) lm.titles = read_titles(self, titles_file, lm.data.item_ids);
    const math::IdMap& ids = items ? lm.data.item_ids : lm.data.user_ids;
    const std::string& wanted = items ? item : user;
    auto row = ids.find_text(wanted);
    if (!row)
      throw InputError(model_path + ": " + (items ? "item '" : "user '") + wanted + "' is not in the model");
    Similar found;
    try {
      found = lm.model->similar(lm.data, !items, *row, top_n, min_ratings);
    } catch (const InputError& e) {
      throw InputError(model_path + ": " + e.what());
    }
    const bool titled = items && !lm.titles.empty();
    const bool stored = found.measure == "similarity";
    std::printf("rank,%s,%s%s\n", items ? "item" : "user", stored ? "similarity,support" : "cosine",
                titled ? ",title" : "");
    int rank = 0;
    for (const math::Neighbor& nb : found.list) {
      std::printf("%d,%s,%.6g", ++rank, ids.name(nb.id).c_str(), nb.sim);
      if (stored) std::printf(",%lld", static_cast<long long>(nb.support));
      if (titled) std::printf(",%s", io::csv_field(lm.titles[static_cast<size_t>(nb.id)]).c_str());
      std::printf("\n");
    }
  });
  return kExitOk;
}

}  // namespace hpcrec::app
