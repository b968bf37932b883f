// Item content for content models: one l2-normalised row per item of the
// job's item map, TF-IDF over item metadata (--item-features) or given
// embeddings (--item-embeddings). Every rank holds all of it
// (metadata-sized).
#pragma once

#include <string>
#include <vector>

#include "app/training_data.hpp"
#include "io/item_embeddings.hpp"
#include "io/item_features.hpp"
#include "mpi/communicator.hpp"
#include "src/csr_block.hpp"
#include "src/ids.hpp"

namespace hpcrec::app {

struct TrainOptions;

struct ItemContent {
  io::ItemFeatures features;      // --item-features, as read
  io::ItemEmbeddings embeddings;  // --item-embeddings, as read
  bool from_embeddings = false;
  math::IdMap ids;      // the items the content knows: they join the item map (cold start)
  math::CsrBlock rows;  // item x column (term or embedding dimension)
  math::Index columns = 0;
  std::vector<std::string> vocabulary;  // TF-IDF: column j's term (empty for embeddings)
  std::vector<std::string> titles;      // per item of the job's item map ("" unknown)
};

// Whether the run's model (or one of a hybrid's) needs item content.
bool needs_content(const TrainOptions& o);

// Collective. Reads the item metadata or embeddings (every rank the whole files).
void read_content(const dist::Communicator& comm, const TrainOptions& o, ItemContent& content);

// Every rank: the content rows of the job's items (items without metadata: empty rows).
void build_content(const dist::Communicator& comm, const TrainOptions& o, const TrainingData& data,
                   ItemContent& content);

}  // namespace hpcrec::app
