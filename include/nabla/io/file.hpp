#pragma once
// Whole-file reads and crash-safe writes.
//
// atomic_write never leaves a half-written file under `path`: the bytes go
// to a temporary file beside it (`path` + ".tmp-XXXXXX", same directory, so
// the rename cannot cross file systems), which is flushed, fsync'ed and then
// renamed over `path`. Readers see the old file or the complete new one.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <span>
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
