// Item titles for the lists people read: from --item-titles FILE (MovieLens
// movies.csv or u.item, or a delimited file: id in the first column, title
// in the second), or, in `train`, from the MovieLens files among
// --item-features; stored in the model (/items/titles) and shown without
// the flag afterwards.
#pragma once

#include <string>
#include <vector>

#include "app/options.hpp"
#include "app/training_data.hpp"
#include "mpi/communicator.hpp"
#include "src/ids.hpp"

namespace hpcrec::app {

struct TrainOptions;

// Collective. Titles aligned to `items` ("" where a file has none).
std::vector<std::string> read_titles(const dist::Communicator& comm, const std::string& path,
                                     const math::IdMap& items);

struct WarmStart;

// Collective. train's titles: --item-titles, else the MovieLens files among
// --item-features, else none (empty). In `update` (warm), the previous
// model's titles are kept for the items no file names.
std::vector<std::string> item_titles(const dist::Communicator& comm, const TrainOptions& o,
                                     const TrainingData& data, const WarmStart* warm = nullptr);

}  // namespace hpcrec::app
