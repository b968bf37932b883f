// hpcrec info: what a ratings file holds and how it would be partitioned.
#include <cstdio>
#include <map>

#include "app/commands.hpp"
#include "app/options.hpp"
#include "app/reader_options.hpp"
#include "app/training_data.hpp"
#include "mpi/failure.hpp"

namespace hpcrec::app {

int run_info(const Args& args, const dist::Communicator& comm) {
  DataOptions d;
  ReaderCli reader;
  po::options_description desc("Info options");
  desc.add_options()("ratings", po::value(&d.ratings)->required(), "ratings file")(
      "factors", po::value(&d.factors)->default_value(64), "k, for the work-balanced partition");
  add_reader_options(desc, reader);
  bool go = true;
  dist::collective_phase(comm, [&] {
    po::variables_map vm;
    go = parse_options("info", "Statistics of a ratings file and its partition over the ranks.", desc, args,
                       vm, comm.rank() == 0);
    if (!go) return;
    require_positive(vm, "factors");
    d.reader = make_reader_options(reader);
  });
  if (!go) return kExitOk;
  TrainingData data = load_training_data(comm, d);

  // Histogram of rating values (exact values, as few as a rating scale has).
  std::map<float, math::Offset> hist;
  for (float v : data.by_user.values) ++hist[v];
  std::vector<float> keys;
  std::vector<math::Offset> counts;
  for (auto& [v, c] : hist) {
    keys.push_back(v);
    counts.push_back(c);
  }
  auto all_keys = comm.allgatherv<float>(keys);
  auto all_counts = comm.allgatherv<math::Offset>(counts);
  std::map<float, math::Offset> global;
  for (size_t k = 0; k < all_keys.size(); ++k) global[all_keys[k]] += all_counts[k];

  const math::Offset my_user_nnz = data.by_user.nnz(), my_item_nnz = data.by_item.nnz();
  auto user_nnz = comm.allgather<math::Offset>(my_user_nnz);
  auto item_nnz = comm.allgather<math::Offset>(my_item_nnz);
  if (comm.rank() == 0) {
    const double m = data.user_ids.size(), n = data.item_ids.size();
    std::printf("file:      %s (%.1f MB, %lld lines)\n", d.ratings.c_str(), data.bytes_read / 1e6,
                static_cast<long long>(data.lines));
    std::printf("users:     %d (%s ids)\nitems:     %d (%s ids)\n", data.user_ids.size(),
                data.user_ids.is_string ? "string" : "integer", data.item_ids.size(),
                data.item_ids.is_string ? "string" : "integer");
    std::printf("ratings:   %lld (%lld duplicates resolved, %lld invalid lines skipped)\n",
                static_cast<long long>(data.train), static_cast<long long>(data.duplicates),
                static_cast<long long>(data.skipped));
    std::printf("density:   %.4f%%\nmean:      %.4f\n", 100.0 * data.train / (m * n), data.global_mean);
    std::printf("histogram:\n");
    for (auto& [v, c] : global)
      std::printf("  %8g %12lld  %5.1f%%\n", v, static_cast<long long>(c), 100.0 * c / data.train);
    std::printf("partition over %d rank(s) (k = %d):\n  %4s %10s %12s %10s %12s\n", comm.size(), d.factors,
                "rank", "users", "user_nnz", "items", "item_nnz");
    for (int r = 0; r < comm.size(); ++r)
      std::printf("  %4d %10d %12lld %10d %12lld\n", r, data.users.count(r),
                  static_cast<long long>(user_nnz[r]), data.items.count(r),
                  static_cast<long long>(item_nnz[r]));
  }
  return kExitOk;
}

}  // namespace hpcrec::app
