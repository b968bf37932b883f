// The part of the factor models trained by ALS-style sweeps (als, ials,
// bpmf) that is not the math: the iteration loop with its table row, JSON
// record, ranking metrics and checkpoints; warm starts for `update`; the
// touched-rows scope; fold-in. Templates over the drivers of mpi/ (anything
// with users(), items(), iterate(), iterations_done(), restore()).
#pragma once

#include <cmath>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "app/checkpointing.hpp"
#include "app/commands.hpp"
#include "app/factor_model.hpp"
#include "app/progress.hpp"
#include "app/train_options.hpp"
#include "app/train_report.hpp"
#include "mpi/als_driver.hpp"
#include "mpi/bpmf_driver.hpp"
#include "mpi/evaluation.hpp"
#include "mpi/exact_reduce.hpp"

namespace hpcrec::app {

namespace als_family {

using math::Index;

// The local rows [0, rows) of a block starting at global row `first` whose
// original ids are among `names`.
inline std::vector<Index> rows_named(Index first, Index rows, const math::IdMap& ids,
                                     const std::set<std::string>& names) {
  std::vector<Index> out;
  for (Index r = 0; r < rows; ++r)
    if (names.count(ids.name(first + r))) out.push_back(r);
  return out;
}

// A finished driver's blocks given back to the data: moved, not copied (a
// copy doubled the blocks at the end of training, the peak of the run), so
// the driver's sides are empty afterwards; call after take().
template <class Driver>
void restore_blocks(Driver& d, TrainingData& data) {
  data.by_user = d.users().release_global_ratings();
  data.by_item = d.items().release_global_ratings();
}

// Collective. The spread of the training ratings around their mean: the
// support ranking's sigma where the fit left no training RMSE (an upper
// bound on it). Exact sums: the same at any rank count.
inline double rating_sd(const dist::Communicator& comm, const TrainingData& data) {
  math::ExactSum sum;
  for (const float v : data.by_user.values) sum.add((v - data.global_mean) * (v - data.global_mean));
  const double n = static_cast<double>(data.train);
  return n > 0 ? std::sqrt(dist::exact_allreduce(comm, sum).value() / n) : 1.0;
}

// The ranking attributes of an als or bpmf model; files written before they existed
// rank by rating.
inline void load_ranking(const io::Attributes& a, const io::ModelReader& in, bool& by_support,
                         double& threshold, double& sd) {
  by_support = a.count("rank_by") && attr_string(a, "rank_by", in) == "support";
  threshold = a.count("like_threshold") ? attr_double(a, "like_threshold", in) : NAN;
  sd = a.count("residual_sd") ? attr_double(a, "residual_sd", in) : NAN;
  if (by_support && !(sd >= 0)) in.fail("rank_by support needs a residual_sd attribute >= 0");
}

// A rating model's final metrics: train RMSE, and test RMSE and MAE where
// there were test ratings.
inline void add_rating_metrics(const dist::IterationStats& last, Metrics& metrics) {
  metrics.emplace_back("train_rmse", last.train.rmse());
  if (last.test.count) {
    metrics.emplace_back("test_rmse", last.test.rmse());
    metrics.emplace_back("test_mae", last.test.mae());
  }
}

}  // namespace als_family

class AlsFamily : public FactorModel {
 protected:
  using Index = math::Index;

