#pragma once
// Internal: crash-safe whole-file writes for the pictures and IDX writers.
// One mechanism for every writer: this forwards to io::atomic_write
// (include/nabla/io/file.hpp), which follows symlinks, writes FIFOs and
// devices in place and renames a temporary file only over regular files.
#include <cstdint>
#include <filesystem>
#include <span>

namespace nabla::io::detail {

// IOError naming `path` and the system's reason on failure; the temporary
// file is removed and `path` is left as it was.
void replace_file(const std::filesystem::path& path, std::span<const std::uint8_t> bytes);

}  // namespace nabla::io::detail
