#include <gtest/gtest.h>

#include "mpi/communicator.hpp"
#include "mpi/failure.hpp"
#include "src/errors.hpp"

using hpcrec::dist::Communicator;

TEST(Communicator, AlltoallvDeliversEachPeersSlice) {
  auto comm = Communicator::world();
  const int p = comm.size(), r = comm.rank();
  // Rank r sends (r + 1) copies of value 100 r + d to rank d.
  std::vector<std::int64_t> counts(p, r + 1), send;
  for (int d = 0; d < p; ++d)
    for (int c = 0; c <= r; ++c) send.push_back(100 * r + d);
  std::vector<std::int64_t> rc;
  auto got = comm.alltoallv<std::int64_t>(send, counts, &rc);
  std::size_t at = 0;
  for (int s = 0; s < p; ++s) {
    ASSERT_EQ(rc[s], s + 1);
    for (int c = 0; c <= s; ++c) EXPECT_EQ(got[at++], 100 * s + r);
  }
}

// Receive displacements: source s's 2 values land at 3 s + 1 (a gap before
// each), and nothing is sent to oneself (its slot keeps the fill value -1),
// as RoutingPlan::exchange_into uses it.
TEST(Communicator, AlltoallvIntoPlacesEachSourceAtItsDisplacement) {
  auto comm = Communicator::world();
  const int p = comm.size(), r = comm.rank();
  std::vector<std::int64_t> sc(p, 2), rc(p, 2), rd(p), send;
  sc[r] = rc[r] = 0;
  for (int d = 0; d < p; ++d) {
    rd[d] = 3 * d + 1;
    if (d != r) send.insert(send.end(), {100 * r + d, -(100 * r + d)});
  }
  std::vector<std::int64_t> got(static_cast<size_t>(3 * p), -1);
  comm.alltoallv_into<std::int64_t>(send, sc, got.data(), rc, rd);
  for (int s = 0; s < p; ++s) {
    EXPECT_EQ(got[3 * s], -1);
    EXPECT_EQ(got[3 * s + 1], s == r ? -1 : 100 * s + r);
    EXPECT_EQ(got[3 * s + 2], s == r ? -1 : -(100 * s + r));
  }
}

TEST(Failure, OneRankFailingEndsEveryRankWithItsMessage) {
  auto comm = Communicator::world();
  const int bad = comm.size() - 1;
  try {
    hpcrec::dist::collective_phase(comm, [&] {
      if (comm.rank() == bad) throw hpcrec::InputError("f.csv:57: expected a rating");
    });
    FAIL() << "no error";
  } catch (const hpcrec::dist::JobError& e) {
    EXPECT_EQ(std::string(e.what()), "f.csv:57: expected a rating");
    EXPECT_EQ(e.exit_code(), hpcrec::kExitBadInput);
  }
}
