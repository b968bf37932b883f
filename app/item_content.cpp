#include "app/item_content.hpp"

#include <algorithm>
#include <cstdio>

#include "app/train_options.hpp"
#include "mpi/failure.hpp"
#include "src/tfidf.hpp"

namespace hpcrec::app {

using math::Index;

bool needs_content(const TrainOptions& o) {
  if (o.algo == Algorithm::kContent) return true;
  if (o.algo != Algorithm::kHybrid) return false;
  const bool listed =
      std::find(o.blend_models.begin(), o.blend_models.end(), Algorithm::kContent) != o.blend_models.end();
  return listed || (o.min_history > 0 && (!o.item_features.empty() || !o.item_embeddings.empty()));
}

void read_content(const dist::Communicator& comm, const TrainOptions& o, ItemContent& content) {
  if (!o.item_embeddings.empty()) {
    dist::collective_phase(comm, [&] { content.embeddings = io::read_item_embeddings(o.item_embeddings); });
    content.from_embeddings = true;
    content.ids = content.embeddings.id_map();
    return;
  }
  dist::collective_phase(comm, [&] {
    std::vector<io::ItemFeatureSource> sources;
    for (const auto& path : o.item_features) {
      io::ItemFeatureSource src;
      src.path = path;
      src.format = io::detect_item_feature_format(path);
      if (src.format == io::ItemFeatureFormat::kDelimited) {
        src.delimiter = io::parse_feature_delimiter(o.features_delimiter);
        src.id_column = o.id_column - 1;
        src.text_columns = parse_text_columns(o.text_columns);
      }
      sources.push_back(src);
    }
    content.features = io::read_item_features(sources);
  });
  content.ids = content.features.id_map();
}

void build_content(const dist::Communicator& comm, const TrainOptions& o, const TrainingData& data,
                   ItemContent& content) {
  const double t0 = MPI_Wtime();
  Index matched = 0;
  if (content.from_embeddings) {
    content.rows = content.embeddings.aligned(data.item_ids, &matched);
    content.columns = content.embeddings.dimension();
    content.embeddings = {};
    if (comm.rank() == 0)
      std::printf("content: %d of %d items have embeddings (d = %d)\n", matched, data.item_ids.size(),
                  content.columns);
    return;
  }
  std::vector<io::ItemDocument> docs = content.features.aligned(data.item_ids, &matched);
  std::vector<std::string> texts;
  std::vector<std::vector<std::string>> tokens;
  for (auto& d : docs) {
    texts.push_back(std::move(d.text));
    tokens.push_back(std::move(d.tokens));
  }
  math::TfidfModel tfidf = math::fit_tfidf(texts, tokens, o.tfidf);
  content.rows = std::move(tfidf.matrix);
  content.columns = static_cast<Index>(tfidf.vocabulary.size());
  content.vocabulary = std::move(tfidf.vocabulary);
  const double secs = comm.allreduce<double>(MPI_Wtime() - t0, MPI_MAX);
  if (comm.rank() == 0) {
    std::printf("content: %d of %d items have metadata, %d terms, TF-IDF in %.2f s\n", matched,
                data.item_ids.size(), content.columns, secs);
  }
}

}  // namespace hpcrec::app
