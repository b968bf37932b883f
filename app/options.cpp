#include "app/options.hpp"

#include <fstream>
#include <iostream>

#include "app/progress.hpp"

namespace hpcrec::app {

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
    if (vm.count("config")) {
      const std::string path = vm["config"].as<std::string>();
      std::ifstream in(path);
      if (!in) throw InputError(path + ": cannot open config file");
      po::store(po::parse_config_file(in, all, /*allow_unregistered=*/false), vm);
    }
    po::notify(vm);
    if (vm["quiet"].as<bool>() && vm["verbose"].as<bool>())
      throw InputError("--quiet and --verbose contradict");
    set_verbosity(vm["quiet"].as<bool>()     ? Verbosity::kQuiet
                  : vm["verbose"].as<bool>() ? Verbosity::kVerbose
                                             : Verbosity::kNormal);
  } catch (const po::error& e) {
    throw InputError("hpcrec " + command + ": " + e.what() + " (see hpcrec " + command + " --help)");
  }
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
