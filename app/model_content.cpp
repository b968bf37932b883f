// content: TF-IDF (or given embeddings) user profiles against item rows
// (src/content.hpp). The model is the item x column matrix, which every rank
// holds whole, stored as /content (CSR: indptr, columns, values, and the
// vocabulary); users are scored from their training items wherever they
// live, exactly as in training. Item-item cosine neighbours (for `hpcrec
// similar`) go to /knn as a KNN model's do.
#include <cstdio>

#include "app/commands.hpp"
#include "app/factor_model.hpp"
#include "app/item_content.hpp"
#include "app/train_options.hpp"
#include "mpi/knn_driver.hpp"
#include "src/content.hpp"

namespace hpcrec::app {

namespace {

using math::Index;

struct ContentModelOptions {
  math::ContentOptions content;
  std::string item_embeddings;  // the embeddings file, or "" for TF-IDF
  int ngram = 1;
  std::string min_df = "1", max_df = "1.0";
  bool stop_words = false, sublinear_tf = false;
  bool neighbors = true;  // compute item neighbours (only when a model file is written)
};

class ContentModel : public FactorModel {
 public:
  ContentModel() = default;
  explicit ContentModel(const TrainOptions& o) {
    opt_.content = {o.implicit_profile ? math::ProfileWeight::kConfidence : math::ProfileWeight::kCentered,
                    o.als.threads};
    opt_.item_embeddings = o.item_embeddings;
    opt_.ngram = o.tfidf.ngram_max;
    opt_.min_df = o.min_df;
    opt_.max_df = o.max_df;
    opt_.stop_words = o.tfidf.stop_words;
    opt_.sublinear_tf = o.tfidf.sublinear_tf;
    opt_.neighbors = !o.model.empty();
    threads_ = o.als.threads;
  }
  std::string name() const override { return "content"; }
  void set_threads(int threads) override {
    threads_ = threads;
    opt_.content.threads = threads;
  }

  io::Attributes attributes() const override {
    io::Attributes a{
        {"algorithm", name()},
        {"global_mean", 0.0},
        {"profile",
         std::string(opt_.content.weight == math::ProfileWeight::kConfidence ? "confidence" : "centered")}};
    if (!opt_.item_embeddings.empty()) {
      a.insert({"item_embeddings", opt_.item_embeddings});
      if (index_) a.insert({"embedding_dimension", static_cast<std::int64_t>(index_->terms())});
    } else {
      a.insert({{"ngram", std::int64_t{opt_.ngram}},
                {"min_df", opt_.min_df},
                {"max_df", opt_.max_df},
                {"stop_words", std::int64_t{opt_.stop_words}},
                {"sublinear_tf", std::int64_t{opt_.sublinear_tf}}});
      if (index_) a.insert({"terms", static_cast<std::int64_t>(index_->terms())});
    }
    return a;
  }

  int fit(const dist::Communicator& comm, const FitContext& ctx, Metrics&) override {
    const TrainingData& data = *ctx.data;
    const ItemContent& content = *ctx.content;
    const double t0 = MPI_Wtime();
    index_ = std::make_shared<math::ContentIndex>(content.rows);
    vocabulary_ = content.vocabulary;
    if (opt_.neighbors) {
      // Item-item cosine neighbours for `hpcrec similar`: the KNN ring over TF-IDF rows.
      const math::CsrBlock mine =
          math::slice_rows(content.rows, data.items.first(comm.rank()), data.items.count(comm.rank()));
      const math::CsrBlock no_users;
      dist::KnnOptions ko;
      ko.on = dist::KnnOn::kItems;
      ko.similarity.kind = math::SimilarityKind::kCosine;
      ko.similarity.neighbors = 50;
      ko.threads = opt_.content.threads;
      const auto terms = dist::BlockPartition::even(content.columns, comm.size());
      neighbors_ = dist::compute_neighbors(comm, {&no_users, &mine, terms, data.items}, {}, ko);
    }
    figures_.seconds = comm.allreduce<double>(MPI_Wtime() - t0, MPI_MAX);
    no_factors(data);
    return kExitOk;
  }

