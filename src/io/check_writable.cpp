// io::check_writable: an output path judged before any work is spent on it.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>

#include "nabla/core/error.hpp"
#include "nabla/io/file.hpp"

namespace nabla::io {
namespace fs = std::filesystem;
namespace {

[[noreturn]] void refuse(const fs::path& path, const std::string& why) {
    throw IOError("cannot write '" + path.string() + "': " + why);
}

std::string errno_text(int err) { return std::generic_category().message(err); }

// The directory a new file at `path` would be created in ("." for a bare name).
fs::path directory_of(const fs::path& path) {
    const fs::path parent = path.parent_path();
    return parent.empty() ? fs::path(".") : parent;
}

// Creating a file in `dir` works (errno 0) or why not. The test is the real
// operation, so root, ACLs and read-only file systems get the truth that
// permission bits alone would not tell: an unnamed O_TMPFILE inode, which
// never appears in the directory and vanishes on close; where the file
// system has no O_TMPFILE (NFS, /proc), an empty, uniquely named probe file
// that is removed at once.
int creation_error(const fs::path& dir) {
    int fd = ::open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
    if (fd >= 0) {
        ::close(fd);
        return 0;
    }
    if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) return errno;
    std::string probe = (dir / ".nabla-check-XXXXXX").string();
    fd = ::mkostemp(probe.data(), O_CLOEXEC);
    if (fd < 0) return errno;
    ::close(fd);
    ::unlink(probe.c_str());
    return 0;
}

// atomic_write creates a temporary file beside the target and renames it
// over the target: the directory must exist and take a new file.
void check_directory(const fs::path& shown, const fs::path& dir) {
    struct stat st{};
    if (::stat(dir.c_str(), &st) != 0) {
        const int err = errno;
        refuse(shown, err == ENOENT ? "the directory '" + dir.string() + "' does not exist"
                      : err == ENOTDIR ? "'" + dir.string() + "' is not a directory"
                                       : "cannot inspect the directory '" + dir.string() + "': " + errno_text(err));
    }
    if (!S_ISDIR(st.st_mode)) refuse(shown, "'" + dir.string() + "' is not a directory");
    if (const int err = creation_error(dir))
        refuse(shown, "no file can be created in the directory '" + dir.string() + "' (" + errno_text(err) + ")");
}

}  // namespace

void check_writable(const fs::path& path) {
    if (path.empty()) throw IOError("cannot write to an empty path: name a file");
    const std::string text = path.string();
    if (text.back() == '/') refuse(path, "the path ends in '/': name a file, not a directory");
    struct stat st{};
    // stat follows symlinks: a link is judged by its target.
    if (::stat(path.c_str(), &st) != 0) {
        const int err = errno;
        if (err != ENOENT) {
            if (err == ENOTDIR) check_directory(path, directory_of(path));  // names the non-directory
            refuse(path, errno_text(err));
        }
        struct stat link{};
        if (::lstat(path.c_str(), &link) == 0 && S_ISLNK(link.st_mode)) {
            // Dangling: the new file is created where the link points.
            const fs::path target = fs::read_symlink(path);
            check_directory(path, directory_of(target.is_absolute() ? target : path.parent_path() / target));
            return;
        }
        check_directory(path, directory_of(path));
        return;
    }
    if (S_ISDIR(st.st_mode)) refuse(path, "it is a directory; name a file inside it");
    if (S_ISSOCK(st.st_mode)) refuse(path, "it is a socket");
    if (S_ISREG(st.st_mode)) {
        std::error_code ec;
        const fs::path real = fs::canonical(path, ec);
        check_directory(path, directory_of(ec ? path : real));
        return;
    }
    // A FIFO or a device is judged by its own permission: it is written
    // into, not replaced (issue 13 item 10).
    if (::faccessat(AT_FDCWD, path.c_str(), W_OK, AT_EACCESS) != 0)
        refuse(path, "it is not writable (" + errno_text(errno) + ")");
}

}  // namespace nabla::io
