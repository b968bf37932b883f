// The held-out ratings a run evaluates on, by kind, and the ranking metrics
// of a model's lists on each of them (printed and returned in report order).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "app/model.hpp"

namespace hpcrec::app {

struct TestSets {
  std::vector<math::Rating> warm;   // ratings of items seen in training (all without --cold-items)
  std::vector<math::Rating> cold;   // ratings of the held-out items (--cold-items)
  std::vector<math::Rating> light;  // warm ratings of users with < min_history training ratings
};

// Collective (with min_history > 0: an allreduce of per-user counts).
TestSets split_tests(const dist::Communicator& comm, const TrainingData& data, int min_history);

// Collective. Ranking metrics of `top` (this rank's users' lists of at least
// k) on every test set that has ratings; printed as `what` on rank 0.
Metrics evaluate_lists(const dist::Communicator& comm, const TrainingData& data, const TestSets& tests,
                       const TopLists& top, int k, double threshold, const std::string& what);

// Collective. Per global item: 1 if it has training interactions.
std::vector<char> items_with_interactions(const dist::Communicator& comm, const TrainingData& data);

}  // namespace hpcrec::app
