// The shared half of every model that scores by factors and biases:
//
//   score(u, i) = mu + b_u + b_i + x_u . y_i
//
// als (all four terms), ials (x_u . y_i only), popular (b_i = the item's
// training interactions, no factors) and the KNN baseline (mu + b_u + b_i,
// what the model file's biases hold). A rank holds the factor rows of its
// user block and of its item block; top-N passes the item blocks around the
// ring of ranks (mpi/topn_driver.hpp).
#pragma once

#include <string>

#include "app/model.hpp"
#include "src/support_ranking.hpp"

namespace hpcrec::app {

class FactorModel : public Model {
 public:
  TopLists recommend(const dist::Communicator& comm, const TrainingData& data, const UserBatch& batch, int n,
                     const ItemFilter& filter) const override;
  std::vector<double> predict(const dist::Communicator& comm, const TrainingData& data,
                              const std::vector<math::Rating>& pairs) const override;
  // Cosine of the factor vectors (rows with fewer than min_ratings training ratings skipped).
  Similar similar(const TrainingData& data, bool users, math::Index row, int n,
                  int min_ratings) const override;
  void save(io::ModelWriter& out, const TrainingData& data, const std::string& group) const override;
  void load(const io::ModelReader& in, const std::string& group, const TrainingData& data) override;
  std::optional<FactorRows> factor_rows() const override {
    return FactorRows{&user_factors_, &user_bias_, &item_factors_, &item_bias_};
  }

  // The vectors of users given by their histories (global item ids
  // ascending, values), solved against this model's item side as a user
  // half-step of training would (the model's hyper-parameters, exact
  // solve); zero-width for models without factors. Collective.
  struct Folded {
    math::Matrix factors;
    math::Vector bias;
  };
  virtual Folded fold_in(const dist::Communicator& comm, const TrainingData& data,
                         const math::CsrBlock& histories) const;

 protected:
  // Explicit ratings: predictions clipped to [clip_min_, clip_max_], and
  // unknown ids fall back to the known biases (mu + b_i, mu + b_u, mu).
  // Others: a pair with an unknown id has no score (NaN).
  virtual bool rating_scale() const { return false; }
  // The model's own options, from the group's attributes.
  virtual void load_options(const io::Attributes& attributes, const io::ModelReader& in) = 0;
  // Zero factors and biases for this rank's rows (models without factors).
  void no_factors(const TrainingData& data);

  math::Matrix user_factors_, item_factors_;  // this rank's rows x k
  math::Vector user_bias_, item_bias_;        // this rank's rows
  math::Index first_user_ = 0, first_item_ = 0;
  double mu_ = 0;
  double clip_min_ = -HUGE_VAL, clip_max_ = HUGE_VAL;
  // Explicit ratings: top-N by the support-aware score (src/support_ranking.hpp)
  // with threshold like_threshold_ (NaN: mu_) and sigma residual_sd_.
  bool rank_by_support_ = false;
  double like_threshold_ = NAN, residual_sd_ = NAN;
  // The support ranking over items whose log(1 + n_i) are `prior`.
  math::SupportRanking support_ranking(const math::Vector& prior) const;
};

}  // namespace hpcrec::app
