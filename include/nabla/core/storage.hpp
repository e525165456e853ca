#pragma once
// A reference-counted, 64-byte aligned byte buffer shared by a tensor and
// all of its views. Large buffers are recycled: a freed one is kept (up to a
// bound) for the next request of the same size, so a training step that
// makes the same tensors every step stops paying the kernel for fresh pages
// (storage.cpp).
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
        std::size_t bytes;  // as allocated (padded); no initializer: unique_ptr default-constructs this
        void operator()(std::byte* p) const noexcept;
    };
    std::unique_ptr<std::byte[], AlignedFree> data_;
    std::size_t nbytes_;
};

}  // namespace nabla
