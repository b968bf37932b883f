#include "app/item_titles.hpp"

#include "app/model.hpp"
#include "app/train_options.hpp"
#include "io/item_titles.hpp"
#include "mpi/failure.hpp"
#include "mpi/id_remap.hpp"

namespace hpcrec::app {

std::vector<std::string> read_titles(const dist::Communicator& comm, const std::string& path,
                                     const math::IdMap& items) {
  std::vector<std::string> out;
  dist::collective_phase(comm, [&] {
    io::ItemFeatureSource src;
    src.path = path;
    src.format = io::detect_item_feature_format(path);
    if (src.format == io::ItemFeatureFormat::kDelimited) src.text_columns = {1};
    out = io::read_item_titles(src).aligned(items);
  });
  return out;
}

namespace {

std::vector<std::string> titles_from_files(const dist::Communicator& comm, const TrainOptions& o,
                                           const math::IdMap& items) {
  if (!o.item_titles.empty()) return read_titles(comm, o.item_titles, items);
  for (const auto& path : o.item_features) {
    const auto format = io::detect_item_feature_format(path);
    if (format == io::ItemFeatureFormat::kMovieLensMovies || format == io::ItemFeatureFormat::kMovieLensUItem)
      return read_titles(comm, path, items);
  }
  return {};
}

}  // namespace

std::vector<std::string> item_titles(const dist::Communicator& comm, const TrainOptions& o,
                                     const TrainingData& data, const WarmStart* warm) {
  const bool any =
      !o.item_titles.empty() || !o.item_features.empty() || (warm && warm->titles && !warm->titles->empty());
  if (!any) return {};
  // Titles are kept for every item (the lists of any rank name any item), so
  // they are aligned to the whole item map, gathered for the purpose.
  const math::IdMap items = dist::gather_id_map(comm, data.item_ids);
  std::vector<std::string> titles = titles_from_files(comm, o, items);
  if (!warm || !warm->titles || warm->titles->empty()) return titles;
  titles.resize(static_cast<size_t>(items.size()));
  const math::IdMap& old = warm->model->item_ids;
  for (math::Index i = 0; i < items.size(); ++i) {
    std::string& t = titles[static_cast<size_t>(i)];
    if (!t.empty()) continue;
    if (const auto j = old.find_text(items.name(i))) t = (*warm->titles)[static_cast<size_t>(*j)];
  }
  return titles;
}

}  // namespace hpcrec::app
