// io::check_writable: output paths refused before a run spends its time, and
// nothing created at the path by the check.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <string>

#include "nabla/core/error.hpp"
#include "nabla/io/file.hpp"
#include "support/temp_dir.hpp"

using namespace nabla;
using nabla::test::TempDir;
namespace fs = std::filesystem;

namespace {

std::string refusal(const fs::path& p) {
    try {
        io::check_writable(p);
    } catch (const IOError& e) {
        return e.what();
    }
    return "(accepted)";
}

}  // namespace

TEST(CheckWritable, NewAndExistingFilesInAWritableDirectoryPass) {
    TempDir dir;
    EXPECT_NO_THROW(io::check_writable(dir / "history.json"));
    EXPECT_EQ(dir.count(), 0) << "the check created something";
    std::ofstream(dir / "old.json") << "{}";
    EXPECT_NO_THROW(io::check_writable(dir / "old.json"));
    EXPECT_EQ(dir.count(), 1);
    fs::create_symlink(dir / "old.json", dir / "link.json");
    EXPECT_NO_THROW(io::check_writable(dir / "link.json"));
    fs::create_symlink(dir / "new.json", dir / "dangling.json");
    EXPECT_NO_THROW(io::check_writable(dir / "dangling.json"));
    EXPECT_FALSE(fs::exists(dir / "new.json"));
    EXPECT_NO_THROW(io::check_writable("/dev/null"));  // written into, not replaced
}

TEST(CheckWritable, BadPathsAreNamedWithTheReason) {
    TempDir dir;
    const fs::path missing = dir / "no-such-dir" / "h.json";
    EXPECT_EQ(refusal(missing), "cannot write '" + missing.string() + "': the directory '" +
                                    (dir / "no-such-dir").string() + "' does not exist");
    EXPECT_EQ(refusal(dir.path()), "cannot write '" + dir.path().string() + "': it is a directory; name a file inside it");
    EXPECT_NE(refusal(dir.path().string() + "/").find("ends in '/'"), std::string::npos);
    EXPECT_NE(refusal("").find("empty path"), std::string::npos);
    std::ofstream(dir / "plain") << "x";
    EXPECT_NE(refusal(dir / "plain" / "h.json").find("'" + (dir / "plain").string() + "' is not a directory"),
              std::string::npos) << refusal(dir / "plain" / "h.json");
    fs::create_symlink(dir / "gone" / "x.json", dir / "dangling.json");
    EXPECT_NE(refusal(dir / "dangling.json").find("the directory '" + (dir / "gone").string() + "' does not exist"),
              std::string::npos) << refusal(dir / "dangling.json");
}

TEST(CheckWritable, DirectoriesThatTakeNoNewFileAreRefused) {
    // /proc refuses new files even to root (permission bits would not say so).
    EXPECT_NE(refusal("/proc/history.json").find("no file can be created in the directory '/proc'"), std::string::npos)
        << refusal("/proc/history.json");
    TempDir dir;
    fs::create_directory(dir / "ro");
    ::chmod((dir / "ro").c_str(), 0555);
    if (::geteuid() != 0)  // root may write there anyway, so the check must pass it
        EXPECT_NE(refusal(dir / "ro" / "h.json").find("no file can be created"), std::string::npos);
    else
        EXPECT_NO_THROW(io::check_writable(dir / "ro" / "h.json"));
    EXPECT_EQ(fs::is_empty(dir / "ro"), true);
    ::chmod((dir / "ro").c_str(), 0755);
}

TEST(CheckWritable, SocketsAreRefused) {
    TempDir dir;
    const fs::path sock = dir / "s";
    const std::string name = sock.string();
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    ASSERT_LT(name.size(), sizeof addr.sun_path);
    std::copy(name.begin(), name.end(), addr.sun_path);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_NE(refusal(sock).find("it is a socket"), std::string::npos);
    ::close(fd);
}
