// Crash-safe file writes (temporary file + fsync + rename) and whole-file reads.
#include "nabla/io/file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <climits>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <ostream>
#include <memory>
#include <mutex>
#include <random>
#include <streambuf>
#include <string>
#include <system_error>
#include <unordered_set>
#include <vector>

#include "io/temp_files.hpp"
#include "nabla/core/error.hpp"

namespace nabla::io {
namespace {

std::string errno_text(int err) { return std::generic_category().message(err); }

// `label` is the quoted name: "'path'", or "'link' (-> 'target')".
[[noreturn]] void fail(const std::string& op, const std::string& label, int err) {
    throw IOError(op + " " + label + ": " + errno_text(err));
}
[[noreturn]] void fail(const std::string& op, const std::filesystem::path& path, int err) {
    fail(op, "'" + path.string() + "'", err);
}

// An output streambuf over a POSIX file descriptor that remembers the errno
// of the first failed write, so the caller can report why the stream failed.
class FdStreamBuf : public std::streambuf {
public:
    explicit FdStreamBuf(int fd) : fd_(fd) { setp(buf_.data(), buf_.data() + buf_.size()); }
    int error() const { return error_; }

protected:
    int_type overflow(int_type ch) override {
        if (!drain()) return traits_type::eof();
        if (!traits_type::eq_int_type(ch, traits_type::eof())) {
            *pptr() = traits_type::to_char_type(ch);
            pbump(1);
        }
        return traits_type::not_eof(ch);
    }

    std::streamsize xsputn(const char* s, std::streamsize n) override {
        // Large blocks (tensor data) go straight to the file, skipping the copy.
        if (n < static_cast<std::streamsize>(buf_.size())) return std::streambuf::xsputn(s, n);
        if (!drain() || !write_all(s, static_cast<std::size_t>(n))) return 0;
        return n;
    }

    int sync() override { return drain() ? 0 : -1; }

private:
    bool drain() {
        const auto n = static_cast<std::size_t>(pptr() - pbase());
        setp(buf_.data(), buf_.data() + buf_.size());
        return write_all(buf_.data(), n);
    }

    bool write_all(const char* p, std::size_t n) {
        if (error_ != 0) return false;
        while (n > 0) {
            const ssize_t w = ::write(fd_, p, n);
            if (w < 0) {
                if (errno == EINTR) continue;
                error_ = errno;
                return false;
            }
            p += w;
            n -= static_cast<std::size_t>(w);
        }
        return true;
    }

    int fd_;
    int error_ = 0;
    std::array<char, 1 << 16> buf_{};
};

// Creates `path` + ".tmp-<pid>-XXXXXX" exclusively (the pid lets a later run
// tell a crashed process's leftovers from a live writer's file). Not
// mkstemp: that makes the file 0600, and the renamed result should get the
// usual 0666 & ~umask.
int create_temp(const std::filesystem::path& path, const std::string& label,
                std::filesystem::path& temp) {
    static std::atomic<std::uint64_t> counter{0};
    static const char* const digits = "0123456789abcdefghijklmnopqrstuvwxyz";
    std::random_device rd;
    std::mt19937_64 rng((static_cast<std::uint64_t>(rd()) << 32) ^ counter.fetch_add(1) ^
                        static_cast<std::uint64_t>(::getpid()));
    for (int attempt = 0; attempt < 100; ++attempt) {
        std::string name = detail::temp_prefix(path, "tmp");
        for (int i = 0; i < 6; ++i) name += digits[rng() % 36];
        temp = name;
        const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0) return fd;
        if (errno != EEXIST) fail("atomic_write: cannot create a temporary file for", label, errno);
    }
    fail("atomic_write: cannot create a temporary file for", label, EEXIST);
}

// Makes the rename itself durable. Best effort: some file systems refuse
// fsync on a directory, and the new content is already in place by then.
void sync_directory(const std::filesystem::path& path) {
    std::filesystem::path dir = path.parent_path();
    if (dir.empty()) dir = ".";
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    ::fsync(fd);
    ::close(fd);
}

// Removes what killed processes left beside `path`, once per target and
// process (CSVLogger rewrites its file every epoch).
void sweep_once(const std::filesystem::path& path) {
    static std::mutex mu;
    static std::unordered_set<std::string> swept;
    {
        std::lock_guard<std::mutex> lock(mu);
        if (!swept.insert(path.string()).second) return;
    }
    detail::remove_stale_temps(path, "tmp");
}

// Owns the temporary file until commit(): any exit before it removes the file.
class TempFile {
public:
    TempFile(const std::filesystem::path& path, std::string label)
        : path_(path), label_(std::move(label)), fd_((sweep_once(path), create_temp(path, label_, temp_))),
          registration_(std::make_unique<detail::TempRegistration>(temp_)) {}
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;
    ~TempFile() {
        if (fd_ >= 0) ::close(fd_);
        if (!committed_) ::unlink(temp_.c_str());
    }
    int fd() const { return fd_; }

