#pragma once
// IDX files: the format of MNIST and Fashion-MNIST (LeCun et al.), raw or
// gzip-compressed.
//
// Layout: two zero bytes, a type code, the number of dimensions, then one
// big-endian uint32 per dimension, then the elements in C order, big-endian.
// The reader checks every part of that, and that the file holds exactly the
// bytes the header promises: a truncated download or a file with trailing
// junk is an IOError naming the file and the problem
//   "read_idx: 't10k-images-idx3-ubyte.gz' is truncated: expected 7840016 bytes
//    of image data (16-byte header + 10000x28x28 uint8), file has 1000 ..."
// never a tensor of garbage.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "nabla/core/tensor.hpp"

namespace nabla::io {

// Reads an IDX file. Compression is detected from the gzip magic bytes, not
// from the name. The tensor has the file's shape and the dtype NumPy gives
// (idx2numpy, tf.keras): 0x08 ubyte -> uint8, 0x0C int -> int32,
// 0x0D float -> float32, 0x0E double -> float64, converted from big-endian.
// 0x09 (int8) and 0x0B (int16) widen to int32: nabla has no 8- or 16-bit
// signed dtype, and int32 holds every value exactly.
Tensor read_idx(const std::filesystem::path& path);

// The same from bytes in memory (raw or gzip); `name` is used in messages.
// Throws only IOError for any malformed input (the fuzzer checks this).
Tensor idx_from_bytes(std::span<const std::uint8_t> bytes, std::string_view name = "<memory>");

// Encodes a tensor as IDX: uint8 and bool -> 0x08, int32 -> 0x0C,
// float32 -> 0x0D, float64 -> 0x0E. int64 is a DTypeError (IDX has no 64-bit
// integer type), a dimension above 2^32-1 or more than 255 axes a ShapeError.
std::vector<std::uint8_t> idx_to_bytes(const Tensor& t, bool gzip = false);

// Writes idx_to_bytes(t) to `path` atomically. gzip defaults to whether the
// name ends in ".gz".
void write_idx(const std::filesystem::path& path, const Tensor& t,
               std::optional<bool> gzip = std::nullopt);

}  // namespace nabla::io
