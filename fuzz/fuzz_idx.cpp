// libFuzzer entry for the IDX reader: any byte string must give a tensor or
// an IOError, never a crash, a hang, a huge allocation or another exception.
// A raw input that parses must also re-encode to exactly the same bytes.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "nabla/core/error.hpp"
#include "nabla/io/idx.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::span<const std::uint8_t> bytes(data, size);
    nabla::Tensor t;
    try {
        t = nabla::io::idx_from_bytes(bytes, "fuzz-input");
    } catch (const nabla::IOError&) {
        return 0;
    }
    const bool gzip = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
    // 0x09 and 0x0B widen to int32, so only the other types re-encode as is.
    const bool widened = size >= 3 && (data[2] == 0x09 || data[2] == 0x0B);
    if (!gzip && !widened) {
        std::vector<std::uint8_t> again = nabla::io::idx_to_bytes(t);
        if (again.size() != size || !std::equal(again.begin(), again.end(), data))
            __builtin_trap();
    }
    return 0;
}
