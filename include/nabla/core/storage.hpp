#pragma once
// A reference-counted, 64-byte aligned byte buffer shared by a tensor and
// all of its views.
#include <cstddef>
#include <memory>

namespace nabla {

class Storage {
public:
    // zero_fill = false leaves the bytes unspecified (for outputs a kernel
    // overwrites completely: saves a pass over memory).
    explicit Storage(std::size_t nbytes, bool zero_fill = true);
    std::byte* data() noexcept { return data_.get(); }
    const std::byte* data() const noexcept { return data_.get(); }
    std::size_t nbytes() const noexcept { return nbytes_; }

private:
    struct AlignedFree {
        void operator()(std::byte* p) const noexcept;
    };
    std::unique_ptr<std::byte[], AlignedFree> data_;
    std::size_t nbytes_;
};

}  // namespace nabla
