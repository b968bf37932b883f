#include "app/reader_options.hpp"

namespace hpcrec::app {

void add_reader_options(po::options_description& desc, ReaderCli& cli) {
  desc.add_options()("format", po::value(&cli.format)->default_value("auto"),
                     "delimiter: auto, tab, comma, dcolon (::), whitespace")(
      "header", po::value(&cli.header)->default_value("auto"), "header line: auto, yes, no")(
      "skip-invalid", po::bool_switch(&cli.skip_invalid), "skip malformed lines (and count them)");
}

io::ReaderOptions make_reader_options(const ReaderCli& cli) {
  io::ReaderOptions r;
  r.delimiter = io::parse_delimiter(cli.format);
  r.skip_invalid = cli.skip_invalid;
  if (cli.header == "yes") {
    r.header = true;
  } else if (cli.header == "no") {
    r.header = false;
  } else if (cli.header != "auto") {
    throw InputError("--header must be auto, yes or no, got '" + cli.header + "'");
  }
  return r;
}

}  // namespace hpcrec::app
