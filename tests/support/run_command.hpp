#pragma once
// Runs a shell command for a test (an oracle script, the built tool) and
// returns its exit status (as pclose gives it) and its stdout+stderr.
#include <cstdio>
#include <memory>
#include <string>

namespace nabla::test {

struct CommandResult {
    int status;
    std::string output;
};

inline CommandResult run_command(const std::string& command) {
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen((command + " 2>&1").c_str(), "r"), ::pclose);
    if (!pipe) return {-1, "popen failed: " + command};
    std::string out;
    char buf[4096];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, pipe.get())) out.append(buf, n);
    const int status = ::pclose(pipe.release());
    return {status, out};
}

}  // namespace nabla::test
