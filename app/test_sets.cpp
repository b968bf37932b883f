#include "app/test_sets.hpp"

#include "app/train_report.hpp"
#include "mpi/evaluation.hpp"

namespace hpcrec::app {

using math::Index;
using math::Offset;

TestSets split_tests(const dist::Communicator& comm, const TrainingData& data, int min_history) {
  TestSets t;
  for (const auto& r : data.test) {
    if (!data.cold_item.empty() && r.item >= 0 && data.cold_item[r.item])
      t.cold.push_back(r);
    else
      t.warm.push_back(r);
  }
  if (min_history > 0) {
    // Training ratings per user, everywhere (an n_users array; see the note in README).
    std::vector<int> history(static_cast<size_t>(data.user_ids.size()), 0);
    for (Index r = 0; r < data.by_user.rows(); ++r)
      history[data.by_user.first_row + r] = static_cast<int>(data.by_user.row_nnz(r));
    comm.allreduce_inplace<int>(history, MPI_SUM);
    for (const auto& r : t.warm)
      if (r.user >= 0 && history[r.user] < min_history) t.light.push_back(r);
  }
  return t;
}

Metrics evaluate_lists(const dist::Communicator& comm, const TrainingData& data, const TestSets& tests,
                       const TopLists& top, int k, double threshold, const std::string& what) {
  Metrics out;
  auto one = [&](const std::vector<math::Rating>& test, const std::string& prefix, const std::string& label) {
    const Offset n = comm.allreduce<Offset>(static_cast<Offset>(test.size()), MPI_SUM);
    if (n == 0) return;
    auto r = dist::evaluate_ranking(comm, top, test, data.users, data.item_ids.size(), k, threshold);
    print_ranking(comm, label, r);
    for (auto& kv : ranking_metrics(r, prefix)) out.push_back(kv);
    if (!prefix.empty()) out.emplace_back(prefix + "users", static_cast<double>(r.users));
  };
  one(tests.warm, "", what);
  one(tests.cold, "cold_", what + " cold items");
  one(tests.light, "light_", what + " light users");
  return out;
}

std::vector<char> items_with_interactions(const dist::Communicator& comm, const TrainingData& data) {
  std::vector<int> has(static_cast<size_t>(data.item_ids.size()), 0);
  for (Index r = 0; r < data.by_item.rows(); ++r)
    has[data.by_item.first_row + r] = data.by_item.row_nnz(r) > 0;
  comm.allreduce_inplace<int>(has, MPI_MAX);
  return std::vector<char>(has.begin(), has.end());
}

}  // namespace hpcrec::app
