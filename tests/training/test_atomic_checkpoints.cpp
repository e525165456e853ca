// Checkpoint writes are atomic: a save that fails (full disk, read-only
// directory) or is killed halfway leaves the previous backup intact, and no
// temporary file survives (a killed save's is removed at the next start).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <filesystem>
#include <set>
#include <thread>

#include "nabla/nabla.hpp"
#include "support/temp_dir.hpp"
#include "training/fake_model.hpp"

using namespace nabla;
using callbacks::BackupAndRestore;
namespace fs = std::filesystem;

namespace {

std::set<std::string> listing(const fs::path& dir) {
    std::set<std::string> names;
    for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
    return names;
}

const std::set<std::string> kPair = {"latest.weights.h5", "training_metadata.json"};

// A backup of epoch 1 with small weights, then a save of epoch 2 whose
// weights do not fit: the save throws IOError and the epoch-1 pair stands.
void expect_failed_save_keeps_the_old_pair(const fs::path& backup, const std::function<void()>& break_it) {
    test::FakeModel m;
    BackupAndRestore cb(backup, {.delete_checkpoint = false});
    cb.set_model(&m);
    cb.on_train_begin({});
    cb.on_epoch_end(0, {});
    const auto weights = io::read_file(backup / "latest.weights.h5");
    const auto meta = io::read_file(backup / "training_metadata.json");
    break_it();
    m.w.assign(200000, 0.5f);  // 800 kB
    EXPECT_THROW(cb.on_epoch_end(1, {}), IOError);
    EXPECT_EQ(io::read_file(backup / "latest.weights.h5"), weights);
    EXPECT_EQ(io::read_file(backup / "training_metadata.json"), meta);
    EXPECT_EQ(listing(backup), kPair) << "a temporary file was left behind";
}

// A small tmpfs at `dir` (root only). False when mounting is not permitted.
bool mount_tmpfs(const fs::path& dir, const char* options) {
    fs::create_directories(dir);
    return ::mount("tmpfs", dir.c_str(), "tmpfs", 0, options) == 0;
}

}  // namespace

TEST(AtomicCheckpoint, FullDiskKeepsThePreviousBackup) {
    test::TempDir dir;
    const fs::path mnt = dir.path() / "small";
    if (mount_tmpfs(mnt, "size=64k")) {
        // A real full disk: ENOSPC from write (or fsync).
        expect_failed_save_keeps_the_old_pair(mnt / "b", [] {});
        ::umount(mnt.c_str());
        return;
    }
    // Not root: RLIMIT_FSIZE in a child process gives EFBIG at the same place.
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        ::signal(SIGXFSZ, SIG_IGN);
        const rlimit lim{65536, 65536};
        ::setrlimit(RLIMIT_FSIZE, &lim);
        expect_failed_save_keeps_the_old_pair(dir.path() / "b", [] {});
        ::_exit(testing::Test::HasFailure() ? 1 : 0);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the child's checks failed (see its output)";
}

TEST(AtomicCheckpoint, ReadOnlyDirectoryKeepsThePreviousBackup) {
    test::TempDir dir;
    const fs::path mnt = dir.path() / "ro";
    if (::geteuid() == 0) {
        // Root ignores permission bits: make the file system itself read-only.
        ASSERT_TRUE(mount_tmpfs(mnt, "size=1m")) << "root but cannot mount a tmpfs";
        expect_failed_save_keeps_the_old_pair(mnt / "b", [&] {
            ASSERT_EQ(::mount("tmpfs", mnt.c_str(), "tmpfs", MS_REMOUNT | MS_RDONLY, "size=1m"), 0);
        });
        ::umount(mnt.c_str());
    } else {
        const fs::path b = dir.path() / "b";
        expect_failed_save_keeps_the_old_pair(b, [&] { ::chmod(b.c_str(), 0555); });
        ::chmod(b.c_str(), 0755);
    }
}

// A child saves 4 MB backups in a loop; the parent kills it with SIGKILL at
// varying moments. Each time, a restart finds a consistent pair (the
// checksum matches, the weights are one whole save) and no temporary file
// is left once it has started.
TEST(AtomicCheckpoint, KilledSavesLeaveAConsistentBackup) {
    test::TempDir dir;
    const fs::path b = dir.path() / "b";
    int killed_mid_save = 0;
    for (int round = 0; round < 6; ++round) {
        const pid_t pid = ::fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
            test::FakeModel m;
            BackupAndRestore cb(b, {.delete_checkpoint = false});
            cb.set_model(&m);
            cb.on_train_begin({});
            for (int e = 0;; ++e) {
                m.w.assign(1 << 20, static_cast<float>(e));  // every value = the epoch it was saved at
                cb.on_epoch_end(e, {});
            }
        }
        // Wait for a first backup, then kill at a different point each round.
        for (int i = 0; i < 2000 && !fs::exists(b / "training_metadata.json"); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        std::this_thread::sleep_for(std::chrono::milliseconds(7 * round + 3));
        ::kill(pid, SIGKILL);
        int status = 0;
        ::waitpid(pid, &status, 0);
        ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        if (listing(b) != kPair) ++killed_mid_save;  // a temporary or pending file was left

        test::FakeModel r;
        BackupAndRestore cb(b, {.delete_checkpoint = false});
        cb.set_model(&r);
        ASSERT_NO_THROW(cb.on_train_begin({})) << "round " << round;
        ASSERT_EQ(r.w.size(), std::size_t{1} << 20) << "round " << round;
        const float saved_at = r.w[0];
        EXPECT_EQ(r.resume_epoch, static_cast<int>(saved_at) + 1) << "weights and metadata are one save";
        EXPECT_EQ(std::count(r.w.begin(), r.w.end(), saved_at), std::ptrdiff_t{1} << 20) << "a torn weights file";
        EXPECT_EQ(listing(b), kPair) << "round " << round;
        fs::remove_all(b);
    }
    std::cout << "[ figures  ] " << killed_mid_save << " of 6 kills landed inside a save\n";
}
