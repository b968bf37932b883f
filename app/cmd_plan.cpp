// hpcrec plan: a capacity plan for training on P ranks, computed on one
// process (app/capacity_plan.hpp; the model is written out in docs/SCALING.md).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <thread>

#include "app/capacity_plan.hpp"
#include "app/commands.hpp"
#include "app/options.hpp"
#include "app/reader_options.hpp"
#include "app/run_info.hpp"
#include "app/train_report.hpp"
#include "mpi/id_remap.hpp"
#include "src/synthetic.hpp"

namespace hpcrec::app {

namespace {

struct PlanCli {
  std::string ratings;
  Index users = 0, items = 0;
  std::uint64_t seed = 42;
  int ranks = 0;
  int factors = 64;
  std::string algo = "als";
  double sample = 1.0;
  int threads = 1;
  int cg_steps = 3;
  std::string solver = "cg";
  double gflops = 0;
  double network_gbps = 1.0;
  double overhead_mb = 0;
  double memory_per_rank_mb = 0;
  int ranks_per_node = 0;
  bool json = false;
  bool per_rank = false;
};

// Fixed per-process memory of a train run (MPI, libraries, stacks, the
// reader's buffer), from peak RSS of train runs on a tiny file here (see
// docs/SCALING.md): about 22 MB at 1 and 2 ranks, 25 MB at 3 and 4 (one
// node), taken as 22 MB + 0.9 MB per other rank on the same node.
constexpr double kOverheadMb = 22.0;
constexpr double kOverheadPerRankMb = 0.9;

// MemTotal, or a smaller cgroup v2 limit (Slurm --mem); 0 if unknown.
double node_memory_bytes() {
  double total = 0;
  if (FILE* f = std::fopen("/proc/meminfo", "r")) {
    char key[64];
    double kib = 0;
    while (std::fscanf(f, "%63s %lf kB", key, &kib) == 2) {
      if (std::string(key) == "MemTotal:") {
        total = kib * 1024.0;
        break;
      }
    }
    std::fclose(f);
  }
  double limit = 0;
  if (FILE* f = std::fopen("/sys/fs/cgroup/memory.max", "r")) {
    if (std::fscanf(f, "%lf", &limit) != 1) limit = 0;
    std::fclose(f);
  }
  if (limit > 0 && (total == 0 || limit < total)) total = limit;
  return total;
}

// A keep-or-drop decision per rating for --sample, from its ids' hash.
bool sampled(std::uint64_t a, std::uint64_t b, double fraction) {
  std::uint64_t x = a * 0x9E3779B97F4A7C15ULL ^ (b + 0x632BE59BD9B4E019ULL + (a << 6) + (a >> 2));
  x ^= x >> 31;
  x *= 0xBF58476D1CE4E5B9ULL;
  x ^= x >> 27;
  return static_cast<double>(x >> 11) * 0x1.0p-53 < fraction;
}

// The shape of a ratings file: read whole, remapped as training would.
PlanData data_of_file(const std::string& path, const io::ReaderOptions& reader, double sample, int ranks) {
  const io::FileLayout layout = io::detect_layout(path, reader);
  const double file_bytes = static_cast<double>(layout.size);
  io::ParsedRatings parsed = io::read_ratings_range(path, layout, 0, layout.size, reader);
  if (parsed.error) {
    throw InputError(path + ":" + std::to_string(parsed.error->line_in_range) + ": " + parsed.error->message);
  }
  if (parsed.ratings.empty()) throw InputError(path + ": no ratings");
  PlanData data;
  data.source = path;
  data.file_bytes = file_bytes;
  // (A map of string ids is costed for both sides when either has them.)
  data.string_ids = parsed.users.is_string || parsed.items.is_string;
  auto map_of = [](const math::IdColumn& c) {
    if (!c.is_string) return math::IdMap::from_ints(c.values);
    std::vector<char> used(c.dictionary.size(), 0);
    for (auto v : c.values) used[static_cast<size_t>(v)] = 1;
    std::vector<std::string> names;
    for (size_t d = 0; d < used.size(); ++d)
      if (used[d]) names.push_back(c.dictionary[d]);
    return math::IdMap::from_strings(std::move(names));
  };
  const math::IdMap user_ids = map_of(parsed.users), item_ids = map_of(parsed.items);
  if (data.string_ids) {
    double chars = 0;
    for (const auto& s : user_ids.strings) chars += static_cast<double>(s.size());
    for (const auto& s : item_ids.strings) chars += static_cast<double>(s.size());
    data.mean_id_chars = chars / std::max<double>(1.0, user_ids.size() + item_ids.size());
  }
  std::vector<Index> u = dist::to_dense(parsed.users, user_ids);
  std::vector<Index> i = dist::to_dense(parsed.items, item_ids);
  parsed = {};
  const Index m = user_ids.size(), n = item_ids.size();
  data.user_counts.assign(static_cast<size_t>(m), 0);
  data.item_counts.assign(static_cast<size_t>(n), 0);
  std::vector<std::pair<Index, Index>> pairs;
  pairs.reserve(u.size());
  for (size_t k = 0; k < u.size(); ++k) {
    if (sample < 1.0 && !sampled(static_cast<std::uint64_t>(u[k]), static_cast<std::uint64_t>(i[k]), sample))
      continue;
    ++data.user_counts[static_cast<size_t>(u[k])];
    ++data.item_counts[static_cast<size_t>(i[k])];
    pairs.emplace_back(u[k], i[k]);
  }
  data.lines = static_cast<Offset>(pairs.size());
  // What the ranks' byte ranges hold, in file order: the distinct ids of
  // each range, summed (the allgathered map before its repeats go).
  if (sample >= 1.0) {
    data.user_ids_read.assign(static_cast<size_t>(ranks), 0);
    data.item_ids_read.assign(static_cast<size_t>(ranks), 0);
    std::vector<int> seen_u(static_cast<size_t>(m), -1), seen_i(static_cast<size_t>(n), -1);
    double su = 0, si = 0;
    for (int r = 0; r < ranks; ++r) {
      const Offset lo = data.lines * r / ranks, hi = data.lines * (r + 1) / ranks;
      for (Offset k = lo; k < hi; ++k) {
        const auto& [a, b] = pairs[static_cast<size_t>(k)];
        if (seen_u[a] != r) seen_u[a] = r, ++su;
        if (seen_i[b] != r) seen_i[b] = r, ++si;
      }
    }
    data.user_ids_read[ranks - 1] = su;
    data.item_ids_read[ranks - 1] = si;
  }
  std::sort(pairs.begin(), pairs.end());
  pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
  data.ratings = static_cast<Offset>(pairs.size());
  data.user_nnz.assign(static_cast<size_t>(m), 0);
  data.item_nnz.assign(static_cast<size_t>(n), 0);
  for (const auto& [a, b] : pairs) {
    ++data.user_nnz[a];
    ++data.item_nnz[b];
  }
  if (sample < 1.0) {
    // Scaled up; the gathered rows then come from the expected-value model.
    auto scale = [&](std::vector<Offset>& v) {
      for (Offset& c : v) c = static_cast<Offset>(std::llround(static_cast<double>(c) / sample));
    };
    scale(data.user_counts);
    scale(data.item_counts);
    scale(data.user_nnz);
    scale(data.item_nnz);
    data.lines = static_cast<Offset>(std::llround(static_cast<double>(data.lines) / sample));
    data.ratings = static_cast<Offset>(std::llround(static_cast<double>(data.ratings) / sample));
    data.source += " (sample " + num(sample) + ", scaled up)";
  } else {
    data.pairs = std::move(pairs);
  }
  return data;
}

// The shape `hpcrec generate --users U --items I --ratings N --seed S` would
// write, without writing it: the generator's own per-user counts, and per
// item its expected count N p_i (capped at the users, the excess spread
// over the others in proportion).
PlanData data_of_shape(Index users, Index items, Offset ratings, std::uint64_t seed) {
  math::SyntheticConfig cfg;
  cfg.users = users;
  cfg.items = items;
  cfg.ratings = ratings;
  cfg.seed = seed;
  math::SyntheticGenerator gen(cfg);
  PlanData data;
  data.source = "generated shape: " + std::to_string(users) + " users x " + std::to_string(items) +
                " items, " + std::to_string(ratings) + " ratings (seed " + std::to_string(seed) + ")";
  data.user_nnz.resize(static_cast<size_t>(users));
  for (Index u = 0; u < users; ++u) data.user_nnz[static_cast<size_t>(u)] = gen.user_ratings(u);
  std::vector<double> expect(static_cast<size_t>(items));
  for (Index i = 0; i < items; ++i)
    expect[static_cast<size_t>(i)] = static_cast<double>(ratings) * gen.item_popularity(i);
  for (int round = 0; round < 20; ++round) {
    double excess = 0, free_mass = 0;
    for (double& e : expect) {
      if (e > users) {
        excess += e - users;
        e = users;
      } else if (e < users) {
        free_mass += e;
      }
    }
    if (excess < 0.5 || free_mass <= 0) break;
    for (double& e : expect)
      if (e < users) e *= 1 + excess / free_mass;
  }
  data.item_nnz.resize(static_cast<size_t>(items));
  for (size_t i = 0; i < expect.size(); ++i) data.item_nnz[i] = std::max<Offset>(1, std::llround(expect[i]));
  data.user_counts = data.user_nnz;
  data.item_counts = data.item_nnz;
  data.lines = data.ratings = ratings;
  // The file generate would write: "user<TAB>item<TAB>rating<TAB>timestamp".
  const double digits = std::log10(static_cast<double>(users)) + std::log10(static_cast<double>(items)) + 2;
  data.file_bytes = static_cast<double>(ratings) * (digits + 2 + 10 + 4);
  return data;
}

Record plan_json(const Plan& plan, const PlanData& data, double memory_limit) {
  const PlanSettings& s = plan.settings;
  Record out = Record::object();
  out["command"] = "plan";
  out["version"] = version();
  out["source"] = data.source;
  out["algorithm"] = s.implicit ? "ials" : "als";
  out["ranks"] = s.ranks;
  out["factors"] = s.factors;
  out["threads"] = s.threads;
  out["users"] = plan.users;
  out["items"] = plan.items;
  out["ratings"] = plan.ratings;
  out["gathered_rows"] = plan.exact ? "exact" : "expected";
  out["gflops_per_rank"] = s.gflops;
  out["network_gb_per_s"] = s.net_bytes_per_s / 1e9;
  out["mb_exchanged_per_iteration"] = plan.bytes_exchanged / 1e6;
  out["seconds_per_iteration"] = plan.seconds;
  out["peak_mb_max_rank"] = plan.peak_max / 1e6;
  out["peak_bytes_per_rating"] = plan.peak_sum / std::max<double>(1.0, static_cast<double>(plan.ratings));
  out["memory_per_rank_mb"] = memory_limit / 1e6;
  Record ranks = Record::array();
  for (const RankPlan& r : plan.ranks) {
    Record x = Record::object();
    x["rank"] = r.rank;
    x["users"] = r.users;
    x["items"] = r.items;
    x["user_ratings"] = r.user_ratings;
    x["item_ratings"] = r.item_ratings;
    x["gathered_items"] = r.gathered_items;
    x["gathered_users"] = r.gathered_users;
    x["mb_sent_per_iteration"] = r.bytes_sent / 1e6;
    x["mb_received_per_iteration"] = r.bytes_received / 1e6;
    x["seconds_per_iteration"] = r.seconds;
    x["peak_mb"] = r.peak_bytes / 1e6;
    x["peak_phase"] = r.peak_phase;
    Record terms = Record::object();
    for (const MemoryTerm& t : r.peak_terms) terms[t.name] = t.bytes / 1e6;
    x["peak_terms_mb"] = terms;
    x["over_memory"] = memory_limit > 0 && r.peak_bytes > memory_limit;
    ranks.push_back(x);
  }
  out["per_rank"] = ranks;
  return out;
}

void print_table(const Plan& plan, const PlanData& data, double memory_limit, bool per_rank,
                 int ranks_per_node, bool calibrated) {
  const PlanSettings& s = plan.settings;
  std::printf("hpcrec plan: %s on %d rank(s), k = %d, %d thread(s) per rank\n", s.implicit ? "ials" : "als",
              s.ranks, s.factors, s.threads);
  std::printf("data: %s\n  %d users x %d items, %lld training ratings (%lld read)\n", data.source.c_str(),
              plan.users, plan.items, static_cast<long long>(plan.ratings),
              static_cast<long long>(plan.lines));
  std::printf("  gathered rows %s; solver %.2f GFLOP/s per rank (%s); network %.2f GB/s per rank\n",
              plan.exact ? "counted exactly from the ratings" : "expected (independence model)", s.gflops,
              calibrated ? "measured here" : "--gflops", s.net_bytes_per_s / 1e9);
  std::printf("%5s %9s %9s %11s %11s %10s %10s %9s %9s %9s %9s  %s\n", "rank", "users", "items", "user_nnz",
              "item_nnz", "gath_items", "gath_users", "MB_sent", "MB_recv", "s/iter", "peak_MB",
              "peak phase");
  auto row = [&](const RankPlan& r) {
    std::printf("%5d %9d %9d %11lld %11lld %10.0f %10.0f %9.2f %9.2f %9.3f %9.1f  %s%s\n", r.rank, r.users,
                r.items, static_cast<long long>(r.user_ratings), static_cast<long long>(r.item_ratings),
                r.gathered_items, r.gathered_users, r.bytes_sent / 1e6, r.bytes_received / 1e6, r.seconds,
                r.peak_bytes / 1e6, r.peak_phase.c_str(),
                memory_limit > 0 && r.peak_bytes > memory_limit ? "  OVER" : "");
  };
  const size_t p = plan.ranks.size();
  if (per_rank || p <= 16) {
    for (const RankPlan& r : plan.ranks) row(r);
  } else {
    // The first ranks, then the largest by peak memory.
    for (size_t r = 0; r < 4; ++r) row(plan.ranks[r]);
    std::printf("  ... (%zu ranks; --per-rank prints all)\n", p - 4);
    const auto big =
        std::max_element(plan.ranks.begin(), plan.ranks.end(),
                         [](const RankPlan& a, const RankPlan& b) { return a.peak_bytes < b.peak_bytes; });
    row(*big);
  }
  const auto big =
      std::max_element(plan.ranks.begin(), plan.ranks.end(),
                       [](const RankPlan& a, const RankPlan& b) { return a.peak_bytes < b.peak_bytes; });
  std::printf("total: %.2f MB exchanged per iteration (both half-steps, all ranks); %.3f s per iteration\n",
              plan.bytes_exchanged / 1e6, plan.seconds);
  std::printf("peak memory: %.1f MB on the largest rank (%d, at %s), %.1f B per rating summed over ranks\n",
              plan.peak_max / 1e6, big->rank, big->peak_phase.c_str(),
              plan.peak_sum / std::max<double>(1.0, static_cast<double>(plan.ratings)));
  std::printf("  of which on rank %d:\n", big->rank);
  std::vector<MemoryTerm> terms = big->peak_terms;
  std::stable_sort(terms.begin(), terms.end(),
                   [](const MemoryTerm& a, const MemoryTerm& b) { return a.bytes > b.bytes; });
  for (const MemoryTerm& t : terms)
    if (t.bytes > 0)
      std::printf("    %10.1f MB %5.1f%%  %s\n", t.bytes / 1e6, 100.0 * t.bytes / big->peak_bytes,
                  t.name.c_str());
  if (memory_limit > 0) {
    int over = 0;
    for (const RankPlan& r : plan.ranks) over += r.peak_bytes > memory_limit;
    if (over > 0)
      std::printf(
          "warning: %d rank(s) would exceed the %.1f MB per rank (%d rank(s) per node); peak %.1f MB\n", over,
          memory_limit / 1e6, ranks_per_node, plan.peak_max / 1e6);
    else
      std::printf("memory per rank: %.1f MB available (%d rank(s) per node): fits\n", memory_limit / 1e6,
                  ranks_per_node);
  }
}

}  // namespace

int run_plan(const Args& args, const dist::Communicator& comm) {
  PlanCli c;
  ReaderCli reader;
  po::options_description desc("Plan options");
  desc.add_options()("ratings", po::value(&c.ratings)->required(),
                     "ratings file; or, with --users and --items, the number of ratings of a generated "
                     "dataset (as hpcrec generate)")("users", po::value(&c.users),
                                                     "generated shape: users (with --items and --ratings N)")(
      "items", po::value(&c.items), "generated shape: items")("seed", po::value(&c.seed)->default_value(42),
                                                              "generated shape: the generator's seed")(
      "ranks", po::value(&c.ranks)->required(), "P: the number of ranks to plan for")(
      "factors", po::value(&c.factors)->default_value(64), "latent factors k")(
      "algo", po::value(&c.algo)->default_value("als"), "als or ials")(
      "sample", po::value(&c.sample)->default_value(1.0),
      "plan from this fraction of the file's ratings (by a hash of the pair), scaled up; gathered rows then "
      "from the expected-value model")("threads", po::value(&c.threads)->default_value(1),
                                       "OpenMP threads per rank (train --threads)")(
      "cg-steps", po::value(&c.cg_steps)->default_value(3), "als, ials: CG steps per row")(
      "solver", po::value(&c.solver)->default_value("cg"), "als, ials: cg or cholesky (as train)")(
      "gflops", po::value(&c.gflops)->default_value(0.0),
      "row-solver GFLOP/s per rank; 0: measured here by a short run of the kernel")(
      "network-gbps", po::value(&c.network_gbps)->default_value(1.0),
      "bytes a rank receives per second, in GB/s, for the exchange's time")(
      "overhead-mb", po::value(&c.overhead_mb)->default_value(0.0),
      "fixed memory per process in MB; 0: the figure measured for this build (docs/SCALING.md)")(
      "memory-per-rank", po::value(&c.memory_per_rank_mb)->default_value(0.0),
      "MB a rank may use; 0: this node's memory / --ranks-per-node")(
      "ranks-per-node", po::value(&c.ranks_per_node)->default_value(0),
      "ranks sharing a node's memory; 0: the smaller of --ranks and this node's CPUs")(
      "json", po::bool_switch(&c.json), "print the plan as one JSON object instead of the table")(
      "per-rank", po::bool_switch(&c.per_rank), "print every rank (by default all up to 16 ranks)");
  add_reader_options(desc, reader);
  po::variables_map vm;
  if (!parse_options("plan",
                     "Predict per-rank rows, exchanged bytes, peak memory and time of a training run.", desc,
                     args, vm, comm.rank() == 0))
    return kExitOk;
  if (comm.size() != 1) throw InputError("hpcrec plan runs on one process (it plans for --ranks P)");
  for (const char* name : {"ranks", "factors", "threads"}) require_positive(vm, name);
  require_non_negative(vm, "cg-steps");
  for (const char* name : {"gflops", "overhead-mb", "memory-per-rank", "ranks-per-node"})
    require_non_negative(vm, name);
  require_positive(vm, "network-gbps");
  if (c.sample <= 0 || c.sample > 1) throw InputError("--sample must be in (0, 1], got " + num(c.sample));
  if (c.algo != "als" && c.algo != "ials")
    throw InputError("--algo must be als or ials, got '" + c.algo + "'");
  if (c.solver != "cg" && c.solver != "cholesky")
    throw InputError("--solver must be cg or cholesky, got '" + c.solver + "'");
  if (c.ranks > (1 << 20)) throw InputError("--ranks must be at most 1048576");
  const bool shape = vm.count("users") || vm.count("items");
  Offset shape_ratings = 0;
  if (shape) {
    if (!vm.count("users") || !vm.count("items"))
      throw InputError("a generated shape needs --users, --items and --ratings N");
    require_positive(vm, "users");
    require_positive(vm, "items");
    char* end = nullptr;
    const long long n = std::strtoll(c.ratings.c_str(), &end, 10);
    if (c.ratings.empty() || *end != '\0' || n <= 0)
      throw InputError("--ratings with --users and --items is a number of ratings, got '" + c.ratings + "'");
    if (static_cast<double>(n) > static_cast<double>(c.users) * static_cast<double>(c.items))
      throw InputError("--ratings " + c.ratings + " is more than --users x --items");
    if (c.sample != 1.0) throw InputError("--sample applies to a ratings file, not a generated shape");
    shape_ratings = n;
  } else if (vm.count("seed") && !vm["seed"].defaulted()) {
    throw InputError("--seed goes with a generated shape (--users, --items, --ratings N)");
  }
  const io::ReaderOptions reader_options = make_reader_options(reader);

  PlanData data = shape ? data_of_shape(c.users, c.items, shape_ratings, c.seed)
                        : data_of_file(c.ratings, reader_options, c.sample, c.ranks);
  PlanSettings s;
  s.ranks = c.ranks;
  s.factors = c.factors;
  s.implicit = c.algo == "ials";
  s.threads = c.threads;
  s.cg_steps = c.cg_steps;
  s.cholesky = c.solver == "cholesky";
  const bool calibrated = c.gflops == 0;
  s.gflops =
      calibrated ? calibrate_gflops(c.factors, s.implicit, c.threads, c.cg_steps, s.cholesky) : c.gflops;
  s.net_bytes_per_s = c.network_gbps * 1e9;
  const int hw = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  const int per_node = c.ranks_per_node > 0 ? c.ranks_per_node : std::min(c.ranks, hw);
  // The per-rank part is shared memory with the other ranks on the same node.
  s.overhead_bytes =
      (c.overhead_mb > 0 ? c.overhead_mb
                         : kOverheadMb + kOverheadPerRankMb * (std::min(c.ranks, per_node) - 1)) *
      1e6;
  const double limit = c.memory_per_rank_mb > 0 ? c.memory_per_rank_mb * 1e6 : node_memory_bytes() / per_node;
  s.memory_per_rank = limit;
  const Plan plan = make_plan(data, s);
  if (c.json)
    std::cout << plan_json(plan, data, limit).dump() << "\n";
  else
    print_table(plan, data, limit, c.per_rank, per_node, calibrated);
  return kExitOk;
}

}  // namespace hpcrec::app
