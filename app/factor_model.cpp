#include "app/factor_model.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "app/progress.hpp"
#include "mpi/distribute.hpp"
#include "mpi/routing.hpp"
#include "mpi/topn_driver.hpp"
#include "src/errors.hpp"
#include "src/metrics.hpp"

namespace hpcrec::app {

using math::Index;

TopLists FactorModel::recommend(const dist::Communicator& comm, const TrainingData& data,
                                const UserBatch& batch, int n, const ItemFilter& filter) const {
  dist::TopNInput in;
  math::Matrix picked;
  Folded folded;
  if (batch.histories) {
    folded = fold_in(comm, data, *batch.histories);
    in.user_factors = &folded.factors;
    in.user_offset = (folded.bias.array() + mu_).matrix();
  } else if (batch.all) {
    in.user_factors = &user_factors_;
    in.user_offset = (user_bias_.array() + mu_).matrix();
  } else {
    const auto rows = static_cast<Eigen::Index>(batch.rows.size());
    picked.resize(rows, user_factors_.cols());
    in.user_offset.resize(rows);
    for (Eigen::Index j = 0; j < rows; ++j) {
      picked.row(j) = user_factors_.row(batch.rows[j]);
      in.user_offset[j] = user_bias_[batch.rows[j]] + mu_;
    }
    in.user_factors = &picked;
  }
  in.exclusions = batch_exclusions(data, batch, filter);
  in.blocked = filter.blocked;
  in.item_factors = &item_factors_;
  in.item_bias = &item_bias_;
  in.first_item = first_item_;
  math::Vector prior;
  if (rank_by_support_) {
    if (data.by_item.rows() != item_factors_.rows())
      throw std::logic_error("FactorModel::recommend: support ranking needs this rank's item ratings");
    prior = math::log_support_prior(data.by_item);
    const math::SupportRanking ranking = support_ranking(prior);
    in.item_log_prior = &prior;
    in.like_threshold = ranking.threshold;
    in.like_inv_sigma = ranking.inv_sigma;
  }
  in.n = n;
  in.threads = threads_;
  Progress progress(comm, "top-" + std::to_string(n) + " lists", "");
  in.progress = progress.callback();
  return dist::top_n_ring(comm, in);
}

math::SupportRanking FactorModel::support_ranking(const math::Vector& prior) const {
  // A perfect fit (sigma 0) would make (r - t) / sigma NaN at r = t.
  return {&prior, std::isnan(like_threshold_) ? mu_ : like_threshold_, 1.0 / std::max(residual_sd_, 1e-9)};
}

std::vector<double> FactorModel::predict(const dist::Communicator& comm, const TrainingData& data,
                                         const std::vector<math::Rating>& pairs) const {
  // Each pair goes to its item's owner (else its user's, else stays), which
  // gathers the users' rows it needs through a routing plan and scores by
  // the test set's rules (mpi/als_driver.cpp ExplicitAls::evaluate), in the
  // same order of additions: mu + (b_i + (b_u + x_u . y_i)), clipped. The
  // same arithmetic at any rank count.
  const int k = static_cast<int>(user_factors_.cols());
  auto dest = [&](const math::Rating& r) {
    if (r.item >= 0) return data.items.owner(r.item);
    if (r.user >= 0) return data.users.owner(r.user);
    return comm.rank();
  };
  return dist::answer_at(comm, pairs, dest, [&](const std::vector<math::Rating>& here) {
    std::vector<Index> needed;
    for (const math::Rating& r : here)
      if (r.item >= 0 && r.user >= 0) needed.push_back(r.user);
    std::sort(needed.begin(), needed.end());
    needed.erase(std::unique(needed.begin(), needed.end()), needed.end());
    const dist::RoutingPlan plan = dist::RoutingPlan::build(comm, needed, data.users);
    const math::Matrix users = plan.exchange(comm, user_factors_, &user_bias_);
    std::vector<double> out;
    out.reserve(here.size());
    for (const math::Rating& r : here) {
      if (!rating_scale() && (r.user < 0 || r.item < 0)) {
        out.push_back(std::nan(""));
        continue;
      }
      double s = 0;
      if (r.item >= 0) {
        const Index i = r.item - first_item_;
        s = item_bias_[i];
        if (r.user >= 0) {
          const Index u = plan.local_column(r.user);
          s += users(u, k) + users.row(u).head(k).dot(item_factors_.row(i));
        }
      } else if (r.user >= 0) {
        s = user_bias_[r.user - first_user_];
      }
      out.push_back(rating_scale() ? math::clip(mu_ + s, clip_min_, clip_max_) : mu_ + s);
    }
    return out;
  });
}

Similar FactorModel::similar(const TrainingData& data, bool users, Index row, int n, int min_ratings) const {
  const math::Matrix& f = users ? user_factors_ : item_factors_;
  if (f.cols() == 0) throw InputError("this model has no factors or neighbours to compare");
  const math::CsrBlock& block = users ? data.by_user : data.by_item;
  if (f.rows() != block.rows() || block.first_row != 0)
    throw std::logic_error("FactorModel::similar: needs the whole side (a model loaded on one process)");
  // Normalise the rows, one product; rows with too few ratings are skipped
  // along with the query itself.
  const math::Vector norms = f.rowwise().norm();
  math::Matrix unit = f;
  for (Index r = 0; r < unit.rows(); ++r)
    if (norms[r] > 0) unit.row(r) /= norms[r];
  math::Matrix query = unit.row(row);
  std::vector<math::TopNHeap> heap(1, math::TopNHeap(n));
  std::vector<Index> skip;
  for (Index r = 0; r < f.rows(); ++r)
    if (r == row || block.row_nnz(r) < min_ratings) skip.push_back(r);
  math::score_block_into(query, math::Vector::Zero(1), unit, math::Vector::Zero(unit.rows()), 0,
                         {std::span<const Index>(skip)}, heap, threads_);
  Similar out;
  for (const auto& s : heap[0].sorted()) out.list.push_back({s.item, s.score, 0});
  return out;
}

void FactorModel::save(io::ModelWriter& out, const TrainingData& data, const std::string& group) const {
  // At the file's root the common /users and /items hold these rows.
  if (group.empty()) return;
  out.matrix_rows(group + "/users/factors", first_user_, data.user_ids.size(), user_factors_);
  out.vector_rows(group + "/users/bias", first_user_, data.user_ids.size(), user_bias_);
  out.matrix_rows(group + "/items/factors", first_item_, data.item_ids.size(), item_factors_);
  out.vector_rows(group + "/items/bias", first_item_, data.item_ids.size(), item_bias_);
}

void FactorModel::load(const io::ModelReader& in, const std::string& group, const TrainingData& data) {
  const io::Attributes a = in.attributes(group);
  load_options(a, in);
  math::Matrix uf, itf;
  math::Vector ub, ib;
  if (group.empty()) {
    const io::Model& m = in.common();
    uf = m.user_factors;
    itf = m.item_factors;
    ub = m.user_bias;
    ib = m.item_bias;
  } else {
    uf = in.matrix(group + "/users/factors");
    itf = in.matrix(group + "/items/factors");
    ub = in.vector(group + "/users/bias");
    ib = in.vector(group + "/items/bias");
    if (uf.rows() != data.user_ids.size() || itf.rows() != data.item_ids.size() ||
        ub.size() != data.user_ids.size() || ib.size() != data.item_ids.size() || uf.cols() != itf.cols())
      in.fail(group + ": factor and bias shapes do not match the id maps");
  }
  first_user_ = data.by_user.first_row;
  first_item_ = data.by_item.first_row;
  const Index nu = data.by_user.rows(), ni = data.by_item.rows();
  user_factors_ = uf.middleRows(first_user_, nu);
  item_factors_ = itf.middleRows(first_item_, ni);
  user_bias_ = ub.segment(first_user_, nu);
  item_bias_ = ib.segment(first_item_, ni);
}

FactorModel::Folded FactorModel::fold_in(const dist::Communicator&, const TrainingData&,
                                         const math::CsrBlock& histories) const {
  return {math::Matrix::Zero(histories.rows(), user_factors_.cols()), math::Vector::Zero(histories.rows())};
}

void FactorModel::no_factors(const TrainingData& data) {
  first_user_ = data.by_user.first_row;
  first_item_ = data.by_item.first_row;
  user_factors_.resize(data.by_user.rows(), 0);
  item_factors_.resize(data.by_item.rows(), 0);
  user_bias_ = math::Vector::Zero(data.by_user.rows());
  item_bias_ = math::Vector::Zero(data.by_item.rows());
}

}  // namespace hpcrec::app
