#pragma once
// Flags shared by the nabla subcommands, each checked when the command line
// is parsed, before any data is loaded or any training time is spent.
#include <CLI/CLI.hpp>
#include <string>

namespace nabla::cli {

// An output file flag (--history, --plot, --png, a --save path): the path is
// checked with io::check_writable as the command line is parsed, so a bad
// directory is reported before the run, not after it. Nothing is created.
CLI::Option* add_output_path(CLI::App* cmd, const std::string& name, std::string& target, const std::string& help);

}  // namespace nabla::cli
