// hpcrec recommend: one user's top-N from a saved model.
#include <cstdio>
#include <iostream>

#include "app/commands.hpp"
#include "app/options.hpp"
#include "io/model_file.hpp"
#include "mpi/failure.hpp"
#include "src/topn.hpp"

namespace hpcrec::app {

using math::Index;

int run_recommend(const Args& args, const dist::Communicator& comm) {
  std::string model_path, user;
  int top_n = 10;
  po::options_description desc("Recommend options");
  desc.add_options()("model", po::value(&model_path)->required(),
                     "model file written by hpcrec train --model")(
      "user", po::value(&user)->required(), "original user id")("top-n", po::value(&top_n)->default_value(10),
                                                                "number of recommendations");
  bool go = true;
  dist::collective_phase(comm, [&] {
    po::variables_map vm;
    go = parse_options("recommend", "One user's top-N from a saved model (items rated in training excluded).",
                       desc, args, vm, comm.rank() == 0);
    if (go) require_positive(vm, "top-n");
  });
  if (!go) return kExitOk;
  // One process does the work; a model fits in memory where it was trained.
  dist::collective_phase(comm, [&] {
    if (comm.rank() != 0) return;
    io::Model m = io::read_model(model_path);
    auto u = m.user_ids.find_text(user);
    if (!u) throw InputError(model_path + ": user '" + user + "' is not in the model");
    math::Matrix x = m.user_factors.row(*u);
    math::Vector offset = math::Vector::Constant(1, m.global_mean() + m.user_bias[*u]);
    std::span<const math::Index> seen(m.train_items.data() + m.train_indptr[*u],
                                      static_cast<size_t>(m.train_indptr[*u + 1] - m.train_indptr[*u]));
    std::vector<math::TopNHeap> heap(1, math::TopNHeap(top_n));
    if (m.knn_k > 0) {
      // KNN models score with the stored neighbour lists (as train's top-N does).
      const Index items = m.item_ids.size();
      std::vector<double> score(static_cast<size_t>(items), 0.0);
      std::vector<char> rated(static_cast<size_t>(items), 0), scored(static_cast<size_t>(items), 0);
      for (Index i : seen) rated[i] = 1;
      auto neighbors = [&](Index row, auto&& visit) {
        for (int j = 0; j < m.knn_k; ++j) {
          const size_t at = static_cast<size_t>(row) * m.knn_k + j;
          if (m.knn_index[at] >= 0) visit(m.knn_index[at], m.knn_similarity[at]);
        }
      };
      if (m.knn_side == "items") {
        // score(u, i) = sum of sim(i, j) over i's neighbours j that u rated.
        for (Index i = 0; i < items; ++i) {
          neighbors(i, [&](Index j, double sim) {
            if (rated[j]) {
              score[i] += sim;
              scored[i] = 1;
            }
          });
        }
      } else {
        // score(u, i) = sum of sim(u, v) over u's neighbours v that rated i.
        neighbors(*u, [&](Index v, double sim) {
          for (auto e = m.train_indptr[v]; e < m.train_indptr[v + 1]; ++e) {
            score[m.train_items[e]] += sim;
            scored[m.train_items[e]] = 1;
          }
        });
      }
      for (Index i = 0; i < items; ++i)
        if (scored[i] && !rated[i]) heap[0].push(i, score[i]);
    } else {
      math::score_block_into(x, offset, m.item_factors, m.item_bias, 0, {seen}, heap, 1);
    }
    std::printf("rank,item,score\n");
    int rank = 0;
    for (const auto& s : heap[0].sorted())
      std::printf("%d,%s,%.6g\n", ++rank, m.item_ids.name(s.item).c_str(), s.score);
  });
  return kExitOk;
}

}  // namespace hpcrec::app
