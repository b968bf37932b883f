// The options that say how to read a ratings file, shared by every command
// that reads one (train, split, info).
#pragma once

#include <string>

#include "app/options.hpp"
#include "io/ratings_reader.hpp"

namespace hpcrec::app {

struct ReaderCli {
  std::string format = "auto";
  std::string header = "auto";
  bool skip_invalid = false;
};

// Adds --format, --header and --skip-invalid.
void add_reader_options(po::options_description& desc, ReaderCli& cli);

// Validates (InputError naming the option) and converts.
io::ReaderOptions make_reader_options(const ReaderCli& cli);

}  // namespace hpcrec::app
