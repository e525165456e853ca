#include "nabla/core/storage.hpp"

#include <cstdlib>
#include <cstring>
#include <new>

namespace nabla {

void Storage::AlignedFree::operator()(std::byte* p) const noexcept { std::free(p); }

Storage::Storage(std::size_t nbytes, bool zero_fill) : nbytes_(nbytes) {
    constexpr std::size_t kAlign = 64;  // a cache line, and one AVX-512 register
    const std::size_t padded = (nbytes + kAlign - 1) / kAlign * kAlign + kAlign;
    auto* p = static_cast<std::byte*>(std::aligned_alloc(kAlign, padded));
    if (!p) throw std::bad_alloc();
    if (zero_fill) std::memset(p, 0, padded);
    data_.reset(p);
}

}  // namespace nabla
