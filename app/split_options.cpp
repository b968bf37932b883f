#include "app/split_options.hpp"

namespace hpcrec::app {

void add_split_options(po::options_description& desc, SplitCli& cli) {
  desc.add_options()(
      "split", po::value(&cli.kind)->default_value("random"),
      "how --holdout is chosen: random (per rating), user (that fraction of each user's ratings), temporal "
      "(each user's latest), leave-k-out (with --leave-k), strong (train only: that fraction of the users "
      "held out "
      "whole, each folded in from --given of their ratings and tested on the rest)")(
      "holdout", po::value(&cli.holdout)->default_value(0.0), "fraction of ratings held out for testing")(
      "leave-k", po::value(&cli.leave_k)->default_value(0),
      "ratings per user held out by --split leave-k-out")(
      "given", po::value(&cli.given)->default_value(0.8, "0.8"),
      "--split strong: the share of each held-out user's ratings given to the model (fold-in)")(
      "split-seed", po::value(&cli.seed)->default_value(1),
      "seed of the split (the same split at any rank count)");
}

math::SplitSpec make_split_spec(const SplitCli& cli, bool has_test_file) {
  math::SplitSpec spec;
  spec.seed = cli.seed;
  spec.fraction = cli.holdout;
  spec.leave_k = cli.leave_k;
  spec.given = cli.given;
  if (cli.given <= 0 || cli.given >= 1)
    throw InputError("--given must be in (0, 1), got " + std::to_string(cli.given));
  if (cli.holdout < 0 || cli.holdout >= 1)
    throw InputError("--holdout must be in [0, 1), got " + std::to_string(cli.holdout));
  if (cli.kind == "random")
    spec.kind = math::SplitKind::kRandom;
  else if (cli.kind == "user")
    spec.kind = math::SplitKind::kUser;
  else if (cli.kind == "temporal")
    spec.kind = math::SplitKind::kTemporal;
  else if (cli.kind == "leave-k-out")
    spec.kind = math::SplitKind::kLeaveKOut;
  else if (cli.kind == "strong")
    spec.kind = math::SplitKind::kStrong;
  else
    throw InputError("--split must be random, user, temporal, leave-k-out or strong, got '" + cli.kind + "'");
  if (spec.kind == math::SplitKind::kLeaveKOut) {
    if (cli.leave_k < 1) throw InputError("--split leave-k-out needs --leave-k K with K >= 1");
    if (cli.holdout > 0) throw InputError("--split leave-k-out takes --leave-k, not --holdout");
  } else {
    if (cli.leave_k != 0) throw InputError("--leave-k goes with --split leave-k-out");
    if (cli.holdout == 0) spec.kind = math::SplitKind::kNone;
  }
  if (has_test_file && spec.kind != math::SplitKind::kNone)
    throw InputError("give either --test or a split (--holdout / --leave-k), not both");
  return spec;
}

}  // namespace hpcrec::app
