#include "app/tune_space.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "src/errors.hpp"
#include "src/rng.hpp"

namespace hpcrec::app {

namespace {

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> out;
  size_t at = 0;
  while (true) {
    const size_t next = text.find(sep, at);
    out.push_back(text.substr(at, next == std::string::npos ? std::string::npos : next - at));
    if (next == std::string::npos) return out;
    at = next + 1;
  }
}

std::string trim(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t\n");
  if (a == std::string::npos) return "";
  return s.substr(a, s.find_last_not_of(" \t\n") - a + 1);
}

double number(const std::string& text, const std::string& dim) {
  double v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v))
    throw InputError("--space " + dim + ": expected a number, got '" + text + "'");
  return v;
}

// The shortest text of v rounded to 3 significant digits.
std::string three_digits(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  const double r = std::strtod(buf, nullptr);
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, r);
  (void)ec;
  return std::string(buf, end);
}

}  // namespace

std::vector<SpaceDim> parse_space(const std::string& spec) {
  std::vector<SpaceDim> out;
  for (const std::string& raw : split(spec, ';')) {
    const std::string item = trim(raw);
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == item.size())
      throw InputError("--space: expected name=values, got '" + item + "'");
    SpaceDim d;
    d.name = trim(item.substr(0, eq));
    if (d.name.rfind("--", 0) == 0) d.name = d.name.substr(2);
    const std::string values = trim(item.substr(eq + 1));
    const std::vector<std::string> parts = split(values, ':');
    if (parts.size() == 3) {
      const std::string& kind = parts[0];
      if (kind == "log")
        d.kind = SpaceDim::Kind::kLog;
      else if (kind == "lin")
        d.kind = SpaceDim::Kind::kLinear;
      else if (kind == "int")
        d.kind = SpaceDim::Kind::kInt;
      else if (kind == "logint")
        d.kind = SpaceDim::Kind::kLogInt;
      else
        throw InputError("--space " + d.name + ": a range is log:, lin:, int: or logint:LO:HI, got '" +
                         values + "'");
      d.lo = number(parts[1], d.name);
      d.hi = number(parts[2], d.name);
      const bool log = d.kind == SpaceDim::Kind::kLog || d.kind == SpaceDim::Kind::kLogInt;
      if (!(d.lo <= d.hi) || (log && d.lo <= 0))
        throw InputError("--space " + d.name + ": need LO <= HI" + (log ? " and LO > 0" : "") + ", got '" +
                         values + "'");
    } else if (parts.size() == 1) {
      for (const std::string& c : split(values, ',')) {
        const std::string v = trim(c);
        if (v.empty()) throw InputError("--space " + d.name + ": an empty choice in '" + values + "'");
        d.choices.push_back(v);
      }
    } else {
      throw InputError("--space " + d.name + ": expected choices a,b,c or KIND:LO:HI, got '" + values + "'");
    }
    for (const SpaceDim& seen : out)
      if (seen.name == d.name) throw InputError("--space: " + d.name + " given twice");
    out.push_back(std::move(d));
  }
  return out;
}

std::vector<SpaceDim> merge_space(std::vector<SpaceDim> base, const std::vector<SpaceDim>& over) {
  for (const SpaceDim& d : over) {
    bool replaced = false;
    for (SpaceDim& b : base)
      if (b.name == d.name) {
        b = d;
        replaced = true;
      }
    if (!replaced) base.push_back(d);
  }
  return base;
}

std::string default_space(const std::string& algorithm) {
  // Ranges wide enough to hold every dataset's optimum we measured
  // (docs/BENCHMARKS.md, "Tuning"), log-scaled where the effect is
  // multiplicative.
  if (algorithm == "als") return "factors=16,32,64,128;lambda=log:0.01:1;bias-lambda=log:0.001:1";
  if (algorithm == "ials") return "factors=32,64,128;lambda=log:0.1:300;alpha=log:0.1:30";
  if (algorithm == "knn")
    return "similarity=cosine,pearson,pearson-baseline,jaccard;neighbors=logint:10:400;shrink=0,10,50,100";
  if (algorithm == "hybrid")
    return "factors=32,64,128;alpha=log:0.1:30;neighbors=logint:10:400;shrink=0,10,100";
  if (algorithm == "content") return "ngram=1,2;min-df=1,2,5;max-df=0.5,0.9,1.0;sublinear-tf=true,false";
  return "";
}

Settings draw_settings(const std::vector<SpaceDim>& space, std::uint64_t seed, std::uint64_t trial) {
  Settings out;
  for (size_t d = 0; d < space.size(); ++d) {
    const SpaceDim& dim = space[d];
    const double u =
        math::uniform01(seed, static_cast<std::uint64_t>(math::RngStream::kTune), trial * 64 + d);
    std::string value;
    switch (dim.kind) {
      case SpaceDim::Kind::kChoice:
        value = dim.choices[std::min(dim.choices.size() - 1, static_cast<size_t>(u * dim.choices.size()))];
        break;
      case SpaceDim::Kind::kLinear:
        value = three_digits(dim.lo + u * (dim.hi - dim.lo));
        break;
      case SpaceDim::Kind::kLog:
        value = three_digits(std::exp(std::log(dim.lo) + u * (std::log(dim.hi) - std::log(dim.lo))));
        break;
      case SpaceDim::Kind::kInt: {
        const double lo = std::ceil(dim.lo), hi = std::floor(dim.hi);
        value = std::to_string(static_cast<long long>(std::min(hi, lo + std::floor(u * (hi - lo + 1)))));
        break;
      }
      case SpaceDim::Kind::kLogInt: {
        const double x = std::exp(std::log(dim.lo) + u * (std::log(dim.hi) - std::log(dim.lo)));
        value = std::to_string(static_cast<long long>(std::clamp(std::round(x), dim.lo, dim.hi)));
        break;
      }
    }
    out.emplace_back(dim.name, value);
  }
  return out;
}

std::vector<Settings> grid_settings(const std::vector<SpaceDim>& space) {
  std::vector<Settings> out{Settings{}};
  for (const SpaceDim& dim : space) {
    if (dim.kind != SpaceDim::Kind::kChoice)
      throw InputError("--search grid: " + dim.name + " is a range; give it as choices a,b,c");
    std::vector<Settings> next;
    for (const Settings& s : out)
      for (const std::string& c : dim.choices) {
        next.push_back(s);
        next.back().emplace_back(dim.name, c);
      }
    out = std::move(next);
  }
  return out;
}

bool is_switch(const std::string& name) {
  // train's options that take no value (po::bool_switch).
  return name == "implicit-profile" || name == "stop-words" || name == "sublinear-tf";
}

std::vector<std::string> settings_args(const Settings& settings) {
  std::vector<std::string> out;
  for (const auto& [name, value] : settings) {
    if (!is_switch(name)) {
      out.insert(out.end(), {"--" + name, value});
    } else if (value == "true") {
      out.push_back("--" + name);
    } else if (value != "false") {
      throw InputError("--space " + name + ": a switch is true or false, got '" + value + "'");
    }
  }
  return out;
}

std::string settings_text(const Settings& settings) {
  std::string out;
  for (const auto& [name, value] : settings) out += (out.empty() ? "" : " ") + name + "=" + value;
  return out;
}

}  // namespace hpcrec::app
