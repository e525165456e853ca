// libFuzzer entry for the .npy and .npz readers: any byte string must give
// tensors or an IOError, never a crash, a hang, a huge allocation or another
// exception. Both readers see every input (the .npz reader rejects a .npy in
// one scan for its end record), so one corpus of .npy and .npz seeds serves
// both, and a fuzzed archive member reaches the .npy parser too.
//
// What parses must survive re-encoding: npy_to_bytes / npz_to_bytes of the
// result reads back as the same tensors, and a .npy's element bytes are the
// input's (bool bytes normalised to 0/1).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "nabla/core/error.hpp"
#include "nabla/io/npy.hpp"

namespace {

using nabla::Tensor;

// Same dtype, shape and bytes (NaN payloads and -0.0 included).
bool same(const Tensor& a, const Tensor& b) {
    if (a.dtype() != b.dtype() || a.shape() != b.shape()) return false;
    return a.nbytes() == 0 || std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()) == 0;
}

// The data section of a parsed .npy is the input's last nbytes() bytes.
bool data_matches_input(const Tensor& t, std::span<const std::uint8_t> input) {
    if (t.nbytes() > input.size()) return false;
    const auto* got = static_cast<const std::uint8_t*>(t.raw_data());
    const std::uint8_t* src = input.data() + input.size() - t.nbytes();
    if (t.dtype() != nabla::bool_) return t.nbytes() == 0 || std::memcmp(got, src, t.nbytes()) == 0;
    for (std::size_t i = 0; i < t.nbytes(); ++i)
        if (got[i] != (src[i] != 0 ? 1 : 0)) return false;
    return true;
}

void check_npy(std::span<const std::uint8_t> input) {
    Tensor t;
    try {
        t = nabla::io::npy_from_bytes(input, "fuzz-input");
    } catch (const nabla::IOError&) {
        return;
    }
    if (!data_matches_input(t, input)) __builtin_trap();
    const std::vector<std::uint8_t> again = nabla::io::npy_to_bytes(t);
    if (!same(nabla::io::npy_from_bytes(again, "re-encoded"), t)) __builtin_trap();
}

// What save_npz can write without zip64: fewer than 65535 members, whose
// names ("<key>.npy") fit ZIP's 16-bit name length. An archive read here
// can exceed both only with inputs far above the fuzzer's -max_len.
bool writable(const std::map<std::string, Tensor>& arrays) {
    if (arrays.size() >= 0xffff) return false;
    for (const auto& entry : arrays)
        if (entry.first.size() + 4 > 0xffff) return false;
    return true;
}

void check_npz(std::span<const std::uint8_t> input) {
    std::map<std::string, Tensor> arrays;
    try {
        arrays = nabla::io::npz_from_bytes(input, "fuzz-input");
    } catch (const nabla::IOError&) {
        return;
    }
    if (!writable(arrays)) return;
    for (bool compressed : {false, true}) {
        const auto back =
            nabla::io::npz_from_bytes(nabla::io::npz_to_bytes(arrays, compressed), "re-encoded");
        if (back.size() != arrays.size()) __builtin_trap();
        for (const auto& [key, t] : arrays) {
            auto it = back.find(key);
            if (it == back.end() || !same(it->second, t)) __builtin_trap();
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> input(data, size);
    check_npy(input);
    check_npz(input);
    return 0;
}
