#pragma once
// Flags shared by the nabla subcommands, each checked when the command line
// is parsed, before any data is loaded or any training time is spent.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace nabla::cli {

// An output file flag (--history, --plot, --png, a --save path): the path is
// checked with io::check_writable as the command line is parsed, so a bad
// directory is reported before the run, not after it. Nothing is created.
CLI::Option* add_output_path(CLI::App* cmd, const std::string& name, std::string& target, const std::string& help);

// A whole-number flag in [lo, hi]. The text must be a plain base-10 integer:
// "abc", "1.5", "1e3", "0x10" and out-of-range values are refused with the
// valid range (CLI11 alone reported a 309-digit bound, or clamped and
// wrapped: --seed -1 became 2^64 - 1).
CLI::Option* add_integer(CLI::App* cmd, const std::string& name, int& target, std::int64_t lo, std::int64_t hi,
                         const std::string& help);
CLI::Option* add_integer(CLI::App* cmd, const std::string& name, std::int64_t& target, std::int64_t lo,
                         std::int64_t hi, const std::string& help);
CLI::Option* add_integer(CLI::App* cmd, const std::string& name, std::uint64_t& target, const std::string& help);

// A finite number flag (nan and inf refused) above `lo` (strictly when
// lo_open) and below `hi` (strictly when hi_open).
struct Interval {
    double lo, hi;
    bool lo_open = false, hi_open = false;
};
CLI::Option* add_number(CLI::App* cmd, const std::string& name, double& target, Interval range, const std::string& help);

// A flag taking one of `names`; the help shows the names.
CLI::Option* add_choice(CLI::App* cmd, const std::string& name, std::string& target,
                        const std::vector<std::string>& names, const std::string& help);

// --threads N, 1 to this machine's hardware threads (more only slow each
// epoch down: 1000 threads on 2 cores made epochs 300x slower).
CLI::Option* add_threads(CLI::App* cmd, std::optional<int>& target);
// Applies --threads, which wins over NABLA_NUM_THREADS (a bad variable is
// then ignored); without the flag, checks NABLA_NUM_THREADS up front and
// throws a ValueError naming the variable and the valid range.
void apply_threads(const std::optional<int>& flag);

}  // namespace nabla::cli
