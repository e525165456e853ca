// Issue 13 item 11: temporary files of an interrupted write or download are
// removed on SIGINT/SIGTERM, and what a killed process left is swept later.
// Each case runs this test binary again as a child (fork + exec), which
// starts a write or download that does not finish, and signals it.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "../src/data/download.hpp"
#include "../src/io/temp_files.hpp"
#include "data/http_server.hpp"
#include "nabla/core/error.hpp"
#include "nabla/io/file.hpp"
#include "support/temp_dir.hpp"

extern char** environ;

namespace fs = std::filesystem;
using nabla::test::TempDir;

namespace {

// --- The child's side: runs before main() when the variables are set. ---

void child_main(const std::string& mode, const fs::path& dir) {
    if (std::getenv("NABLA_TEMP_CHILD_CHAIN")) {
        // A handler the program installed first: it must still run.
        std::signal(SIGTERM, [](int) { ::_exit(42); });
    }
    if (mode == "write") {
        nabla::io::atomic_write(dir / "big.bin", [](std::ostream& os) {
            os << std::string(1 << 20, 'x') << std::flush;
            std::this_thread::sleep_for(std::chrono::seconds(30));  // killed in here
        });
    } else {
        nabla::datasets::detail::DownloadOptions o;
        o.quiet = true;
        o.progress = false;
        nabla::datasets::detail::download_verified({std::getenv("NABLA_TEMP_CHILD_URL")},
                                                    dir / "f.gz", std::string(64, '0'), 200'000, o);
    }
    ::_exit(3);  // not reached when the signal works
}

[[maybe_unused]] const bool g_child = [] {
    const char* mode = std::getenv("NABLA_TEMP_CHILD");
    if (mode) child_main(mode, std::getenv("NABLA_TEMP_CHILD_DIR"));
    return mode != nullptr;
}();

// --- The parent's side. ---

std::vector<std::string> temporaries(const fs::path& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir)) {
        const std::string n = e.path().filename().string();
        if (n.find(".tmp-") != std::string::npos || n.find(".part-") != std::string::npos)
            out.push_back(n);
    }
    return out;
}

pid_t spawn_child(const std::vector<std::string>& vars) {
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e) env.emplace_back(*e);
    env.insert(env.end(), vars.begin(), vars.end());
    std::vector<char*> envp;
    for (auto& s : env) envp.push_back(s.data());
    envp.push_back(nullptr);
    std::string self = "/proc/self/exe", filter = "--gtest_filter=-*";
    char* argv[] = {self.data(), filter.data(), nullptr};
    pid_t pid = -1;
    if (::posix_spawn(&pid, "/proc/self/exe", nullptr, nullptr, argv, envp.data()) != 0) return -1;
    return pid;
}

// Starts the child, waits until its temporary file exists, signals it and
// returns its wait status.
int interrupt_child(const fs::path& dir, const std::vector<std::string>& vars, int sig) {
    const pid_t pid = spawn_child(vars);
    EXPECT_GT(pid, 0);
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (temporaries(dir).empty() && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    EXPECT_FALSE(temporaries(dir).empty()) << "the child never started writing";
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // well inside the write
    ::kill(pid, sig);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return status;
}

}  // namespace

TEST(TempFiles, SigtermDuringAtomicWriteRemovesTheTemporary) {
    TempDir dir;
    const int status = interrupt_child(dir.path(), {"NABLA_TEMP_CHILD=write",
                                                    "NABLA_TEMP_CHILD_DIR=" + dir.path().string()},
                                       SIGTERM);
    ASSERT_TRUE(WIFSIGNALED(status)) << status;  // the default action still ends it
    EXPECT_EQ(WTERMSIG(status), SIGTERM);
    EXPECT_EQ(temporaries(dir.path()), std::vector<std::string>{});
    EXPECT_FALSE(fs::exists(dir / "big.bin"));
}

TEST(TempFiles, SigintDuringDownloadRemovesThePartFile) {
    nabla::test::HttpServer server;
    nabla::test::HttpServer::Response drip{200, std::string(200'000, 'x')};
    drip.drip_bytes = 1000;  // 20 s for the whole body
    drip.drip_ms = 100;
    server.serve("/f.gz", drip);
    TempDir dir;
    const int status = interrupt_child(
        dir.path(), {"NABLA_TEMP_CHILD=download", "NABLA_TEMP_CHILD_DIR=" + dir.path().string(),
                     "NABLA_TEMP_CHILD_URL=" + server.url("f.gz")},
        SIGINT);
    ASSERT_TRUE(WIFSIGNALED(status)) << status;
    EXPECT_EQ(WTERMSIG(status), SIGINT);
    EXPECT_EQ(temporaries(dir.path()), std::vector<std::string>{});
}

// The program's own handler is called instead, and the files are kept (it
// might carry on writing); when it exits, the next write sweeps them.
TEST(TempFiles, AnEarlierHandlerStillRuns) {
    TempDir dir;
    const int status = interrupt_child(dir.path(), {"NABLA_TEMP_CHILD=write", "NABLA_TEMP_CHILD_CHAIN=1",
                                                    "NABLA_TEMP_CHILD_DIR=" + dir.path().string()},
                                       SIGTERM);
    ASSERT_TRUE(WIFEXITED(status)) << status;
    EXPECT_EQ(WEXITSTATUS(status), 42);  // the program's own handler
    EXPECT_EQ(temporaries(dir.path()).size(), 1u);
    nabla::io::atomic_write(dir / "big.bin", std::vector<std::uint8_t>{1});
    EXPECT_EQ(temporaries(dir.path()), std::vector<std::string>{});
}

// SIGKILL cannot be caught: the next write to the same target sweeps what a
// dead process left, and keeps a live writer's file.
TEST(TempFiles, StaleTemporariesAreSweptOnTheNextRun) {
    TempDir dir;
    const pid_t dead = ::fork();
    if (dead == 0) ::_exit(0);
    ::waitpid(dead, nullptr, 0);
    const std::string d = std::to_string(dead), me = std::to_string(::getpid());
    for (const std::string& n : std::vector<std::string>{"a.bin.tmp-" + d + "-abc123", "a.bin.tmp-" + me + "-live00",
                                 "a.bin.tmp-old000", "a.bin.tmp-new000", "other.tmp-" + d + "-x00000",
                                 "f.gz.part-" + d + "-Zq3xYw"})
        std::ofstream(dir / n) << "left over";
    fs::last_write_time(dir / "a.bin.tmp-old000", fs::file_time_type::clock::now() - std::chrono::hours(2));
    nabla::io::atomic_write(dir / "a.bin", std::vector<std::uint8_t>{1, 2});
    auto left = temporaries(dir.path());
    std::sort(left.begin(), left.end());
    EXPECT_EQ(left, (std::vector<std::string>{"a.bin.tmp-" + me + "-live00", "a.bin.tmp-new000",
                                              "f.gz.part-" + d + "-Zq3xYw",
                                              "other.tmp-" + d + "-x00000"}));
    // A download sweeps its destination's .part files first.
    nabla::test::HttpServer server;
    nabla::datasets::detail::DownloadOptions o;
    o.quiet = true;
    o.progress = false;
    EXPECT_THROW(nabla::datasets::detail::download_verified({server.url("none.gz")}, dir / "f.gz",
                                                             std::string(64, '0'), 10, o),
                 nabla::IOError);
    EXPECT_FALSE(fs::exists(dir / ("f.gz.part-" + d + "-Zq3xYw")));
}
