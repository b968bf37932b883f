// hpcrec similar: an item's (or user's) nearest neighbours in a saved model:
// the stored lists of a KNN model (similarity and co-rating support), or the
// cosine of the latent factors of a factor model (als, ials).
#include <cstdio>

#include "app/commands.hpp"
#include "app/item_titles.hpp"
#include "app/options.hpp"
#include "io/item_titles.hpp"
#include "io/model_file.hpp"
#include "mpi/failure.hpp"
#include "src/topn.hpp"

namespace hpcrec::app {

using math::Index;

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
    io::ModelReader reader(model_path);
    const io::Model& m = reader.common();
    const bool items = !item.empty();
    std::vector<std::string> titles;
    if (items && !titles_file.empty()) {
      titles = read_titles(dist::Communicator::self(), titles_file, m.item_ids);
    } else if (items && reader.has("/items/titles")) {
      titles = reader.strings("/items/titles");
    }
    // ",title" for an item row when titles are known.
    auto title = [&](Index row) {
      std::string field;
      if (!titles.empty()) field.append(1, ',').append(io::csv_field(titles[row]));
      return field;
    };
    const char* title_header = titles.empty() ? "" : ",title";
    const math::IdMap& ids = items ? m.item_ids : m.user_ids;
    const std::string& wanted = items ? item : user;
    auto row = ids.find_text(wanted);
    if (!row)
      throw InputError(model_path + ": " + (items ? "item '" : "user '") + wanted + "' is not in the model");
    if (m.knn_k > 0) {
      if ((m.knn_side == "items") != items)
        throw InputError(model_path + ": a " + m.knn_side + "-based KNN model has neighbours of " +
                         m.knn_side + " only (use --" + (items ? "user" : "item") + ")");
      std::printf("rank,%s,similarity,support%s\n", items ? "item" : "user", title_header);
      for (int j = 0, shown = 0; j < m.knn_k && shown < top_n; ++j) {
        const size_t at = static_cast<size_t>(*row) * m.knn_k + j;
        if (m.knn_index[at] < 0) break;
        std::printf("%d,%s,%.6g,%lld%s\n", ++shown, ids.name(m.knn_index[at]).c_str(), m.knn_similarity[at],
                    static_cast<long long>(m.knn_support[at]), title(m.knn_index[at]).c_str());
      }
      return;
    }
    const math::Matrix& f = items ? m.item_factors : m.user_factors;
    if (f.cols() == 0) throw InputError(model_path + ": this model has no factors or neighbours to compare");
    // Training ratings per row of this side, from the stored training matrix.
    std::vector<math::Offset> count(static_cast<size_t>(f.rows()), 0);
    if (items) {
      for (Index i : m.train_items) ++count[i];
    } else {
      for (Index u = 0; u < f.rows(); ++u) count[u] = m.train_indptr[u + 1] - m.train_indptr[u];
    }
    // Cosine of the factor vectors: normalise the rows, one product; rows
    // with too few ratings are skipped along with the query itself.
    math::Vector norms = f.rowwise().norm();
    math::Matrix unit = f;
    for (Index r = 0; r < unit.rows(); ++r)
      if (norms[r] > 0) unit.row(r) /= norms[r];
    math::Matrix query = unit.row(*row);
    std::vector<math::TopNHeap> heap(1, math::TopNHeap(top_n));
    std::vector<Index> skip;
    for (Index r = 0; r < f.rows(); ++r)
      if (r == *row || count[r] < min_ratings) skip.push_back(r);
    math::score_block_into(query, math::Vector::Zero(1), unit, math::Vector::Zero(unit.rows()), 0,
                           {std::span<const Index>(skip)}, heap, 1);
    std::printf("rank,%s,cosine%s\n", items ? "item" : "user", title_header);
    int rank = 0;
    for (const auto& s : heap[0].sorted())
      std::printf("%d,%s,%.6g%s\n", ++rank, ids.name(s.item).c_str(), s.score, title(s.item).c_str());
  });
  return kExitOk;
}

}  // namespace hpcrec::app
