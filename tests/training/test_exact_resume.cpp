// BackupAndRestore end to end with a real kill: a training process is
// killed with SIGKILL in the middle of epoch 4 (0-based 3), after the backup
// of epoch 3, the same program is run
// again, and its final weights must equal an uninterrupted run's, bit for
// bit (same seed, same thread count) — Dropout masks, shuffles and Adam's
// state included.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "nabla/io/file.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;

namespace {

pid_t spawn(const std::vector<std::string>& args, const fs::path& log) {
    const pid_t pid = ::fork();
    if (pid == 0) {
        std::vector<char*> argv;
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        std::FILE* f = std::freopen(log.c_str(), "w", stdout);
        (void)f;
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    return pid;
}

int wait_exit(pid_t pid) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

// Runs the child until it pauses in epoch 3 (after batch 9), kills it.
void run_and_kill(const std::string& mode, const fs::path& backup, const fs::path& dir) {
    const fs::path marker = dir / "paused";
    const pid_t pid = spawn({NABLA_RESUME_CHILD_PATH, mode, backup.string(), (dir / "unused").string(), "3", "9",
                             marker.string()},
                            dir / "killed.log");
    for (int i = 0; i < 6000 && !fs::exists(marker); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ASSERT_TRUE(fs::exists(marker)) << slurp(dir / "killed.log");
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    // The backup of epochs 0-2 exists; epoch 3 was cut off mid-way.
    std::ifstream in(backup / "training_metadata.json");
    EXPECT_EQ(nlohmann::json::parse(in)["epoch"], 3);
}

// The whole check: uninterrupted run, killed run, rerun, compare.
void kill_and_resume(const std::string& mode) {
    nabla::test::TempDir dir;
    ASSERT_EQ(wait_exit(spawn({NABLA_RESUME_CHILD_PATH, mode, (dir.path() / "b_ref").string(),
                               (dir.path() / "ref.bin").string()},
                              dir.path() / "ref.log")),
              0)
        << slurp(dir.path() / "ref.log");
    EXPECT_NE(slurp(dir.path() / "ref.log").find("resumed_at: -1"), std::string::npos);
    EXPECT_FALSE(fs::exists(dir.path() / "b_ref")) << "the backup is deleted after a completed fit";

    const fs::path backup = dir.path() / "b";
    run_and_kill(mode, backup, dir.path());
    ASSERT_EQ(wait_exit(spawn({NABLA_RESUME_CHILD_PATH, mode, backup.string(), (dir.path() / "resumed.bin").string()},
                              dir.path() / "resumed.log")),
              0)
        << slurp(dir.path() / "resumed.log");
    EXPECT_NE(slurp(dir.path() / "resumed.log").find("resumed_at: 3"), std::string::npos)
        << slurp(dir.path() / "resumed.log");
    const std::string ref = slurp(dir.path() / "ref.bin"), resumed = slurp(dir.path() / "resumed.bin");
    ASSERT_EQ(ref.size(), resumed.size());
    ASSERT_GT(ref.size(), 0u);
    EXPECT_TRUE(ref == resumed) << "the resumed run's weights differ from the uninterrupted run's";
}

}  // namespace

// The resume logic alone: plain SGD, weights saved as raw floats.
TEST(ExactResume, KilledMidEpochThenRerunEqualsUninterruptedBitForBit) { kill_and_resume("raw"); }

// The whole path: Adam, and the model's own save_weights/load_weights
// (latest.weights.h5 with the optimizer's moments and iteration count).
TEST(ExactResume, WithAdamThroughKerasWeightsFilesBitForBit) { kill_and_resume("keras"); }

// The control: Keras's metadata alone (no random streams) resumes at the
// right epoch but draws other shuffles and Dropout masks, so the weights
// differ — which is what the random state in the backup is for.
TEST(ExactResume, WithoutTheRandomStateTheResumeIsNotExact) {
    nabla::test::TempDir dir;
    ASSERT_EQ(wait_exit(spawn({NABLA_RESUME_CHILD_PATH, "raw", (dir.path() / "b_ref").string(),
                               (dir.path() / "ref.bin").string()},
                              dir.path() / "ref.log")),
              0);
    const fs::path backup = dir.path() / "b";
    run_and_kill("raw", backup, dir.path());
    std::ifstream in(backup / "training_metadata.json");
    nlohmann::json j = nlohmann::json::parse(in);
    j.erase("nabla");  // what Keras writes: {"epoch", "batch"}
    const std::string text = j.dump();
    nabla::io::atomic_write(backup / "training_metadata.json",
                            std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
    ASSERT_EQ(wait_exit(spawn({NABLA_RESUME_CHILD_PATH, "raw", backup.string(), (dir.path() / "keras_like.bin").string()},
                              dir.path() / "k.log")),
              0)
        << slurp(dir.path() / "k.log");
    EXPECT_NE(slurp(dir.path() / "k.log").find("resumed_at: 3"), std::string::npos);
    EXPECT_NE(slurp(dir.path() / "ref.bin"), slurp(dir.path() / "keras_like.bin"));
}
