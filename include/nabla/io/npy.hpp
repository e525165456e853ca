#pragma once
// NumPy's .npy and .npz files (numpy.save / numpy.load / numpy.savez /
// numpy.savez_compressed).
//
// Supported: format versions 1.0, 2.0 and 3.0; C order; little-endian dtypes
// '|b1' (bool), '|u1' (uint8), '<i4' (int32), '<i8' (int64), '<f4' (float32),
// '<f8' (float64). Anything else (Fortran order, big-endian, complex, strings,
// objects, structured dtypes), and every kind of damage (bad magic, a
// malformed header, truncated or overlong data, a bad ZIP or CRC) raises
// IOError naming the file and the problem. Files written here are
// byte-for-byte what numpy.save writes, and go through io::atomic_write.
#include <cstdint>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "nabla/core/tensor.hpp"

namespace nabla::io {

Tensor load_npy(const std::filesystem::path& path);
// Non-contiguous tensors are written in C order.
void save_npy(const std::filesystem::path& path, const Tensor& t);

// Keys are the member names without ".npy", as numpy.load(...).files.
std::map<std::string, Tensor> load_npz(const std::filesystem::path& path);
// One member "<key>.npy" per entry; compressed = numpy.savez_compressed.
void save_npz(const std::filesystem::path& path, const std::map<std::string, Tensor>& arrays,
              bool compressed = false);

// In-memory forms of the same formats; `name_for_errors` stands for the file
// name in error messages.
Tensor npy_from_bytes(std::span<const std::uint8_t> bytes, std::string_view name_for_errors);
std::vector<std::uint8_t> npy_to_bytes(const Tensor& t);
std::map<std::string, Tensor> npz_from_bytes(std::span<const std::uint8_t> bytes,
                                             std::string_view name_for_errors);
std::vector<std::uint8_t> npz_to_bytes(const std::map<std::string, Tensor>& arrays,
                                       bool compressed = false);

}  // namespace nabla::io
