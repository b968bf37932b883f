// Id maps (src/ids.hpp): building from unsorted ids, merging, lookups.
#include <gtest/gtest.h>

#include "src/ids.hpp"

using namespace hpcrec::math;

TEST(IdMap, FromIdsInAnyOrder) {
  const IdMap ints = IdMap::from_ints({7, 3, 7, -2});
  EXPECT_FALSE(ints.is_string);
  EXPECT_EQ(ints.ints, (std::vector<std::int64_t>{-2, 3, 7}));
  EXPECT_EQ(ints.find(7), 2);
  EXPECT_EQ(ints.find_text("3"), 1);
  const IdMap strings = IdMap::from_strings({"b", "a", "b"});
  EXPECT_TRUE(strings.is_string);
  EXPECT_EQ(strings.strings, (std::vector<std::string>{"a", "b"}));
}

// Merging an integer map with a string map gives strings, sorted by bytes:
// {3, 10} + {"x"} -> {"10", "3", "x"}.
TEST(IdMap, MergedWithStringsIsStrings) {
  const IdMap m = IdMap::from_ints({10, 3}).merged(IdMap::from_strings({"x", "3"}));
  EXPECT_TRUE(m.is_string);
  EXPECT_EQ(m.strings, (std::vector<std::string>{"10", "3", "x"}));
  const IdMap n = IdMap::from_ints({10, 3}).merged(IdMap::from_ints({4, 3}));
  EXPECT_EQ(n.ints, (std::vector<std::int64_t>{3, 4, 10}));
}
