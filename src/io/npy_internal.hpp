#pragma once
// Internal: the .npy pieces that the .npz reader and writer share.
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "nabla/core/tensor.hpp"

namespace nabla::io::detail {

// Parses a complete .npy image. Errors are IOError("<context>: <problem>").
Tensor parse_npy(std::span<const std::uint8_t> bytes, const std::string& context);

// Magic, version, header length and the padded header dict, exactly as
// numpy.lib.format.write_array writes them for `t`.
std::string npy_header(const Tensor& t);

// The elements of t in C order, as raw little-endian bytes. For contiguous
// tensors this is a view of t's storage (kept alive by `holder`).
std::span<const std::uint8_t> npy_data(const Tensor& t, Tensor& holder);

// io::read_file with `op` ("load_npy") in front of its error messages.
std::vector<std::uint8_t> read_for(const char* op, const std::filesystem::path& path);

}  // namespace nabla::io::detail
