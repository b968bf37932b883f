// hpcrec tune's search space: the train options a search varies, each a
// list of choices or a range, and the settings of one trial drawn from it.
//
// Spec syntax (--space; dimensions separated by ';'):
//   name=a,b,c        choices (grid search enumerates them)
//   name=log:lo:hi    log-uniform real in [lo, hi]
//   name=lin:lo:hi    uniform real in [lo, hi]
//   name=int:lo:hi    uniform integer in [lo, hi]
//   name=logint:lo:hi log-uniform integer in [lo, hi]
// `name` is a train option without its dashes; a switch (e.g. sublinear-tf)
// takes true or false, and gives the bare flag or nothing. Reals are kept
// to 3 significant digits, so a trial's settings print and reload exactly.
//
// Example: "factors=32,64;lambda=log:1:100" and trial seed s: factors is
// choice floor(u0 * 2), lambda = 10^(0 + u1 * 2) rounded, u0, u1 the trial's
// uniforms (src/rng.hpp, stream kTune, counters 64 t + d for trial t and
// dimension d), so trial 5 has the same settings however many ranks run.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace hpcrec::app {

struct SpaceDim {
  enum class Kind { kChoice, kLog, kLinear, kInt, kLogInt };
  std::string name;
  Kind kind = Kind::kChoice;
  std::vector<std::string> choices;
  double lo = 0, hi = 0;
};

using Settings = std::vector<std::pair<std::string, std::string>>;  // (option, value)

// Parses a spec (InputError on a malformed one).
std::vector<SpaceDim> parse_space(const std::string& spec);
// `base` with the dimensions of `over` replacing those of the same name and
// the others appended.
std::vector<SpaceDim> merge_space(std::vector<SpaceDim> base, const std::vector<SpaceDim>& over);
// The default space of an algorithm ("" spec where it has none).
std::string default_space(const std::string& algorithm);

// Trial `trial`'s settings, drawn from (seed, trial).
Settings draw_settings(const std::vector<SpaceDim>& space, std::uint64_t seed, std::uint64_t trial);
// Every combination of the choices (all dimensions must be choices), the
// first dimension varying slowest.
std::vector<Settings> grid_settings(const std::vector<SpaceDim>& space);
// Whether train's option `name` is a switch (no value).
bool is_switch(const std::string& name);
// Train arguments for the settings ("--name value", or "--name" for a true
// switch, nothing for a false one).
std::vector<std::string> settings_args(const Settings& settings);
// "factors=64 lambda=12.3".
std::string settings_text(const Settings& settings);

}  // namespace hpcrec::app
