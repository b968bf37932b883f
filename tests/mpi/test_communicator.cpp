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
