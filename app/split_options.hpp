// The options that choose a train/test split, shared by `train` and `split`.
#pragma once

#include <string>

#include "app/options.hpp"
#include "src/split.hpp"

namespace hpcrec::app {

struct SplitCli {
  std::string kind = "random";
  double holdout = 0.0;
  int leave_k = 0;
  std::uint64_t seed = 1;
  double given = 0.8;
};

void add_split_options(po::options_description& desc, SplitCli& cli);

// Validates and turns the options into a SplitSpec (kind kNone when nothing
// is held out). `has_test_file`: a --test file was given, so no split may be.
math::SplitSpec make_split_spec(const SplitCli& cli, bool has_test_file);

}  // namespace hpcrec::app