  TopLists recommend(const dist::Communicator&, const TrainingData& data, const UserBatch& batch, int n,
                     const ItemFilter& filter) const override {
    if (batch.all && !batch.histories)
      return math::content_top_n(*index_, data.by_user, opt_.content, n, filter.blocked, filter.include_seen);
    return math::content_top_n(*index_, batch_rows(data.by_user, batch), opt_.content, n, filter.blocked,
                               filter.include_seen);
  }

  std::vector<double> predict(const dist::Communicator&, const TrainingData& data,
                              const std::vector<math::Rating>& pairs) const override {
    std::vector<double> out;
    for (const math::Rating& r : pairs) {
      if (r.user < 0 || r.item < 0) {
        out.push_back(std::nan(""));
        continue;
      }
      const Index u = r.user - data.by_user.first_row;
      const auto profile =
          index_->profile(data.by_user.row_cols(u), data.by_user.row_values(u), opt_.content.weight);
      out.push_back(dot(profile, r.item, nullptr));
    }
    return out;
  }

  Explanation explain(const dist::Communicator&, const TrainingData& data, Index user,
                      Index item) const override {
    Explanation e;
    e.method = opt_.item_embeddings.empty()
                   ? "content: the user's TF-IDF profile times the item's, term by term"
                   : "content: the user's embedding profile times the item's, dimension by dimension";
    const Index u = user - data.by_user.first_row;
    const auto profile =
        index_->profile(data.by_user.row_cols(u), data.by_user.row_values(u), opt_.content.weight);
    e.model = dot(profile, item, &e.terms);
    for (const auto& t : e.terms) e.score += t.value;
    return e;
  }

  void save(io::ModelWriter& out, const TrainingData& data, const std::string& group) const override {
    FactorModel::save(out, data, group);
    const math::CsrBlock& rows = index_->rows();
    out.whole(group + "/content/indptr", std::vector<std::int64_t>(rows.indptr.begin(), rows.indptr.end()));
    out.whole(group + "/content/columns", std::vector<std::int32_t>(rows.cols.begin(), rows.cols.end()));
    out.whole(group + "/content/values", rows.values);
    out.whole(group + "/content/vocabulary", vocabulary_);
    out.attributes(group + "/content", {{"columns", static_cast<std::int64_t>(index_->terms())}});
    if (out.comm().allreduce<int>(neighbors_.rows() > 0 ? 1 : 0, MPI_MAX)) {
      out.neighbors(group + "/knn", neighbor_slice(out.comm(), neighbors_, "items"), data.item_ids);
    }
  }

  void load(const io::ModelReader& in, const std::string& group, const TrainingData& data) override {
    FactorModel::load(in, group, data);
    math::CsrBlock rows;
    const auto indptr = in.int64s(group + "/content/indptr");
    const auto cols = in.int32s(group + "/content/columns");
    rows.values = in.floats(group + "/content/values");
    vocabulary_ = in.strings(group + "/content/vocabulary");
    const Index columns = static_cast<Index>(attr_int(in.attributes(group + "/content"), "columns", in));
    rows.indptr.assign(indptr.begin(), indptr.end());
    rows.cols.assign(cols.begin(), cols.end());
    bool ok = static_cast<Index>(rows.indptr.size()) == data.item_ids.size() + 1 &&
              rows.indptr.front() == 0 && rows.indptr.back() == static_cast<math::Offset>(rows.cols.size()) &&
              rows.values.size() == rows.cols.size();
    for (Index c : rows.cols) ok = ok && c >= 0 && c < columns;
    if (!ok) in.fail(group + "/content is not a valid item x column CSR for the model's items");
    index_ = std::make_shared<math::ContentIndex>(rows);
    neighbors_ = {};
    if (in.has(group + "/knn/neighbor_index"))
      neighbors_ =
          load_neighbor_lists(in, group, data.by_item.first_row, data.by_item.rows(), data.item_ids.size());
  }

