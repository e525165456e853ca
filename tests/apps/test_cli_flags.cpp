// `nabla` number and choice flags: every bad value is refused with the valid
// range (no 309-digit bound, no silent clamping or wrapping, no ignored NaN),
// --threads is capped at the hardware threads and wins over a bad
// NABLA_NUM_THREADS, and --colour's help shows names, not enum numbers.
#include <gtest/gtest.h>
#include <sched.h>

#include <string>
#include <utility>
#include <vector>

#include "apps/cli_run.hpp"
#include "support/temp_dir.hpp"

#ifdef NABLA_CLI_PATH
namespace {

using nabla::test::CliRun;

CliRun run(const std::string& args) { return nabla::test::run_cli(NABLA_CLI_PATH, args); }

int cpus() {
    cpu_set_t set;
    CPU_ZERO(&set);
    return ::sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 0;
}

TEST(CliFlags, BadNumbersNameTheValidRange) {
    const std::string threads = std::to_string(cpus());
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"--epochs abc", "--epochs: 'abc' is not a whole number; expected a whole number from 1 to 2147483647"},
        {"--epochs 0", "--epochs: '0' is out of range; expected a whole number from 1 to 2147483647"},
        {"--epochs 2147483648", "'2147483648' is out of range"},
        {"--epochs 1.5", "'1.5' is not a whole number"},
        {"--seed -1", "--seed: '-1' is not a whole number; expected a whole number from 0 to 18446744073709551615"},
        {"--seed 18446744073709551616", "'18446744073709551616' is out of range"},
        {"--batch-size 99999999999999999999", "expected a whole number from 1 to 9223372036854775807"},
        {"--learning-rate nan", "--learning-rate: 'nan' is not a finite number; expected a number above 0"},
        {"--learning-rate inf", "'inf' is not a finite number"},
        {"--learning-rate -0.1", "'-0.1' is out of range; expected a number above 0"},
        {"--learning-rate fast", "'fast' is not a number"},
        {"--validation-split nan", "expected a number at least 0 and below 1"},
        {"--validation-split 1", "'1' is out of range; expected a number at least 0 and below 1"},
        {"--verbose 3", "expected a whole number from 0 to 2"},
        {"--threads 0x10", "'0x10' is not a whole number"},
        {"--threads 1000", "'1000' is out of range; expected a whole number from 1 to " + threads +
                               " (this machine's hardware threads"},
    };
    for (const auto& [flag, message] : cases) {
        CliRun r = run("train " + flag + " --data-dir /nonexistent");
        EXPECT_NE(r.status, 0) << flag << ":\n" << r.output;
        EXPECT_NE(r.output.find(message), std::string::npos) << flag << ":\n" << r.output;
        EXPECT_EQ(r.output.find("179769313486"), std::string::npos) << flag << ":\n" << r.output;
        EXPECT_EQ(r.output.find("data directory"), std::string::npos) << flag << " was accepted:\n" << r.output;
    }
    for (const auto& [flag, message] : std::vector<std::pair<std::string, std::string>>{
             {"--index 99999999999999999999", "'99999999999999999999' is out of range"},
             {"--scale 0", "--scale: '0' is out of range; expected a whole number from 1 to 64"},
             {"--scale 1e1", "'1e1' is not a whole number"}}) {
        CliRun r = run("show " + flag + " --data-dir /nonexistent");
        EXPECT_NE(r.status, 0) << flag;
        EXPECT_NE(r.output.find(message), std::string::npos) << flag << ":\n" << r.output;
    }
}

TEST(CliFlags, ThreadsFlagWinsOverABadEnvironmentVariable) {
    nabla::test::TempDir empty;
    CliRun flag_env = nabla::test::run_cli("NABLA_NUM_THREADS=x " + std::string(NABLA_CLI_PATH),
                                           "train --threads 1 --data-dir " + empty.path().string());
    EXPECT_EQ(flag_env.output.find("NABLA_NUM_THREADS must be"), std::string::npos) << flag_env.output;
    EXPECT_NE(flag_env.output.find(empty.path().string()), std::string::npos) << "did not get to the data:\n"
                                                                              << flag_env.output;
    CliRun env_only = nabla::test::run_cli("NABLA_NUM_THREADS=x " + std::string(NABLA_CLI_PATH),
                                           "train --data-dir " + empty.path().string());
    EXPECT_EQ(env_only.status, 1) << env_only.output;
    EXPECT_NE(env_only.output.find("the environment variable NABLA_NUM_THREADS is invalid: 'x' is not a whole number; "
                                   "expected a whole number from 1 to " + std::to_string(cpus())),
              std::string::npos) << env_only.output;
    EXPECT_NE(env_only.output.find("--threads"), std::string::npos) << env_only.output;
}

TEST(CliFlags, ColourHelpShowsNames) {
    CliRun help = run("show --help");
    const auto line = help.output.substr(help.output.find("--colour"));
    EXPECT_NE(line.find("{ansi256,ascii,auto,truecolor}"), std::string::npos) << help.output;
    EXPECT_EQ(line.find("->"), std::string::npos) << "enum numbers in the help:\n" << help.output;
    CliRun bad = run("show --colour red");
    EXPECT_NE(bad.status, 0);
    EXPECT_NE(bad.output.find("red not in {ansi256,ascii,auto,truecolor}"), std::string::npos) << bad.output;
}

}  // namespace
#endif
