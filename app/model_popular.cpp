// popular: items by their number of training interactions, the same list
// for everyone (minus what they rated). A bias-only factor model with
// b_i = count, so it scores, saves and loads as one; it is also every
// model's answer for users it does not know (see app/serving.hpp).
#include "app/commands.hpp"
#include "app/factor_model.hpp"
#include "app/train_options.hpp"

namespace hpcrec::app {

namespace {

using math::Index;

class PopularModel : public FactorModel {
 public:
  PopularModel() = default;
  explicit PopularModel(const TrainOptions& o) : seed_(o.als.seed) { threads_ = o.als.threads; }
  std::string name() const override { return "popular"; }

  io::Attributes attributes() const override {
    return {{"algorithm", name()}, {"seed", static_cast<std::int64_t>(seed_)}, {"global_mean", 0.0}};
  }

  int fit(const dist::Communicator&, const FitContext& ctx, Metrics&) override {
    const TrainingData& data = *ctx.data;
    no_factors(data);
    for (Index r = 0; r < data.by_item.rows(); ++r)
      item_bias_[r] = static_cast<double>(data.by_item.row_nnz(r));
    return kExitOk;
  }

  Explanation explain(const dist::Communicator&, const TrainingData&, Index, Index item) const override {
    Explanation e;
    e.method = "popular: the item's number of training interactions";
    e.terms.push_back({"count", "training interactions", item_bias_[item - first_item_]});
    e.score = e.model = e.terms[0].value;
    return e;
  }

 protected:
  void load_options(const io::Attributes& a, const io::ModelReader& in) override {
    seed_ = static_cast<std::uint64_t>(attr_int(a, "seed", in));
  }

 private:
  std::uint64_t seed_ = 42;
};

}  // namespace

std::vector<std::string> popular_train_flags(const io::Attributes& a, const io::ModelReader& in) {
  return {"--seed", std::to_string(attr_int(a, "seed", in))};
}

std::unique_ptr<Model> make_popular(const TrainOptions& o) { return std::make_unique<PopularModel>(o); }
std::unique_ptr<Model> blank_popular() { return std::make_unique<PopularModel>(); }

}  // namespace hpcrec::app
