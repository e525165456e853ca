#include "options.hpp"

#include <sched.h>
#include <stdlib.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <sstream>
#include <thread>

#include "nabla/core/error.hpp"
#include "nabla/core/threading.hpp"
#include "nabla/io/file.hpp"

namespace nabla::cli {

namespace {

CLI::Validator writable_path() {
    return CLI::Validator(
        [](std::string& path) -> std::string {
            try {
                io::check_writable(path);
            } catch (const Error& e) {
                return e.what();
            }
            return {};
        },
        "FILE", "writable file");
}

// "" when `text` is a base-10 integer in [lo, hi], else what is wrong.
template <typename T>
std::string integer_problem(const std::string& text, T lo, T hi) {
    T v{};
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, v);
    const std::string range = "expected a whole number from " + std::to_string(lo) + " to " + std::to_string(hi);
    if (ec == std::errc::result_out_of_range) return "'" + text + "' is out of range; " + range;
    if (ec != std::errc{} || ptr != end || text.empty()) return "'" + text + "' is not a whole number; " + range;
    if (v < lo || v > hi) return "'" + text + "' is out of range; " + range;
    return {};
}

template <typename T>
CLI::Validator integer_in(T lo, T hi) {
    return CLI::Validator([lo, hi](std::string& text) { return integer_problem(text, lo, hi); },
                          std::to_string(lo) + " to " + std::to_string(hi), "integer range");
}

std::string show(double v) {
    std::ostringstream s;
    s << v;
    return s.str();
}

std::string interval_text(const Interval& r) {
    std::string text = "a number " + std::string(r.lo_open ? "above " : "at least ") + show(r.lo);
    if (!std::isinf(r.hi)) text += std::string(r.hi_open ? " and below " : " and at most ") + show(r.hi);
    return text;
}

int hardware_threads() {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (::sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
    return std::max(1u, std::thread::hardware_concurrency());
}

}  // namespace

CLI::Option* add_output_path(CLI::App* cmd, const std::string& name, std::string& target, const std::string& help) {
    return cmd->add_option(name, target, help)->check(writable_path());
}

CLI::Option* add_integer(CLI::App* cmd, const std::string& name, int& target, std::int64_t lo, std::int64_t hi,
                         const std::string& help) {
    return cmd->add_option(name, target, help)->check(integer_in(lo, hi));
}

CLI::Option* add_integer(CLI::App* cmd, const std::string& name, std::int64_t& target, std::int64_t lo,
                         std::int64_t hi, const std::string& help) {
    return cmd->add_option(name, target, help)->check(integer_in(lo, hi));
}

CLI::Option* add_integer(CLI::App* cmd, const std::string& name, std::uint64_t& target, const std::string& help) {
    return cmd->add_option(name, target, help)
        ->check(integer_in<std::uint64_t>(0, std::numeric_limits<std::uint64_t>::max()));
}

CLI::Option* add_number(CLI::App* cmd, const std::string& name, double& target, Interval r, const std::string& help) {
    const std::string expected = "expected " + interval_text(r);
    CLI::Validator check(
        [r, expected](std::string& text) -> std::string {
            char* end = nullptr;
            const double v = std::strtod(text.c_str(), &end);
            if (text.empty() || end != text.c_str() + text.size()) return "'" + text + "' is not a number; " + expected;
            if (!std::isfinite(v)) return "'" + text + "' is not a finite number; " + expected;
            const bool above = r.lo_open ? v > r.lo : v >= r.lo;
            const bool below = r.hi_open ? v < r.hi : v <= r.hi;
            if (!above || !below) return "'" + text + "' is out of range; " + expected;
            return {};
        },
        interval_text(r), "number range");
    return cmd->add_option(name, target, help)->check(check);
}

CLI::Option* add_choice(CLI::App* cmd, const std::string& name, std::string& target,
                        const std::vector<std::string>& names, const std::string& help) {
    return cmd->add_option(name, target, help)->check(CLI::IsMember(names));
}

CLI::Option* add_threads(CLI::App* cmd, std::optional<int>& target) {
    const int max = hardware_threads();
    return cmd->add_option("--threads", target,
                           "Threads, 1 to " + std::to_string(max) +
                               " (this machine's hardware threads; default: NABLA_NUM_THREADS or all of them)")
        ->check(CLI::Validator(
            [max](std::string& text) {
                std::string why = integer_problem<std::int64_t>(text, 1, max);
                return why.empty() ? why : why + " (this machine's hardware threads; more only slow each epoch down)";
            },
            "1 to " + std::to_string(max), "thread count"));
}

void apply_threads(const std::optional<int>& flag) {
    if (flag) {
        // The library reads NABLA_NUM_THREADS once, on first use, and throws
        // on a bad value; the flag overrides the variable, so drop it first.
        ::unsetenv("NABLA_NUM_THREADS");
        set_num_threads(*flag);
        return;
    }
    const char* env = std::getenv("NABLA_NUM_THREADS");
    if (!env) return;
    const int max = hardware_threads();
    if (const std::string why = integer_problem<std::int64_t>(env, 1, max); !why.empty())
        throw ValueError("the environment variable NABLA_NUM_THREADS is invalid: " + why +
                         " (this machine's hardware threads); fix or unset it, or pass --threads N");
    set_num_threads(std::atoi(env));
}

}  // namespace nabla::cli