  // The driver's current rows, copied into the model (mid-training: the
  // ranking evaluation of --ranking-every).
  template <class Driver>
  void snapshot(const Driver& d) {
    user_factors_ = d.users().factors;
    user_bias_ = d.users().bias;
    item_factors_ = d.items().factors;
    item_bias_ = d.items().bias;
    first_user_ = d.users().first();
    first_item_ = d.items().first();
  }
  // bpmf: the mean over the kept samples (mpi/bpmf_driver.hpp).
  void snapshot(const dist::Bpmf& d) {
    dist::Bpmf::State s = d.averaged();
    user_factors_ = std::move(s.user_factors);
    user_bias_ = std::move(s.user_bias);
    item_factors_ = std::move(s.item_factors);
    item_bias_ = std::move(s.item_bias);
    first_user_ = d.users().first();
    first_item_ = d.items().first();
  }
  // The finished driver's rows, moved into the model: a copy would hold the
  // factors twice at the end of training (the driver is done after this).
  template <class Driver>
  void take(Driver& d) {
    user_factors_ = std::move(d.users().factors);
    user_bias_ = std::move(d.users().bias);
    item_factors_ = std::move(d.items().factors);
    item_bias_ = std::move(d.items().bias);
    first_user_ = d.users().first();
    first_item_ = d.items().first();
  }
  // Non-template, so that it is the overload chosen for a Bpmf.
  void take(dist::Bpmf& d) { snapshot(d); }

  // The iteration loop shared by als, ials and bpmf; `row` formats an iteration's
  // table row and JSON fields from its stats.
  template <class Driver, class Row>
  int iterate(const dist::Communicator& comm, const FitContext& ctx, Driver& driver,
              Checkpointing& checkpoints, int iterations, Row row) {
    const TrainingData& data = *ctx.data;
    const TrainOptions& run = *ctx.run;
    const bool root = comm.rank() == 0;
    checkpoints.resume(driver);
    Progress progress(comm, "training", "iterations");
    while (driver.iterations_done() < iterations) {
      const auto s = driver.iterate();
      progress.update(driver.iterations_done(), iterations);
      const auto [line, fields] = row(s);
      figures_.seconds += s.seconds;
      figures_.flops += s.flops;
      figures_.solve_seconds += s.solve_seconds;
      figures_.last_bytes = s.bytes_exchanged;
      ++figures_.iterations_run;
      Record record = ctx.label;
      record["iteration"] = s.iteration;
      record["seconds"] = s.seconds;
      record.update(fields);
      record["mb_exchanged"] = s.bytes_exchanged / 1e6;
      record["gflops"] = s.flops / s.solve_seconds / 1e9;
      if (run.ranking_every > 0 && data.test_count > 0 && s.iteration % run.ranking_every == 0) {
        snapshot(driver);
        TrainingData seen;
        seen.by_user = driver.users().global_ratings();
        seen.by_item = driver.items().global_ratings();
        auto r = dist::evaluate_ranking(comm, recommend(comm, seen, UserBatch{}, run.eval_k, ItemFilter{}),
                                        *ctx.ranking_test, data.users, data.item_ids.size(), run.eval_k,
                                        run.relevance_threshold);
        add_ranking_fields(record, r);
        if (root) std::printf("%s   ndcg@%d %.4f\n", line.c_str(), r.k, r.mean.ndcg);
      } else if (root) {
        std::printf("%s\n", line.c_str());
      }
      if (root) std::fflush(stdout);
      ctx.report->json(record);
      if (checkpoints.stop_after_iteration(driver)) return kExitPreempted;
    }
    return kExitOk;
  }

  // `update`: the rows of known users and items from the previous model
  // (by original id), the others as the seed made them; iteration 0.
  template <class Driver>
  void warm_start(const FitContext& ctx, Driver& driver) const {
    if (!ctx.warm) return;
    const io::Model& w = *ctx.warm->model;
    const TrainingData& data = *ctx.data;
    auto rows = [&](const dist::AlsSide& side, const math::IdMap& ids, const math::IdMap& old_ids,
                    const math::Matrix& old_f, const math::Vector& old_b, math::Matrix& f, math::Vector& b) {
      f = side.factors;
      b = side.bias;
      if (old_f.cols() != f.cols()) return;
      for (Index r = 0; r < side.rows(); ++r) {
        if (const auto old = old_ids.find_text(ids.name(side.first() + r))) {
          f.row(r) = old_f.row(*old);
          b[r] = old_b[*old];
        }
      }
    };
    math::Matrix uf, itf;
    math::Vector ub, ib;
    rows(driver.users(), data.user_ids, w.user_ids, w.user_factors, w.user_bias, uf, ub);
    rows(driver.items(), data.item_ids, w.item_ids, w.item_factors, w.item_bias, itf, ib);
    driver.restore(0, std::move(uf), std::move(ub), std::move(itf), std::move(ib));
  }

