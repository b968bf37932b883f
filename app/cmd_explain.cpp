// hpcrec explain: why a saved model gives a user an item. The terms add up
// to the score (als/ials: one per rated item, from the user's own normal
// equation re-solved against the item factors, as implicit's explain; knn:
// the neighbours' similarities; content: the shared terms; popular: the
// count; hybrid: each model's weighted share). One process does the work.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "app/commands.hpp"
#include "app/item_titles.hpp"
#include "app/options.hpp"
#include "app/serving.hpp"
#include "io/item_titles.hpp"
#include "mpi/failure.hpp"

namespace hpcrec::app {

int run_explain(const Args& args, const dist::Communicator& comm) {
  std::string model_path, user, item, titles_file;
  int top = 10;
  po::options_description desc("Explain options");
  desc.add_options()("model", po::value(&model_path)->required(),
                     "model file written by hpcrec train --model")(
      "user", po::value(&user)->required(), "the user's original id")("item", po::value(&item)->required(),
                                                                      "the item's original id")(
      "top", po::value(&top)->default_value(10), "terms shown, largest first (the rest summed in one line)")(
      "item-titles", po::value(&titles_file), "titles to show (default: those stored in the model)");
  bool go = true;
  dist::collective_phase(comm, [&] {
    po::variables_map vm;
    go = parse_options("explain", "Why a saved model gives a user an item: terms that add up to the score.",
                       desc, args, vm, comm.rank() == 0);
    if (go) require_positive(vm, "top");
  });
  if (!go) return kExitOk;
  dist::collective_phase(comm, [&] {
    if (comm.rank() != 0) return;
    const auto self = dist::Communicator::self();
    LoadedModel lm = load_model_file(self, model_path, 1);
    if (!titles_file.empty()) lm.titles = read_titles(self, titles_file, lm.data.item_ids);
    const auto u = lm.data.user_ids.find_text(user);
    if (!u)
      throw InputError(model_path + ": user '" + user +
                       "' is not in the model (new users get the popularity list)");
    const auto i = lm.data.item_ids.find_text(item);
    if (!i) throw InputError(model_path + ": item '" + item + "' is not in the model");
    const Explanation e = lm.model->explain(self, lm.data, *u, *i);
    auto title = [&](const std::string& kind, const std::string& id) -> std::string {
      if (lm.titles.empty() || (kind != "item" && !(kind == "neighbor" && lm.model->name() == "knn")))
        return "";
      auto at = lm.data.item_ids.find_text(id);
      return at ? lm.titles[static_cast<size_t>(*at)] : "";
    };
    std::printf("# %s\n", e.method.c_str());
    const std::string item_title = lm.titles.empty() ? "" : lm.titles[static_cast<size_t>(*i)];
    std::printf("# user %s, item %s%s%s: score %.6g (sum of %zu terms); the model ranks by %.6g\n",
                user.c_str(), item.c_str(), item_title.empty() ? "" : " ", item_title.c_str(), e.score,
                e.terms.size(), e.model);
    std::vector<ExplainTerm> terms = e.terms;
    std::stable_sort(terms.begin(), terms.end(), [](const ExplainTerm& a, const ExplainTerm& b) {
      return std::abs(a.value) > std::abs(b.value);
    });
    std::printf("rank,kind,id,contribution%s\n", lm.titles.empty() ? "" : ",title");
    double rest = 0;
    for (size_t j = 0; j < terms.size(); ++j) {
      if (static_cast<int>(j) >= top) {
        rest += terms[j].value;
        continue;
      }
      std::printf("%zu,%s,%s,%.6g", j + 1, terms[j].kind.c_str(), io::csv_field(terms[j].id).c_str(),
                  terms[j].value);
      if (!lm.titles.empty()) std::printf(",%s", io::csv_field(title(terms[j].kind, terms[j].id)).c_str());
      std::printf("\n");
    }
    if (terms.size() > static_cast<size_t>(top))
      std::printf("%zu more terms,rest,,%.6g%s\n", terms.size() - static_cast<size_t>(top), rest,
                  lm.titles.empty() ? "" : ",");
  });
  return kExitOk;
}

}  // namespace hpcrec::app
