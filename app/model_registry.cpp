// The table of algorithms: the only place that knows them all. A new
// algorithm is a file with its Model type and a row here.
#include "app/model.hpp"

namespace hpcrec::app {

std::unique_ptr<Model> make_als(const TrainOptions&);
std::unique_ptr<Model> blank_als();
std::unique_ptr<Model> make_ials(const TrainOptions&);
std::unique_ptr<Model> blank_ials();
std::unique_ptr<Model> make_knn(const TrainOptions&);
std::unique_ptr<Model> blank_knn();
std::unique_ptr<Model> make_content(const TrainOptions&);
std::unique_ptr<Model> blank_content();
std::unique_ptr<Model> make_popular(const TrainOptions&);
std::unique_ptr<Model> blank_popular();
std::unique_ptr<Model> make_bpmf(const TrainOptions&);
std::unique_ptr<Model> blank_bpmf();
std::unique_ptr<Model> make_hybrid(const TrainOptions&);
std::vector<std::string> als_train_flags(const io::Attributes&, const io::ModelReader&);
std::vector<std::string> ials_train_flags(const io::Attributes&, const io::ModelReader&);
std::vector<std::string> knn_train_flags(const io::Attributes&, const io::ModelReader&);
std::vector<std::string> popular_train_flags(const io::Attributes&, const io::ModelReader&);
std::vector<std::string> content_train_flags(const io::Attributes&, const io::ModelReader&);
std::unique_ptr<Model> blank_hybrid();

const std::vector<ModelEntry>& model_table() {
  static const std::vector<ModelEntry> table{
      {"als", "explicit ALS with biases (ALS-WR)", make_als, blank_als, als_train_flags},
      {"ials", "implicit-feedback ALS (Hu-Koren-Volinsky)", make_ials, blank_ials, ials_train_flags},
      {"bpmf", "Bayesian MF by Gibbs sampling (Salakhutdinov-Mnih)", make_bpmf, blank_bpmf},
      {"knn", "item- or user-based neighbourhood CF", make_knn, blank_knn, knn_train_flags},
      {"content", "TF-IDF or embedding user profiles", make_content, blank_content, content_train_flags},
      {"popular", "items by training interactions (baseline)", make_popular, blank_popular,
       popular_train_flags},
      {"hybrid", "a blend of the above, with cold start", make_hybrid, blank_hybrid},
  };
  return table;
}

}  // namespace hpcrec::app
