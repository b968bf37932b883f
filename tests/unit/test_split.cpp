#include <gtest/gtest.h>

#include <numeric>

#include "src/split.hpp"

using namespace hpcrec::math;

namespace {

std::vector<SplitEntry> entries(std::vector<std::int64_t> ts) {
  std::vector<SplitEntry> e;
  for (size_t j = 0; j < ts.size(); ++j)
    e.push_back({static_cast<Index>(j), ts[j], static_cast<std::uint32_t>(j)});
  return e;
}

int count(const std::vector<char>& v) { return std::accumulate(v.begin(), v.end(), 0); }

}  // namespace

// The example in src/split.hpp.
TEST(Split, TemporalHoldsOutTheLatest) {
  SplitSpec s{SplitKind::kTemporal, 0.5};
  std::vector<char> t;
  mark_test(s, 3, entries({30, 10, 20, 40}), t);
  EXPECT_EQ(t, (std::vector<char>{1, 0, 0, 1}));
}

// The header's second example: the entry at 40 held whole, the split over
// {30, 10, 20} takes round(0.5 * 3) = 2 latest.
TEST(Split, HeldEntriesAreTestAndTheSplitSeesTheRest) {
  SplitSpec s{SplitKind::kTemporal, 0.5};
  auto e = entries({30, 10, 20, 40});
  e[3].held = true;
  std::vector<char> t;
  mark_test(s, 3, e, t);
  EXPECT_EQ(t, (std::vector<char>{1, 0, 1, 1}));
  // Every entry held: all test, none left to keep.
  for (auto& x : e) x.held = true;
  mark_test(s, 3, e, t);
  EXPECT_EQ(t, (std::vector<char>{1, 1, 1, 1}));
}

TEST(Split, TemporalTiesGoToTheLaterInTheFile) {
  SplitSpec s{SplitKind::kTemporal, 0.25};
  std::vector<char> t;
  mark_test(s, 3, entries({5, 5, 5, 5}), t);
  EXPECT_EQ(t, (std::vector<char>{0, 0, 0, 1}));
}

TEST(Split, PerUserSplitsKeepOneTrainingRating) {
  std::vector<char> t;
  for (SplitKind k : {SplitKind::kUser, SplitKind::kTemporal, SplitKind::kLeaveKOut}) {
    SplitSpec s{k, 0.9, 5};
    mark_test(s, 1, entries({1}), t);
    EXPECT_EQ(count(t), 0);
    mark_test(s, 1, entries({1, 2, 3}), t);
    EXPECT_EQ(count(t), 2);
  }
}

TEST(Split, UserSplitHoldsOutTheRoundedFraction) {
  SplitSpec s{SplitKind::kUser, 0.2, 1, 5, 0, 7};
  std::vector<char> t;
  mark_test(s, 11, entries(std::vector<std::int64_t>(10, 0)), t);
  EXPECT_EQ(count(t), 2);
  std::vector<char> again;
  mark_test(s, 11, entries(std::vector<std::int64_t>(10, 0)), again);
  EXPECT_EQ(t, again);
}

TEST(Split, FoldsPartitionEveryRating) {
  std::vector<int> hits(50, 0);
  auto e = entries(std::vector<std::int64_t>(50, 0));
  for (int f = 0; f < 5; ++f) {
    SplitSpec s{SplitKind::kFold, 0, 1, 5, f, 3};
    std::vector<char> t;
    mark_test(s, 2, e, t);
    for (size_t j = 0; j < t.size(); ++j) hits[j] += t[j];
  }
  for (int h : hits) EXPECT_EQ(h, 1);
}

TEST(Split, RandomIsAboutTheFraction) {
  SplitSpec s{SplitKind::kRandom, 0.3, 1, 5, 0, 9};
  int n = 0, held = 0;
  std::vector<char> t;
  for (Index u = 0; u < 200; ++u) {
    mark_test(s, u, entries(std::vector<std::int64_t>(50, 0)), t);
    n += 50;
    held += count(t);
  }
  EXPECT_NEAR(static_cast<double>(held) / n, 0.3, 0.02);
}

TEST(Split, StrongHoldsOutWholeUsersAndGivesTheRest) {
  // fraction 0.25 of the users held out; each held-out user's 10 entries:
  // round(0.2 * 10) = 2 tested (by hash), 8 given; the others untouched.
  SplitSpec s{SplitKind::kStrong, 0.25};
  s.given = 0.8;
  int held = 0;
  for (Index u = 0; u < 400; ++u) {
    std::vector<char> t;
    mark_test(s, u, entries({1, 2, 3, 4, 5, 6, 7, 8, 9, 10}), t);
    const int tested = std::accumulate(t.begin(), t.end(), 0);
    EXPECT_EQ(tested, strong_user(s, u) ? 2 : 0) << "user " << u;
    held += strong_user(s, u);
  }
  EXPECT_NEAR(held / 400.0, 0.25, 0.06);
  // The users held out do not depend on the item hash stream of ordinary splits.
  SplitSpec user_split{SplitKind::kUser, 0.25};
  EXPECT_FALSE(strong_user(user_split, 0));
}
