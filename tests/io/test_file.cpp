#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <csignal>
#include <fstream>
#include <ostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

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
    // Refused before a temporary file is made (not at the rename).
    EXPECT_NE(msg.find("cannot write '" + (dir / "sub").string() + "': Is a directory"),
              std::string::npos) << msg;
    EXPECT_EQ(dir.count(), 1);
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

// --- Item 10 of issue 13: what the target is decides how it is written. ---

namespace {

bool is_link(const std::filesystem::path& p) {
    struct stat st {};
    return ::lstat(p.c_str(), &st) == 0 && S_ISLNK(st.st_mode);
}

std::string str_of(const std::vector<std::uint8_t>& v) { return {v.begin(), v.end()}; }

// Reads a FIFO to end-of-file on a thread (opening it for reading is what
// lets the writer's open return).
class FifoReader {
public:
    explicit FifoReader(const std::filesystem::path& fifo)
        : thread_([this, fifo] { got_ = slurp(fifo); }) {}
    std::string get() {
        thread_.join();
        return got_;
    }

private:
    std::string got_;
    std::thread thread_;
};

}  // namespace

TEST(AtomicWrite, SymlinkSurvivesAndItsTargetGetsTheBytes) {
    TempDir dir;
    std::filesystem::create_directory(dir / "real");
    std::ofstream(dir / "real" / "data.txt") << "old";
    std::filesystem::create_symlink("real/data.txt", dir / "link");  // relative
    std::filesystem::create_symlink(dir / "link", dir / "link2");     // a chain
    io::atomic_write(dir / "link2", std::vector<std::uint8_t>{'n', 'e', 'w'});
    EXPECT_TRUE(is_link(dir / "link"));
    EXPECT_TRUE(is_link(dir / "link2"));
    EXPECT_EQ(slurp(dir / "real" / "data.txt"), "new");
    EXPECT_EQ(dir.count(), 3);                    // real/, link, link2
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir / "real"),
                            std::filesystem::directory_iterator{}), 1);  // no temporary left
    // A dangling link: its target is created, the link kept.
    std::filesystem::create_symlink("real/new.txt", dir / "dangling");
    io::atomic_write(dir / "dangling", [](std::ostream& os) { os << "made"; });
    EXPECT_TRUE(is_link(dir / "dangling"));
    EXPECT_EQ(slurp(dir / "real" / "new.txt"), "made");
}

TEST(AtomicWrite, FifoGetsTheBytesInPlace) {
    TempDir dir;
    ASSERT_EQ(::mkfifo((dir / "pipe").c_str(), 0600), 0);
    FifoReader reader(dir / "pipe");
    std::vector<std::uint8_t> big(200'000);  // more than a pipe buffer
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<std::uint8_t>('a' + i % 26);
    io::atomic_write(dir / "pipe", big);
    EXPECT_EQ(reader.get(), str_of(big));
    struct stat st {};
    ASSERT_EQ(::lstat((dir / "pipe").c_str(), &st), 0);
    EXPECT_TRUE(S_ISFIFO(st.st_mode));
    EXPECT_EQ(dir.count(), 1);
    EXPECT_TRUE(io::writes_in_place(dir / "pipe"));
    EXPECT_FALSE(io::writes_in_place(dir / "missing"));
}

// Through links into /dev: before the fix the rename replaced the link with a
// plain file (and, as root, /dev/stderr and /dev/full themselves).
TEST(AtomicWrite, DevicesAreWrittenNotReplaced) {
    TempDir dir;
    std::filesystem::create_symlink("/dev/null", dir / "null");
    io::atomic_write(dir / "null", [](std::ostream& os) { os << "discarded"; });
    EXPECT_TRUE(is_link(dir / "null"));
    struct stat st {};
    ASSERT_EQ(::stat("/dev/null", &st), 0);
    EXPECT_TRUE(S_ISCHR(st.st_mode));
    EXPECT_TRUE(io::writes_in_place(dir / "null"));
    EXPECT_EQ(dir.count(), 1);
    if (std::filesystem::exists("/dev/full")) {
        std::filesystem::create_symlink("/dev/full", dir / "full");
        const std::string msg = io_error_message([&] {
            io::atomic_write(dir / "full", std::vector<std::uint8_t>(10, 'x'));
        });
        EXPECT_NE(msg.find("'" + (dir / "full").string() + "': No space left on device"),
                  std::string::npos) << msg;
        EXPECT_TRUE(is_link(dir / "full"));
    }
}

TEST(AtomicWrite, UnwritableTargetsAreNamed) {
    TempDir dir;
    std::filesystem::create_directory(dir / "sub");
    std::string msg = io_error_message([&] { io::atomic_write(dir / "sub", std::vector<std::uint8_t>{1}); });
    EXPECT_NE(msg.find("'" + (dir / "sub").string() + "': Is a directory"), std::string::npos) << msg;
    EXPECT_TRUE(std::filesystem::is_directory(dir / "sub"));
    std::filesystem::create_symlink("nodir/x.txt", dir / "bad");
    msg = io_error_message([&] { io::atomic_write(dir / "bad", std::vector<std::uint8_t>{1}); });
    EXPECT_NE(msg.find("'" + (dir / "bad").string() + "' (-> '" + (dir / "nodir/x.txt").string() +
                       "'): No such file or directory"),
              std::string::npos) << msg;
    EXPECT_TRUE(is_link(dir / "bad"));
}