  Similar similar(const TrainingData&, bool users, Index row, int n, int) const override {
    if (users) throw InputError("a content model has neighbours of items only (use --item)");
    if (neighbors_.rows() == 0) throw InputError("this content model was saved without item neighbours");
    return stored_neighbors(neighbors_, row - neighbors_.first_row, n);
  }

 protected:
  void load_options(const io::Attributes& a, const io::ModelReader& in) override {
    opt_.content.weight = attr_string(a, "profile", in) == "confidence" ? math::ProfileWeight::kConfidence
                                                                        : math::ProfileWeight::kCentered;
    if (a.count("item_embeddings")) {
      opt_.item_embeddings = attr_string(a, "item_embeddings", in);
    } else {
      opt_.ngram = static_cast<int>(attr_int(a, "ngram", in));
      opt_.min_df = attr_string(a, "min_df", in);
      opt_.max_df = attr_string(a, "max_df", in);
      // Absent in models written before they were stored: off, the defaults.
      opt_.stop_words = a.count("stop_words") && attr_int(a, "stop_words", in);
      opt_.sublinear_tf = a.count("sublinear_tf") && attr_int(a, "sublinear_tf", in);
    }
  }

 private:
  // p_u . x_i over the shared columns in ascending order; with `terms`, one
  // term per shared column.
  double dot(const std::vector<std::pair<Index, double>>& profile, Index item,
             std::vector<ExplainTerm>* terms) const {
    const math::CsrBlock& rows = index_->rows();
    const auto cols = rows.row_cols(item);
    const auto vals = rows.row_values(item);
    double s = 0;
    size_t j = 0;
    for (const auto& [t, pv] : profile) {
      while (j < cols.size() && cols[j] < t) ++j;
      if (j == cols.size()) break;
      if (cols[j] != t) continue;
      const double c = pv * static_cast<double>(vals[j]);
      s += c;
      if (terms) {
        const std::string label = static_cast<size_t>(t) < vocabulary_.size()
                                      ? vocabulary_[static_cast<size_t>(t)]
                                      : "dimension " + std::to_string(t);
        terms->push_back({"term", label, c});
      }
    }
    return s;
  }

  ContentModelOptions opt_;
  std::shared_ptr<math::ContentIndex> index_;
  std::vector<std::string> vocabulary_;
  math::NeighborLists neighbors_;
};

}  // namespace

// update: the model's TF-IDF settings (or its embeddings file) and profile
// weighting; the item metadata files themselves come with `update`.
std::vector<std::string> content_train_flags(const io::Attributes& a, const io::ModelReader& in) {
  std::vector<std::string> flags;
  if (attr_string(a, "profile", in) == "confidence") flags.push_back("--implicit-profile");
  if (a.count("item_embeddings")) {
    flags.insert(flags.end(), {"--item-embeddings", attr_string(a, "item_embeddings", in)});
    return flags;
  }
  flags.insert(flags.end(), {"--ngram", std::to_string(attr_int(a, "ngram", in)), "--min-df",
                             attr_string(a, "min_df", in), "--max-df", attr_string(a, "max_df", in)});
  if (a.count("stop_words") && attr_int(a, "stop_words", in)) flags.push_back("--stop-words");
  if (a.count("sublinear_tf") && attr_int(a, "sublinear_tf", in)) flags.push_back("--sublinear-tf");
  return flags;
}

std::unique_ptr<Model> make_content(const TrainOptions& o) { return std::make_unique<ContentModel>(o); }
std::unique_ptr<Model> blank_content() { return std::make_unique<ContentModel>(); }

}  // namespace hpcrec::app
