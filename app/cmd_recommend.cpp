// hpcrec recommend: top-N lists from a saved model for one user, a list of
// users, or every user; filters, titles, and the popularity list for users
// the model does not know. Under mpirun the model's users and items are
// spread over the ranks as in training and scored in parallel.
#include <algorithm>
#include <cstdio>
#include <iostream>

#include "app/commands.hpp"
#include "app/item_titles.hpp"
#include "app/options.hpp"
#include "app/serving.hpp"
#include "app/serving_options.hpp"
#include "app/train_report.hpp"
#include "io/topn_writer.hpp"
#include "mpi/failure.hpp"
#include "src/dense_reference.hpp"

namespace hpcrec::app {

namespace {

using math::Index;

// One row of a list gathered to rank 0: request j's r-th item.
struct Row {
  std::int64_t request;
  std::int32_t rank;
  std::int32_t popular;
  Index item;
  double score;
};

void add_rows(std::vector<Row>& rows, std::int64_t request, const std::vector<math::ScoredItem>& list,
              int popular) {
  for (size_t r = 0; r < list.size(); ++r)
    rows.push_back({request, static_cast<std::int32_t>(r), popular, list[r].item, list[r].score});
  if (list.empty()) rows.push_back({request, -1, popular, -1, 0.0});  // the user, with an empty list
}

// Collective. Every rank's rows to rank 0, which writes one list per
// request (named `names`), in request order.
void emit_requests(const dist::Communicator& comm, const std::vector<Row>& rows,
                   const std::vector<std::string>& names, int top_n, const std::vector<std::string>& titles,
                   const math::IdMap& items, const std::string& out) {
  std::vector<Row> gathered = comm.allgatherv<Row>(rows);
  dist::collective_phase(comm, [&] {
    if (comm.rank() != 0) return;
    std::sort(gathered.begin(), gathered.end(), [](const Row& a, const Row& b) {
      return std::tie(a.request, a.rank) < std::tie(b.request, b.rank);
    });
    math::IdMap users;
    users.is_string = true;
    users.strings = names;
    io::TopNSlice slice;
    slice.users = static_cast<Index>(names.size());
    slice.n = top_n;
    slice.items.assign(names.size() * static_cast<size_t>(top_n), -1);
    slice.scores.assign(slice.items.size(), std::nan(""));
    slice.popular.assign(names.size(), 0);
    if (!titles.empty()) slice.titles = &titles;
    for (const Row& r : gathered) {
      slice.popular[static_cast<size_t>(r.request)] = static_cast<char>(r.popular);
      if (r.rank < 0) continue;
      slice.items[static_cast<size_t>(r.request) * top_n + r.rank] = r.item;
      slice.scores[static_cast<size_t>(r.request) * top_n + r.rank] = r.score;
    }
    const bool any = std::find(slice.popular.begin(), slice.popular.end(), 1) != slice.popular.end();
    if (out.empty()) {
      const std::string text = io::format_topn_csv(slice, users, items, true, any);
      std::fwrite(text.data(), 1, text.size(), stdout);
    } else {
      io::write_topn(dist::Communicator::self(), out, slice, users, items);
    }
  });
}

// Prints `text` of every rank, in rank order, on rank 0's stdout.
void print_in_order(const dist::Communicator& comm, const std::string& text) {
  const std::vector<char> all = comm.allgatherv<char>(std::span<const char>(text.data(), text.size()));
  if (comm.rank() == 0) std::fwrite(all.data(), 1, all.size(), stdout);
}

}  // namespace

int run_recommend(const Args& args, const dist::Communicator& comm) {
  std::string model_path, user, users_file, user_ratings, out, titles_file, metrics_out, rank_by;
  bool all = false, bench_dense = false;
  int top_n = 10, threads = 1;
  FilterOptions fo;
  po::options_description desc("Recommend options");
  desc.add_options()("model", po::value(&model_path)->required(),
                     "model file written by hpcrec train --model")("user", po::value(&user),
                                                                   "one user's original id")(
      "users", po::value(&users_file), "a file of user ids, one a line")("all", po::bool_switch(&all),
                                                                         "every user of the model")(
      "user-ratings", po::value(&user_ratings),
      "fold-in: user,item[,rating] lines; each user (in the model or not) is solved against the model's "
      "items "
      "from these ratings alone and scored, the model unchanged")(
      "top-n", po::value(&top_n)->default_value(10), "number of recommendations")(
      "rank-by", po::value(&rank_by),
      "als models: support or rating, in place of the order the model was trained with (see train --help)")(
      "out", po::value(&out), "write here (.csv, or .h5 for HDF5) instead of printing CSV")(
      "item-titles", po::value(&titles_file),
      "titles to show (movies.csv, u.item, or id,title CSV; default: those stored in the model)")(
      "threads", po::value(&threads)->default_value(1), "OpenMP threads per rank for scoring")(
      "metrics-out", po::value(&metrics_out), "--all: timings as one JSON line here (for benchmarks)")(
      "bench-dense", po::bool_switch(&bench_dense),
      "--all: also time the in-process yardsticks (dense_gflops: Eigen; dense_gflops_f32, dense_gflops_f64: "
      "OpenBLAS GEMM; stream_gbs: triad; scoring_to_gemm_f32: scoring_gflops over ranks x threads x "
      "dense_gflops_f32) in --metrics-out");
  add_filter_options(desc, fo);
  bool go = true;
  Record settings;
  dist::collective_phase(comm, [&] {
    po::variables_map vm;
    go = parse_options("recommend",
                       "Top-N lists from a saved model (items rated in training excluded). Users the model "
                       "does not know, or without training interactions, get the most popular items "
                       "(source = popular).",
                       desc, args, vm, comm.rank() == 0);
    if (!go) return;
    settings = options_json(vm);
    require_positive(vm, "top-n");
    require_positive(vm, "threads");
    if (!user.empty() + !users_file.empty() + !user_ratings.empty() + all != 1)
      throw InputError("hpcrec recommend: give exactly one of --user, --users, --user-ratings and --all");
    if (!rank_by.empty() && rank_by != "support" && rank_by != "rating")
      throw InputError("--rank-by must be support or rating, got '" + rank_by + "'");
  });
  if (!go) return kExitOk;
  const double t0 = MPI_Wtime();
  LoadedModel lm = load_model_file(comm, model_path, threads);
  const TrainingData& data = lm.data;
  if (!rank_by.empty()) dist::collective_phase(comm, [&] { lm.model->set_rank_by(rank_by); });
  if (!titles_file.empty()) lm.titles = read_titles(comm, titles_file, data.item_ids);
  BuiltFilter bf;
  dist::collective_phase(comm, [&] { bf = build_filter(fo, data.item_ids); });
  if (bf.unknown && comm.rank() == 0)
    std::fprintf(stderr, "hpcrec recommend: %zu listed item ids are not in the model (ignored)\n",
                 bf.unknown);
  const ItemFilter filter = bf.get();

  if (all) {
    const Record run = run_record(comm, "recommend", lm.algorithm, threads, settings);
    const double load_seconds = comm.allreduce<double>(MPI_Wtime() - t0, MPI_MAX);
    const double t1 = MPI_Wtime();
    const ServedLists served = serve(comm, *lm.model, data, UserBatch{}, top_n, filter);
    const double score_seconds = comm.allreduce<double>(MPI_Wtime() - t1, MPI_MAX);
    const double t2 = MPI_Wtime();
    if (!out.empty()) {
      write_lists(comm, out, data, served, top_n, lm.titles, run);
    } else {
      const io::TopNSlice slice = topn_slice(comm, data, served, top_n, lm.titles);
      print_in_order(comm, io::format_topn_csv(slice, data.user_ids, data.item_ids, comm.rank() == 0,
                                               io::any_popular(comm, slice)));
    }
    const double write_seconds = comm.allreduce<double>(MPI_Wtime() - t2, MPI_MAX);
    std::fflush(stdout);  // the lists before the summary line on a shared terminal
    const double secs = comm.allreduce<double>(MPI_Wtime() - t0, MPI_MAX);
    const double users = data.user_ids.size();
    // A factor model scores every (user, item) pair: 2 k flops each.
    const double flops = 2.0 * users * data.item_ids.size() * lm.factors;
    if (comm.rank() == 0)
      std::fprintf(stderr,
                   "recommend: %s model, top %d for %.0f users on %d rank(s) in %.2f s (load %.2f s, scoring "
                   "%.2f s = %.0f users/s, write %.2f s)\n",
                   lm.algorithm.c_str(), top_n, users, comm.size(), secs, load_seconds, score_seconds,
                   users / score_seconds, write_seconds);
    if (!metrics_out.empty()) {
      const double scoring = lm.factors > 0 ? flops / score_seconds / 1e9 : NAN;
      Record fields = {{"users", users},
                       {"items", data.item_ids.size()},
                       {"factors", lm.factors},
                       {"top_n", top_n},
                       {"load_seconds", load_seconds},
                       {"score_seconds", score_seconds},
                       {"write_seconds", write_seconds},
                       {"users_per_second", users / score_seconds},
                       {"scoring_gflops", scoring},
                       {"dense_gflops", NAN}};
      if (bench_dense) {
        // Scoring against the float32 GEMM of every rank (each one thread).
        const double f32 = add_yardstick_fields(comm, fields);
        fields["scoring_to_gemm_f32"] = scoring / (comm.size() * threads * f32);
      }
      Report report(comm, metrics_out, false);
      report.set_context(run);
      report.json(fields);
    }
    return kExitOk;
  }

  // A list of users: each scored where it lives, gathered to rank 0 in request order.
  std::vector<std::string> requests, names;
  std::vector<Row> rows;
  if (!user_ratings.empty()) {
    // Fold-in: users given by ratings, each solved against the model's item
    // side on rank (request mod P), never changing the model.
    std::vector<UserRating> given;
    dist::collective_phase(comm, [&] { given = read_user_ratings(user_ratings); });
    math::CsrBlock histories;
    std::vector<std::int64_t> mine;
    size_t dropped = 0;
    group_histories(given, data.item_ids, comm.rank(), comm.size(), requests, histories, mine, dropped);
    if (dropped && comm.rank() == 0)
      std::fprintf(stderr, "hpcrec recommend: %zu ratings of items not in the model ignored\n", dropped);
    UserBatch batch;
    batch.histories = &histories;
    const ServedLists served = serve(comm, *lm.model, data, batch, top_n, filter);
    for (size_t j = 0; j < mine.size(); ++j) add_rows(rows, mine[j], served.lists[j], served.popular[j]);
    names = requests;
  } else {
    if (!user.empty()) {
      requests = {user};
    } else {
      dist::collective_phase(comm, [&] { requests = read_id_list(users_file); });
    }
    std::vector<Index> dense(requests.size(), -1);
    UserBatch batch;
    batch.all = false;
    const Index first = data.by_user.first_row, count = data.by_user.rows();
    bool unknown = false;
    for (size_t j = 0; j < requests.size(); ++j) {
      if (auto u = data.user_ids.find_text(requests[j])) dense[j] = *u;
      unknown |= dense[j] < 0;
      if (dense[j] >= first && dense[j] < first + count) batch.rows.push_back(dense[j] - first);
      names.push_back(dense[j] >= 0 ? data.user_ids.name(dense[j]) : requests[j]);
    }
    std::sort(batch.rows.begin(), batch.rows.end());
    batch.rows.erase(std::unique(batch.rows.begin(), batch.rows.end()), batch.rows.end());
    const ServedLists served = serve(comm, *lm.model, data, batch, top_n, filter);
    std::vector<math::ScoredItem> popular;
    if (unknown) popular = popularity_list(comm, data, top_n, filter);  // every rank knows `requests`
    for (size_t j = 0; j < requests.size(); ++j) {
      const bool mine = dense[j] >= first && dense[j] < first + count;
      if (mine) {
        const auto at =
            std::lower_bound(batch.rows.begin(), batch.rows.end(), dense[j] - first) - batch.rows.begin();
        add_rows(rows, static_cast<std::int64_t>(j), served.lists[static_cast<size_t>(at)],
                 served.popular[static_cast<size_t>(at)]);
      } else if (dense[j] < 0 && comm.rank() == 0) {
        add_rows(rows, static_cast<std::int64_t>(j), popular, 1);
      }
    }
  }
  emit_requests(comm, rows, names, top_n, lm.titles, data.item_ids, out);
  std::fflush(stdout);  // the lists before the summary line on a shared terminal
  const double secs = comm.allreduce<double>(MPI_Wtime() - t0, MPI_MAX);
  if (comm.rank() == 0)
    std::fprintf(stderr, "recommend: %s model, top %d for %zu user(s) on %d rank(s) in %.2f s\n",
                 lm.algorithm.c_str(), top_n, requests.size(), comm.size(), secs);
  return kExitOk;
}

}  // namespace hpcrec::app
