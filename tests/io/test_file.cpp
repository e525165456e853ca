#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <csignal>
#include <fstream>
#include <ostream>
#include <sstream>
#include <string>

#include "nabla/core/error.hpp"
#include "nabla/io/file.hpp"
#include "support/temp_dir.hpp"

using namespace nabla;
using nabla::test::TempDir;

namespace {

std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

template <typename F>
std::string io_error_message(F&& f) {
    try {
        f();
    } catch (const IOError& e) {
        return e.what();
    }
    return "(no IOError)";
}

}  // namespace

TEST(AtomicWrite, WritesThroughTheStream) {
    TempDir dir;
    io::atomic_write(dir / "a.txt", [](std::ostream& os) { os << "hello " << 42 << '\n'; });
    EXPECT_EQ(slurp(dir / "a.txt"), "hello 42\n");
    EXPECT_EQ(dir.count(), 1);  // no temporary file left behind
}

TEST(AtomicWrite, ReplacesAnExistingFileAndWritesBytes) {
    TempDir dir;
    io::atomic_write(dir / "b.bin", [](std::ostream& os) { os << "old content, longer"; });
    const std::vector<std::uint8_t> bytes{0, 1, 2, 255, 0};
    io::atomic_write(dir / "b.bin", bytes);
    EXPECT_EQ(io::read_file(dir / "b.bin"), bytes);
    EXPECT_EQ(dir.count(), 1);
}

TEST(AtomicWrite, LargeWritesBypassingTheBuffer) {
    TempDir dir;
    std::vector<std::uint8_t> big(3'000'017);
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<std::uint8_t>(i * 31 + 7);
    io::atomic_write(dir / "big.bin", [&](std::ostream& os) {
        os << 'x';
        os.write(reinterpret_cast<const char*>(big.data()),
                 static_cast<std::streamsize>(big.size()));
        os << 'y';
    });
    const auto back = io::read_file(dir / "big.bin");
    ASSERT_EQ(back.size(), big.size() + 2);
    EXPECT_EQ(back.front(), 'x');
    EXPECT_EQ(back.back(), 'y');
    EXPECT_TRUE(std::equal(big.begin(), big.end(), back.begin() + 1));
}

TEST(AtomicWrite, FileGetsTheUsualPermissions) {
    TempDir dir;
    io::atomic_write(dir / "p.txt", [](std::ostream& os) { os << "x"; });
    const mode_t mask = ::umask(0);
    ::umask(mask);
    struct stat st {};
    ASSERT_EQ(::stat((dir / "p.txt").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0666 & ~mask);
}

TEST(AtomicWrite, WriterExceptionLeavesOldFileAndNoTemp) {
    TempDir dir;
    io::atomic_write(dir / "c.txt", [](std::ostream& os) { os << "keep me"; });
    EXPECT_THROW(io::atomic_write(dir / "c.txt",
                                  [](std::ostream& os) {
                                      os << "partial";
                                      throw ValueError("writer gave up");
                                  }),
                 ValueError);
    EXPECT_EQ(slurp(dir / "c.txt"), "keep me");
    EXPECT_EQ(dir.count(), 1);
}

TEST(AtomicWrite, MissingDirectoryIsAnIOError) {
    TempDir dir;
    const auto path = dir / "no" / "such" / "d.txt";
    const std::string msg =
        io_error_message([&] { io::atomic_write(path, std::vector<std::uint8_t>{1}); });
    EXPECT_NE(msg.find(path.string()), std::string::npos) << msg;
    EXPECT_NE(msg.find("No such file or directory"), std::string::npos) << msg;
}

TEST(AtomicWrite, TargetIsADirectory) {
    TempDir dir;
    std::filesystem::create_directories(dir / "sub" / "inner");
    const std::string msg =
        io_error_message([&] { io::atomic_write(dir / "sub", std::vector<std::uint8_t>{1}); });
    EXPECT_NE(msg.find("cannot rename into"), std::string::npos) << msg;
    EXPECT_NE(msg.find((dir / "sub").string()), std::string::npos) << msg;
    EXPECT_EQ(dir.count(), 1);  // the temporary file was removed
}

TEST(AtomicWrite, WriteErrorNamesTheReasonAndCleansUp) {
    // A file size limit makes write() fail with EFBIG part-way through.
    TempDir dir;
    io::atomic_write(dir / "e.bin", [](std::ostream& os) { os << "original"; });
    struct rlimit old {};
    ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old), 0);
    auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
    struct rlimit small = old;
    small.rlim_cur = 100'000;
    ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
    const std::vector<std::uint8_t> big(1'000'000, 7);
    const std::string msg = io_error_message([&] { io::atomic_write(dir / "e.bin", big); });
    ::setrlimit(RLIMIT_FSIZE, &old);
    std::signal(SIGXFSZ, old_handler);
    EXPECT_NE(msg.find("cannot write"), std::string::npos) << msg;
    EXPECT_NE(msg.find((dir / "e.bin").string()), std::string::npos) << msg;
    EXPECT_NE(msg.find("File too large"), std::string::npos) << msg;
    EXPECT_EQ(slurp(dir / "e.bin"), "original");
    EXPECT_EQ(dir.count(), 1);
}

TEST(ReadFile, MissingFileAndDirectory) {
    TempDir dir;
    std::string msg = io_error_message([&] { io::read_file(dir / "absent.npy"); });
    EXPECT_NE(msg.find("absent.npy"), std::string::npos) << msg;
    EXPECT_NE(msg.find("No such file or directory"), std::string::npos) << msg;
    msg = io_error_message([&] { io::read_file(dir.path()); });
    EXPECT_NE(msg.find("Is a directory"), std::string::npos) << msg;
}

TEST(ReadFile, EmptyFile) {
    TempDir dir;
    io::atomic_write(dir / "empty", std::vector<std::uint8_t>{});
    EXPECT_TRUE(io::read_file(dir / "empty").empty());
}
