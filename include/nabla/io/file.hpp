#pragma once
// Whole-file reads and crash-safe writes.
//
// atomic_write never leaves a half-written file under `path`: the bytes go
// to a temporary file beside it (`path` + ".tmp-XXXXXX", same directory, so
// the rename cannot cross file systems), which is flushed, fsync'ed and then
// renamed over `path`. Readers see the old file or the complete new one.
//
// What `path` is decides how (docs/io.md, "Where the bytes go"):
//   a regular file, or nothing yet   temporary file + rename, as above
//   a symlink                        followed to its final target, which is
//                                    replaced that way; the link stays a link
//   a FIFO or character device       written in place, no temporary file
//   (a pipe, a terminal, /dev/null, /dev/stdout): renaming over one would
//                                    swap the device for a plain file
//   a directory, block device, socket  IOError naming the path
#include <cstdint>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <span>
#include <string_view>
#include <vector>

namespace nabla::io {

// Calls writer(stream) and commits what it wrote to `path`. On failure the
// temporary file is removed and IOError names `path` and the system's reason
// ("No such file or directory", "File too large"...). An exception thrown by
// `writer` itself propagates unchanged (after the clean-up); `path` is then
// left as it was.
void atomic_write(const std::filesystem::path& path,
                  const std::function<void(std::ostream&)>& writer);
void atomic_write(const std::filesystem::path& path, std::span<const std::uint8_t> bytes);

// True when `path` is (through symlinks) a FIFO or character device, which
// atomic_write writes in place: a writer that rewrites its whole file each
// time (CSVLogger) should send such a target only what is new.
bool writes_in_place(const std::filesystem::path& path);

// A FIFO or device held open while pieces are written over time (a reader
// of a named pipe sees end-of-file only when this closes). IOError naming
// the path when it cannot be opened or written.
class InPlaceWriter {
public:
    explicit InPlaceWriter(const std::filesystem::path& path);
    ~InPlaceWriter();
    InPlaceWriter(const InPlaceWriter&) = delete;
    InPlaceWriter& operator=(const InPlaceWriter&) = delete;
    void write(std::string_view text);

private:
    std::filesystem::path path_;
    int fd_;
};

// The whole content of a file; IOError naming the file and the reason.
std::vector<std::uint8_t> read_file(const std::filesystem::path& path);

// Checks, without creating or touching anything, that a file can later be
// written at `path` by atomic_write (or written directly, for a FIFO or a
// device): so a long run can refuse a bad output path before it starts, not
// after its work is done. IOError naming `path` and what is wrong: the path
// is empty, ends in '/', names a directory or a socket, its directory does
// not exist (or is not a directory) or is not writable, or an existing FIFO
// or device is not writable. A symlink is judged by what it points to (a
// dangling one by its target's directory).
void check_writable(const std::filesystem::path& path);

}  // namespace nabla::io
