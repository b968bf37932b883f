#include "app/item_titles.hpp"

#include "app/train_options.hpp"
#include "io/item_titles.hpp"
#include "mpi/failure.hpp"

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

std::vector<std::string> item_titles(const dist::Communicator& comm, const TrainOptions& o,
                                     const TrainingData& data) {
  if (!o.item_titles.empty()) return read_titles(comm, o.item_titles, data.item_ids);
  for (const auto& path : o.item_features) {
    const auto format = io::detect_item_feature_format(path);
    if (format == io::ItemFeatureFormat::kMovieLensMovies || format == io::ItemFeatureFormat::kMovieLensUItem)
      return read_titles(comm, path, data.item_ids);
  }
  return {};
}

}  // namespace hpcrec::app
