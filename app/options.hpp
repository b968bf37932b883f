// Command-line parsing shared by the subcommands (Boost.Program_options).
// Parameters are validated here, once; the rest of the code trusts them.
#pragma once

#include <boost/program_options.hpp>
#include <string>
#include <vector>

#include "src/errors.hpp"

namespace hpcrec::app {

namespace po = boost::program_options;

// Parses `args` against `desc` (plus --help and --config FILE, an INI file
// whose keys are the long option names; the command line wins). Returns
// false if --help was given (after printing usage on rank 0). Throws
// InputError naming an unknown or malformed option.
bool parse_options(const std::string& command, const std::string& summary, po::options_description& desc,
                   const std::vector<std::string>& args, po::variables_map& vm, bool print);

// Boost's default command-line style less prefix guessing: "--factor 8"
// is an unknown option, not --factors.
inline constexpr int kCommandLineStyle =
    po::command_line_style::default_style & ~po::command_line_style::allow_guessing;

// Validators: throw InputError("--NAME must be ...") when violated.
void require_positive(const po::variables_map& vm, const char* name);
void require_non_negative(const po::variables_map& vm, const char* name);
void require_fraction(const po::variables_map& vm, const char* name);  // in (0, 1)

}  // namespace hpcrec::app
