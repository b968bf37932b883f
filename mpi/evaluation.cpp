#include "mpi/evaluation.hpp"

#include <algorithm>

#include "mpi/distribute.hpp"

namespace hpcrec::dist {

RankingReport evaluate_ranking(const Communicator& comm,
                               const std::vector<std::vector<math::ScoredItem>>& top,
                               const std::vector<Rating>& test, const BlockPartition& users, Index items,
                               int k, double threshold) {
  std::vector<Rating> relevant;
  for (const Rating& r : test)
    if (r.user >= 0 && r.value >= threshold) relevant.push_back(r);
  relevant = shuffle_ratings(comm, relevant, users, /*by_item=*/false);
  std::sort(relevant.begin(), relevant.end(), [](const Rating& a, const Rating& b) {
    return a.user < b.user || (a.user == b.user && a.item < b.item);
  });

  const Index first = users.first(comm.rank());
  math::RankingAccumulator acc;
  std::vector<Index> rec, rel;
  for (size_t lo = 0; lo < relevant.size();) {
    size_t hi = lo;
    const Index u = relevant[lo].user;
    rel.clear();
    // Items unknown to training are relevant but can never be recommended:
    // distinct negative ids keep them in |T| without ever matching.
    Index unknown = -2;
    for (; hi < relevant.size() && relevant[hi].user == u; ++hi)
      rel.push_back(relevant[hi].item >= 0 ? relevant[hi].item : unknown--);
    std::sort(rel.begin(), rel.end());
    rel.erase(std::unique(rel.begin(), rel.end()), rel.end());
    rec.clear();
    for (const auto& s : top[u - first]) {
      if (static_cast<int>(rec.size()) == k) break;
      rec.push_back(s.item);
    }
    acc.add_user(rec, rel, k);
    lo = hi;
  }
  auto sums = acc.to_array();
  comm.allreduce_inplace<double>(sums, MPI_SUM);

  std::vector<std::uint8_t> seen(static_cast<size_t>(items), 0);
  for (const auto& list : top) {
    for (size_t j = 0; j < list.size() && static_cast<int>(j) < k; ++j) seen[list[j].item] = 1;
  }
  HPCREC_MPI(MPI_Allreduce(MPI_IN_PLACE, seen.data(), static_cast<int>(seen.size()), MPI_UINT8_T, MPI_MAX,
                           comm.raw()));

  RankingReport report;
  report.k = k;
  const auto all = math::RankingAccumulator::from_array(sums);
  report.mean = all.mean();
  report.users = all.users();
  report.coverage = items ? static_cast<double>(math::count_marked(seen)) / items : 0.0;
  return report;
}

}  // namespace hpcrec::dist
