// hpcrec predict: a score for each (user, item) pair of a file, from a saved
// model: als and knn the rating (clipped to the training range; an unknown
// user or item falls back to the known biases, as train's test RMSE does),
// the others their ranking score (empty where the model has none). With a
// third column (a ratings file such as a test split), also the RMSE and MAE
// of the predictions against it.
//
// One process does the work (rank 0; a model fits in memory where it was
// trained); other ranks of an mpirun wait.
#include <charconv>
#include <cmath>
#include <cstdio>

#include "app/commands.hpp"
#include "app/options.hpp"
#include "app/serving.hpp"
#include "app/serving_options.hpp"
#include "io/text_writer.hpp"
#include "mpi/failure.hpp"
#include "src/metrics.hpp"

namespace hpcrec::app {

int run_predict(const Args& args, const dist::Communicator& comm) {
  std::string model_path, pairs_path, out;
  po::options_description desc("Predict options");
  desc.add_options()("model", po::value(&model_path)->required(),
                     "model file written by hpcrec train --model")(
      "pairs", po::value(&pairs_path)->required(),
      "user,item[,rating[,timestamp]] lines (tab, comma, :: or space separated), e.g. a test split")(
      "out", po::value(&out), "write the CSV here instead of printing it");
  bool go = true;
  dist::collective_phase(comm, [&] {
    po::variables_map vm;
    go = parse_options("predict", "A score for each (user, item) pair from a saved model.", desc, args, vm,
                       comm.rank() == 0);
  });
  if (!go) return kExitOk;
  dist::collective_phase(comm, [&] {
    if (comm.rank() != 0) return;
    const auto self = dist::Communicator::self();
    const std::vector<UserRating> pairs = read_user_ratings(pairs_path);
    LoadedModel lm = load_model_file(self, model_path, 1);
    std::vector<math::Rating> dense;
    dense.reserve(pairs.size());
    for (const UserRating& p : pairs) {
      const auto u = lm.data.user_ids.find_text(p.user);
      const auto i = lm.data.item_ids.find_text(p.item);
      dense.push_back({u ? *u : -1, i ? *i : -1, static_cast<float>(p.rating)});
    }
    const std::vector<double> score = lm.model->predict(self, lm.data, dense);
    std::string text = "user,item,score\n";
    math::ErrorSums err;
    math::Index scored = 0;
    char buf[64];
    for (size_t j = 0; j < pairs.size(); ++j) {
      text += pairs[j].user + "," + pairs[j].item + ",";
      if (!std::isnan(score[j])) {
        const auto res = std::to_chars(buf, buf + sizeof buf, score[j], std::chars_format::general, 17);
        text.append(buf, res.ptr);
        ++scored;
        if (!std::isnan(pairs[j].rating)) err.add(score[j], static_cast<float>(pairs[j].rating));
      }
      text += '\n';
    }
    if (out.empty()) {
      std::fwrite(text.data(), 1, text.size(), stdout);
    } else {
      io::write_text_collectively(self, out, text);
    }
    std::fprintf(stderr, "predict: %s model, %zu pairs, %lld scored", lm.algorithm.c_str(), pairs.size(),
                 static_cast<long long>(scored));
    if (err.count)
      std::fprintf(stderr, "; rmse %.10g mae %.10g over %lld rated pairs", err.rmse(), err.mae(),
                   static_cast<long long>(err.count));
    std::fprintf(stderr, "\n");
  });
  return kExitOk;
}

}  // namespace hpcrec::app