  // update --scope touched: the sweeps solve only the rows of the users and
  // items the new interactions name, against all of the other side.
  template <class Driver>
  void limit_to_touched(const dist::Communicator& comm, const FitContext& ctx, Driver& driver) const {
    if (!ctx.warm || !ctx.warm->touched_users) return;
    const TrainingData& data = *ctx.data;
    std::vector<Index> users = als_family::rows_named(driver.users().first(), driver.users().rows(),
                                                      data.user_ids, *ctx.warm->touched_users);
    std::vector<Index> items = als_family::rows_named(driver.items().first(), driver.items().rows(),
                                                      data.item_ids, *ctx.warm->touched_items);
    const Index counts[2] = {comm.allreduce<Index>(static_cast<Index>(users.size()), MPI_SUM),
                             comm.allreduce<Index>(static_cast<Index>(items.size()), MPI_SUM)};
    if (comm.rank() == 0)
      std::printf("scope touched: %d of %d users and %d of %d items solved per sweep\n", counts[0],
                  data.user_ids.size(), counts[1], data.item_ids.size());
    driver.solve_only(std::move(users), std::move(items));
  }

  // fold-in: no sweeps; the listed users solved against the warm items.
  template <class Driver>
  int fold_only(const dist::Communicator& comm, const FitContext& ctx, Driver& driver) {
    TrainingData& data = *ctx.data;
    take(driver);
    als_family::restore_blocks(driver, data);
    mu_ = ctx.warm->model->global_mean();  // the previous biases are relative to it
    const std::set<std::string>& fold = *ctx.warm->fold_users;
    UserBatch batch;
    batch.all = false;
    batch.rows = als_family::rows_named(data.by_user.first_row, data.by_user.rows(), data.user_ids, fold);
    const math::CsrBlock histories = batch_rows(data.by_user, batch);
    const Folded folded = fold_in(comm, data, histories);
    for (size_t j = 0; j < batch.rows.size(); ++j) {
      user_factors_.row(batch.rows[j]) = folded.factors.row(static_cast<Index>(j));
      user_bias_[batch.rows[j]] = folded.bias[static_cast<Index>(j)];
    }
    const Index n = comm.allreduce<Index>(static_cast<Index>(batch.rows.size()), MPI_SUM);
    if (comm.rank() == 0) std::printf("fold-in: %d users solved against the model's items\n", n);
    return kExitOk;
  }

  Checkpointing checkpointing(const dist::Communicator& comm, const FitContext& ctx) const {
    const TrainingData& data = *ctx.data;
    CheckpointOptions copt = ctx.checkpoints ? ctx.run->checkpoint : CheckpointOptions{};
    return Checkpointing(comm, copt, hyper(), data.user_ids, data.item_ids, data.train, data.global_mean);
  }

  // A rating model's scale and top-N order (als, bpmf) as model attributes,
  // and back.
  void add_rating_attributes(io::Attributes& a) const {
    a["global_mean"] = mu_;
    a["rating_min"] = clip_min_;
    a["rating_max"] = clip_max_;
    a["rank_by"] = std::string(rank_by_support_ ? "support" : "rating");
    if (!std::isnan(like_threshold_)) a["like_threshold"] = like_threshold_;
    if (!std::isnan(residual_sd_)) a["residual_sd"] = residual_sd_;
  }
  void load_rating_attributes(const io::Attributes& a, const io::ModelReader& in) {
    mu_ = attr_double(a, "global_mean", in);
    clip_min_ = attr_double(a, "rating_min", in);
    clip_max_ = attr_double(a, "rating_max", in);
    als_family::load_ranking(a, in, rank_by_support_, like_threshold_, residual_sd_);
  }

  // The hyper-parameters a checkpoint must match.
  virtual io::Attributes hyper() const = 0;
};

}  // namespace hpcrec::app