    void commit() {
        if (::fsync(fd_) != 0) fail("atomic_write: cannot sync", label_, errno);
        const int fd = fd_;
        fd_ = -1;
        if (::close(fd) != 0) fail("atomic_write: cannot close", label_, errno);
        if (::rename(temp_.c_str(), path_.c_str()) != 0)
            fail("atomic_write: cannot rename into", label_, errno);
        committed_ = true;
        sync_directory(path_);
    }

private:
    std::filesystem::path path_, temp_;
    std::string label_;
    int fd_;
    // Unlinks the file on SIGINT/SIGTERM/SIGHUP; destroyed after the unlink above.
    std::unique_ptr<detail::TempRegistration> registration_;
    bool committed_ = false;
};

// Where the bytes of a write to `path` go.
struct Target {
    bool direct = false;       // a FIFO or character device: written in place
    std::filesystem::path file;  // the name to create or rename over (symlinks followed)
};

// Follows `path` through symlinks to the name that finally is (or will be)
// the file, so that the rename replaces the target and the link survives.
std::filesystem::path follow_links(const std::filesystem::path& path) {
    std::filesystem::path p = path;
    for (int hop = 0; hop < 40; ++hop) {
        struct stat st {};
        if (::lstat(p.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return p;
        std::vector<char> buf(PATH_MAX + 1);
        const ssize_t n = ::readlink(p.c_str(), buf.data(), buf.size() - 1);
        if (n < 0) fail("atomic_write: cannot read the symbolic link", p, errno);
        const std::filesystem::path to(std::string(buf.data(), static_cast<std::size_t>(n)));
        p = to.is_absolute() ? to : p.parent_path() / to;
    }
    fail("atomic_write: cannot resolve", path, ELOOP);
}

// lstat/stat first: only a regular file (or a new name) is replaced through
// a temporary file. Renaming over a FIFO, a terminal, /dev/null or
// /dev/stdout would swap the device for a plain file (as root, /dev/stderr).
Target resolve(const std::filesystem::path& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) {
        if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) return {true, path};
        if (S_ISDIR(st.st_mode)) fail("atomic_write: cannot write", path, EISDIR);
        if (!S_ISREG(st.st_mode))
            throw IOError("atomic_write: cannot write '" + path.string() +
                          "': it is a block device or socket, not a file; name a regular file");
    } else if (errno != ENOENT) {
        fail("atomic_write: cannot write", path, errno);
    }
    return {false, follow_links(path)};
}

// A FIFO or device: the bytes go straight to it, with no temporary file.
void write_direct(const std::filesystem::path& path,
                  const std::function<void(std::ostream&)>& writer) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) fail("atomic_write: cannot open", path, errno);
    FdStreamBuf buf(fd);
    std::ostream os(&buf);
    try {
        writer(os);
    } catch (...) {
        ::close(fd);
        throw;
    }
    os.flush();
    const int err = !os || buf.error() != 0 ? (buf.error() != 0 ? buf.error() : EIO) : 0;
    if (::close(fd) != 0 && err == 0) fail("atomic_write: cannot close", path, errno);
    if (err != 0) fail("atomic_write: cannot write", path, err);
}

// The name in messages: the path, and where its symlinks lead.
std::string quoted_name(const std::filesystem::path& path, const std::filesystem::path& file) {
    return "'" + path.string() + "'" + (file == path ? "" : " (-> '" + file.string() + "')");
}

}  // namespace

void atomic_write(const std::filesystem::path& path,
                  const std::function<void(std::ostream&)>& writer) {
    const Target target = resolve(path);
    if (target.direct) return write_direct(path, writer);
    TempFile temp(target.file, quoted_name(path, target.file));
    FdStreamBuf buf(temp.fd());
    std::ostream os(&buf);
    writer(os);
    os.flush();
    if (!os || buf.error() != 0)
        fail("atomic_write: cannot write", quoted_name(path, target.file),
             buf.error() != 0 ? buf.error() : EIO);
    temp.commit();
}

void atomic_write(const std::filesystem::path& path, std::span<const std::uint8_t> bytes) {
    atomic_write(path, [&](std::ostream& os) {
        os.write(reinterpret_cast<const char*>(bytes.data()),
                 static_cast<std::streamsize>(bytes.size()));
    });
}

InPlaceWriter::InPlaceWriter(const std::filesystem::path& path)
    : path_(path), fd_(::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY)) {
    if (fd_ < 0) fail("cannot open", path, errno);
}

InPlaceWriter::~InPlaceWriter() { ::close(fd_); }

void InPlaceWriter::write(std::string_view text) {
    FdStreamBuf buf(fd_);
    std::ostream os(&buf);
    os.write(text.data(), static_cast<std::streamsize>(text.size()));
    os.flush();
    if (!os || buf.error() != 0) fail("cannot write", path_, buf.error() != 0 ? buf.error() : EIO);
}

bool writes_in_place(const std::filesystem::path& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode));
}

std::vector<std::uint8_t> read_file(const std::filesystem::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail("cannot open", path, errno);
    std::vector<std::uint8_t> out;
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        ::close(fd);
        fail("cannot read", path, EISDIR);
    }
    if (st.st_size > 0) out.reserve(static_cast<std::size_t>(st.st_size));
    std::array<std::uint8_t, 1 << 16> chunk{};
    for (;;) {
        const ssize_t r = ::read(fd, chunk.data(), chunk.size());
        if (r < 0) {
            if (errno == EINTR) continue;
            const int err = errno;
            ::close(fd);
            fail("cannot read", path, err);
        }
        if (r == 0) break;
        out.insert(out.end(), chunk.begin(), chunk.begin() + r);
    }
    ::close(fd);
    return out;
}

}  // namespace nabla::io
