// Crash-safe file writes (temporary file + fsync + rename) and whole-file reads.
#include "nabla/io/file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <ostream>
#include <random>
#include <streambuf>
#include <string>
#include <system_error>

#include "nabla/core/error.hpp"

namespace nabla::io {
namespace {

std::string errno_text(int err) { return std::generic_category().message(err); }

[[noreturn]] void fail(const std::string& op, const std::filesystem::path& path, int err) {
    throw IOError(op + " '" + path.string() + "': " + errno_text(err));
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

// Creates `path` + ".tmp-XXXXXX" exclusively. Not mkstemp: that makes the
// file 0600, and the renamed result should get the usual 0666 & ~umask.
int create_temp(const std::filesystem::path& path, std::filesystem::path& temp) {
    static std::atomic<std::uint64_t> counter{0};
    static const char* const digits = "0123456789abcdefghijklmnopqrstuvwxyz";
    std::random_device rd;
    std::mt19937_64 rng((static_cast<std::uint64_t>(rd()) << 32) ^ counter.fetch_add(1) ^
                        static_cast<std::uint64_t>(::getpid()));
    for (int attempt = 0; attempt < 100; ++attempt) {
        std::string suffix = ".tmp-";
        for (int i = 0; i < 6; ++i) suffix += digits[rng() % 36];
        temp = path;
        temp += suffix;
        const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0) return fd;
        if (errno != EEXIST) fail("atomic_write: cannot create a temporary file for", path, errno);
    }
    fail("atomic_write: cannot create a temporary file for", path, EEXIST);
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

// Owns the temporary file until commit(): any exit before it removes the file.
class TempFile {
public:
    explicit TempFile(const std::filesystem::path& path)
        : path_(path), fd_(create_temp(path, temp_)) {}
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;
    ~TempFile() {
        if (fd_ >= 0) ::close(fd_);
        if (!committed_) ::unlink(temp_.c_str());
    }
    int fd() const { return fd_; }

    void commit() {
        if (::fsync(fd_) != 0) fail("atomic_write: cannot sync", path_, errno);
        const int fd = fd_;
        fd_ = -1;
        if (::close(fd) != 0) fail("atomic_write: cannot close", path_, errno);
        if (::rename(temp_.c_str(), path_.c_str()) != 0)
            fail("atomic_write: cannot rename into", path_, errno);
        committed_ = true;
        sync_directory(path_);
    }

private:
    std::filesystem::path path_, temp_;
    int fd_;
    bool committed_ = false;
};

}  // namespace

void atomic_write(const std::filesystem::path& path,
                  const std::function<void(std::ostream&)>& writer) {
    TempFile temp(path);
    FdStreamBuf buf(temp.fd());
    std::ostream os(&buf);
    writer(os);
    os.flush();
    if (!os || buf.error() != 0)
        fail("atomic_write: cannot write", path, buf.error() != 0 ? buf.error() : EIO);
    temp.commit();
}

void atomic_write(const std::filesystem::path& path, std::span<const std::uint8_t> bytes) {
    atomic_write(path, [&](std::ostream& os) {
        os.write(reinterpret_cast<const char*>(bytes.data()),
                 static_cast<std::streamsize>(bytes.size()));
    });
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
