// hpcrec plan: what a training run would need on each rank, predicted on one
// process, without MPI collectives. The data's shape (per-row counts, and
// for a file read whole the rated pairs themselves) goes through the same
// work-balanced partition as training (dist::BlockPartition::balanced); the
// rows each rank gathers, the bytes exchanged and the peak memory then follow
// from a model of the data structures train builds (docs/SCALING.md writes
// it out, with its assumptions).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "mpi/partition.hpp"
#include "src/types.hpp"

namespace hpcrec::app {

using math::Index;
using math::Offset;

// The data as the plan sees it. Rows are dense ids (the sorted original ids).
struct PlanData {
  // Per row, the ratings before duplicates are resolved (what the partition
  // is balanced on, as in training) and after (what the blocks hold).
  std::vector<Offset> user_counts, item_counts;
  std::vector<Offset> user_nnz, item_nnz;
  Offset lines = 0;    // ratings read (duplicates included)
  Offset ratings = 0;  // training ratings (duplicates resolved)
  // Every (user, item) pair, sorted by user then item, without repeats:
  // given, the gathered rows are counted exactly; empty, they are the
  // expected counts of the independence model (see make_plan).
  std::vector<std::pair<Index, Index>> pairs;
  // Sum over the P byte ranges of the distinct ids a rank reads in its range
  // (index p - 1 for p ranks, up to max_ranks): what the allgathered id map
  // holds before its repeats are removed (its capacity stays resident).
  // Empty: assumed m + p - 1 for users (a file grouped by user, as
  // `generate` writes) and the expected distinct items of N/p ratings, times p.
  std::vector<double> user_ids_read, item_ids_read;
  double file_bytes = 0;     // size of the ratings file (the reader's buffer is sized from it)
  bool string_ids = false;   // string ids: the maps hold std::string, not int64
  double mean_id_chars = 0;  // string ids: mean length
  std::string source;        // what was read or generated, for the report
};

struct PlanSettings {
  int ranks = 1;
  int factors = 64;
  bool implicit = false;  // ials (else als)
  int threads = 1;
  int cg_steps = 3;              // CG steps per row (als, ials)
  bool cholesky = false;         // --solver cholesky (als, ials)
  double overhead_bytes = 0;     // fixed per process (MPI, libraries, stacks)
  double gflops = 0;             // row-solver rate per rank (per thread x threads)
  double net_bytes_per_s = 1e9;  // per rank, for the exchange's time
  double memory_per_rank = 0;    // bytes; 0: no check
};

// One named term of a rank's memory (bytes).
struct MemoryTerm {
  std::string name;
  double bytes = 0;
};

struct RankPlan {
  int rank = 0;
  Index users = 0, items = 0;                 // rows owned
  Offset user_ratings = 0;                    // ratings of its users (the user block)
  Offset item_ratings = 0;                    // ratings of its items (the item block)
  Offset read = 0;                            // ratings parsed in its byte range
  double gathered_items = 0;                  // counterpart rows of the user half-step (needed())
  double gathered_users = 0;                  // counterpart rows of the item half-step
  double received_rows = 0;                   // of those, rows other ranks send (both half-steps)
  double sent_rows = 0;                       // rows it sends to other ranks (both half-steps)
  double bytes_sent = 0, bytes_received = 0;  // per iteration
  double flops = 0;                           // row solver, per iteration
  double seconds = 0;      // predicted per iteration (its own share; the job waits for the slowest)
  double peak_bytes = 0;   // overhead included
  std::string peak_phase;  // where the peak is
  std::vector<MemoryTerm> peak_terms;  // what makes it up
};

struct Plan {
  PlanSettings settings;
  Index users = 0, items = 0;
  Offset ratings = 0, lines = 0;
  bool exact = false;  // gathered rows counted from the pairs (else expected)
  std::vector<RankPlan> ranks;
  double bytes_exchanged = 0;  // per iteration, summed over ranks (train's MB_exchanged)
  double seconds = 0;          // per iteration, the slowest rank's
  double peak_max = 0, peak_sum = 0;
};

// The plan for `settings.ranks` ranks.
Plan make_plan(const PlanData& data, const PlanSettings& settings);

// Row-solver GFLOP/s on this machine at k factors: a short timed run of the
// real kernel (src/als_explicit or src/als_implicit) on a random block.
double calibrate_gflops(int factors, bool implicit, int threads, int cg_steps, bool cholesky);

}  // namespace hpcrec::app
