// Tensor's NumPy-style reduction methods. They live in the ops layer (the
// core header only declares them) and forward to the free functions.
#include "nabla/core/tensor.hpp"
#include "nabla/ops/reduce.hpp"

namespace nabla {


#define NABLA_TENSOR_REDUCTION(NAME)                                                                        \
    Tensor Tensor::NAME(const std::vector<int>& axes, bool keepdims) const {                               \
        return nabla::ops::NAME(*this, axes, keepdims);                                                     \
    }                                                                                                       \
    Tensor Tensor::NAME(int axis, bool keepdims) const { return nabla::ops::NAME(*this, axis, keepdims); }

NABLA_TENSOR_REDUCTION(sum)
NABLA_TENSOR_REDUCTION(mean)
NABLA_TENSOR_REDUCTION(max)
NABLA_TENSOR_REDUCTION(min)
NABLA_TENSOR_REDUCTION(all)
NABLA_TENSOR_REDUCTION(any)
#undef NABLA_TENSOR_REDUCTION

Tensor Tensor::argmax(std::optional<int> axis, bool keepdims) const { return nabla::ops::argmax(*this, axis, keepdims); }
Tensor Tensor::argmin(std::optional<int> axis, bool keepdims) const { return nabla::ops::argmin(*this, axis, keepdims); }


}  // namespace nabla
