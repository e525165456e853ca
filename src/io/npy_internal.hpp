#pragma once
// Internal: the .npy pieces that the .npz reader and writer share.
#include <cstdint>
#include <filesystem>
#include <new>
#include <span>
#include <string>
#include <vector>

#include "nabla/core/error.hpp"
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

// The length (prefix + header + data) a .npy image must have, from its
// magic and header alone (`head` may be longer). IOError for a bad header.
std::uint64_t npy_expected_size(std::span<const std::uint8_t> head, const std::string& context);

// io::read_file with `op` ("load_npy") in front of its error messages. A
// FIFO or device has no size to check against: IOError saying so.
std::vector<std::uint8_t> read_for(const char* op, const std::filesystem::path& path);

// Runs f(); an allocation that fails inside becomes a MemoryError naming
// `context` ("load_npz: 'x.npz'") instead of a bare std::bad_alloc.
template <typename F>
auto with_memory_error(const std::string& context, F&& f) -> decltype(f()) {
    try {
        return f();
    } catch (const MemoryError& e) {  // a tensor's own allocation
        throw MemoryError(context + ": not enough memory: " + e.what() +
                          " (free memory, or load a smaller file)");
    } catch (const std::bad_alloc&) {
        throw MemoryError(context + ": not enough memory for the arrays it holds (free memory, "
                                    "or load a smaller file)");
    }
}

}  // namespace nabla::io::detail
