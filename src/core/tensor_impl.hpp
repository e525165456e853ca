#pragma once
// Internal: the state behind a Tensor handle, and view construction that
// does not record on a tape (for kernels and backward rules).
#include <atomic>

#include "nabla/core/tensor.hpp"

namespace nabla {

struct Tensor::Impl {
    std::shared_ptr<Storage> storage;
    DType dtype = float32;
    Shape shape;
    Strides strides;
    std::int64_t offset = 0;
    std::uint64_t id = 0;
    bool is_variable = false;
};

struct TensorAccess {
    static Tensor make(std::shared_ptr<Tensor::Impl> impl) { return Tensor(std::move(impl)); }
    static const std::shared_ptr<Tensor::Impl>& impl(const Tensor& t) { return t.impl_; }
};

namespace detail {

std::uint64_t next_tensor_id() noexcept;

// A tensor over `base`'s storage with the given geometry (no bounds check).
Tensor make_view(const Tensor& base, Shape shape, Strides strides, std::int64_t offset);
// A zero-stride view of x broadcast to shape (ShapeError if impossible).
Tensor broadcast_view(const Tensor& x, const Shape& shape, const char* op);
// dst[...] = convert(src[...]) element-wise; shapes must already match.
void copy_into(const Tensor& src, Tensor& dst);

}  // namespace detail
}  // namespace nabla
