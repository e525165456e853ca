#pragma once
// Internal: crash-safe whole-file writes for the pictures and IDX writers.
//
// This is a stand-in for io::atomic_write (include/nabla/io/file.hpp, being
// written by another part of the project) with the same contract: the bytes
// go to `path` + ".tmp-XXXXXX" in the same directory, are fsync'ed, and the
// temporary is renamed over `path`, so readers see the old file or the whole
// new one. Once io::atomic_write is on main this forwards to it.
#include <cstdint>
#include <filesystem>
#include <span>

namespace nabla::io::detail {

// IOError naming `path` and the system's reason on failure; the temporary
// file is removed and `path` is left as it was.
void replace_file(const std::filesystem::path& path, std::span<const std::uint8_t> bytes);

}  // namespace nabla::io::detail
