#pragma once
// Runs the built `nabla` binary as a user would (tests/apps/).
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace nabla::test {

struct CliRun {
    int status = -1;     // exit status; -1 when killed by a signal
    std::string output;  // stdout and stderr together
};

// `args` is appended to the binary's path and run by the shell.
inline CliRun run_cli(const std::string& cli, const std::string& args) {
    const std::string command = cli + " " + args + " 2>&1";
    CliRun r;
    FILE* pipe = ::popen(command.c_str(), "r");
    if (!pipe) return r;
    std::array<char, 4096> buf;
    while (std::size_t n = std::fread(buf.data(), 1, buf.size(), pipe)) r.output.append(buf.data(), n);
    const int raw = ::pclose(pipe);
    r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
    return r;
}

}  // namespace nabla::test
