#include "io/replace_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "nabla/core/error.hpp"

namespace nabla::io::detail {
namespace {

[[noreturn]] void fail(const std::filesystem::path& path, const char* what, int err) {
    throw IOError("cannot write '" + path.string() + "': " + what + ": " + std::strerror(err));
}

// Writes everything or returns the errno of the failing call.
int write_all(int fd, std::span<const std::uint8_t> bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
        ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        done += static_cast<std::size_t>(n);
    }
    return 0;
}

// Read without umask(2), which would briefly change it for every thread.
mode_t current_umask() {
    std::ifstream status("/proc/self/status");
    std::string key;
    while (status >> key) {
        if (key == "Umask:") {
            std::string value;
            status >> value;
            return static_cast<mode_t>(std::stoul(value, nullptr, 8));
        }
    }
    return 022;
}

}  // namespace

void replace_file(const std::filesystem::path& path, std::span<const std::uint8_t> bytes) {
    std::string tmpl = path.string() + ".tmp-XXXXXX";
    std::vector<char> name(tmpl.begin(), tmpl.end());
    name.push_back('\0');
    int fd = ::mkstemp(name.data());
    if (fd < 0) fail(path, "cannot create a temporary file beside it", errno);
    // mkstemp creates 0600; a picture or data file should get the
    // permissions a plain open() would give (0666 less the umask).
    ::fchmod(fd, 0666 & ~current_umask());
    int err = write_all(fd, bytes);
    if (err == 0 && ::fsync(fd) != 0) err = errno;
    if (::close(fd) != 0 && err == 0) err = errno;
    if (err == 0 && std::rename(name.data(), path.c_str()) != 0) err = errno;
    if (err != 0) {
        ::unlink(name.data());
        fail(path, "writing the temporary file or renaming it into place failed", err);
    }
}

}  // namespace nabla::io::detail
