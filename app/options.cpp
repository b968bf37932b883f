#include "app/options.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "app/progress.hpp"

namespace hpcrec::app {

namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

std::string trimmed(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

// --config FILE into `vm`. Boost's INI errors name neither the file nor the
// line, so each line is first parsed and stored alone (with its section
// header) into a scratch map, and the first bad one is reported as
// FILE:LINE. A UTF-8 BOM (Windows editors) and CR line ends are stripped:
// otherwise the first key would carry invisible characters.
void store_config_file(const std::string& command, const std::string& path,
                       const po::options_description& all, po::variables_map& vm) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw InputError("--config " + path + ": is a directory, expected an INI file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("--config " + path + ": cannot open config file");
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (lines.empty() && line.compare(0, kUtf8Bom.size(), kUtf8Bom) == 0) line.erase(0, kUtf8Bom.size());
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
  }
  if (in.bad()) throw InputError("--config " + path + ": cannot read config file");
  const std::string help = " (see hpcrec " + command + " --help)";
  std::string section, whole;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    whole += lines[i] + "\n";
    const std::string t = trimmed(lines[i]);
    if (t.empty() || t.front() == '#') continue;
    if (t.front() == '[') {
      section = t;
      continue;
    }
    std::istringstream one(section + "\n" + lines[i] + "\n");
    po::variables_map scratch;
    try {
      po::store(po::parse_config_file(one, all, /*allow_unregistered=*/false), scratch);
    } catch (const po::error& e) {
      throw InputError(path + ":" + std::to_string(i + 1) + ": " + e.what() + help);
    }
  }
  std::istringstream text(whole);
  try {
    po::store(po::parse_config_file(text, all, /*allow_unregistered=*/false), vm);
  } catch (const po::error& e) {
    throw InputError(path + ": " + e.what() + help);  // e.g. a key given twice
  }
}

// Every floating-point option must be finite: "--holdout nan" would pass
// the commands' range checks (comparisons with NaN are false), and
// "--lambda inf" would train NaN factors. Checked once here for all commands.
void require_finite(const po::variables_map& vm) {
  for (const auto& [name, entry] : vm) {
    const auto& v = entry.value();
    double d = 0;
    if (auto* p = boost::any_cast<double>(&v))
      d = *p;
    else if (auto* f = boost::any_cast<float>(&v))
      d = *f;
    else
      continue;
    if (!std::isfinite(d))
      throw InputError("--" + name + " must be a finite number, got " + std::to_string(d));
  }
}

}  // namespace

bool parse_options(const std::string& command, const std::string& summary, po::options_description& desc,
                   const std::vector<std::string>& args, po::variables_map& vm, bool print) {
  po::options_description common("Common options");
  common.add_options()("help,h", "show this help")("config", po::value<std::string>(),
                                                   "read options from an INI file (key = value, long names)")(
      "quiet,q", po::bool_switch(), "no progress lines on stderr")(
      "verbose,v", po::bool_switch(), "announce and time every step on stderr, however short");
  po::options_description all;
  all.add(desc).add(common);
  try {
    po::store(po::command_line_parser(args).options(all).style(kCommandLineStyle).run(), vm);
    if (vm.count("help")) {
      if (print)
        std::cout << "Usage: hpcrec " << command << " [options]\n" << summary << "\n\n" << all << "\n";
      return false;
    }
    if (vm.count("config")) store_config_file(command, vm["config"].as<std::string>(), all, vm);
    po::notify(vm);
    if (vm["quiet"].as<bool>() && vm["verbose"].as<bool>())
      throw InputError("--quiet and --verbose contradict");
    set_verbosity(vm["quiet"].as<bool>()     ? Verbosity::kQuiet
                  : vm["verbose"].as<bool>() ? Verbosity::kVerbose
                                             : Verbosity::kNormal);
  } catch (const po::error& e) {
    throw InputError("hpcrec " + command + ": " + e.what() + " (see hpcrec " + command + " --help)");
  }
  require_finite(vm);
  return true;
}

void require_positive(const po::variables_map& vm, const char* name) {
  if (!vm.count(name)) return;
  const auto& v = vm[name].value();
  bool ok = true;
  if (auto* d = boost::any_cast<double>(&v)) ok = *d > 0;
  if (auto* i = boost::any_cast<int>(&v)) ok = *i > 0;
  if (auto* l = boost::any_cast<long>(&v)) ok = *l > 0;
  if (auto* ll = boost::any_cast<long long>(&v)) ok = *ll > 0;
  if (!ok) throw InputError(std::string("--") + name + " must be positive");
}

void require_non_negative(const po::variables_map& vm, const char* name) {
  if (!vm.count(name)) return;
  const auto& v = vm[name].value();
  bool ok = true;
  if (auto* d = boost::any_cast<double>(&v)) ok = *d >= 0;
  if (auto* i = boost::any_cast<int>(&v)) ok = *i >= 0;
  if (auto* l = boost::any_cast<long>(&v)) ok = *l >= 0;
  if (auto* ll = boost::any_cast<long long>(&v)) ok = *ll >= 0;
  if (!ok) throw InputError(std::string("--") + name + " must not be negative");
}

void require_fraction(const po::variables_map& vm, const char* name) {
  if (!vm.count(name)) return;
  double d = vm[name].as<double>();
  if (!(d > 0 && d < 1)) throw InputError(std::string("--") + name + " must be in (0, 1)");
}

}  // namespace hpcrec::app
