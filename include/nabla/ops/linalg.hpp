#pragma once
// Matrix products, with NumPy's exact semantics. float32/float64 products go
// through oneDNN; other dtypes use a plain kernel. Differentiable.
#include <vector>

#include "nabla/core/tensor.hpp"

namespace nabla {
inline namespace ops {

// numpy.dot: 1-D·1-D inner product (0-d result); 2-D·2-D matrix product;
// N-D·1-D sums over the last axes; N-D·M-D sums over a's last axis and b's
// second-to-last: (a,b,c,d)·(d,) -> (a,b,c), (a,b,c,d)·(d,e) -> (a,b,c,e).
// A scalar operand multiplies. Mismatches throw ShapeError naming both shapes.
Tensor dot(const Tensor& a, const Tensor& b);
// numpy.matmul: batch axes broadcast; 1-D operands are promoted and the added
// axis removed afterwards.
Tensor matmul(const Tensor& a, const Tensor& b);
// numpy.tensordot: sum over a's last `axes` axes and b's first `axes` axes, or
// over the listed axes pairs.
Tensor tensordot(const Tensor& a, const Tensor& b, int axes = 2);
Tensor tensordot(const Tensor& a, const Tensor& b, const std::vector<int>& a_axes,
                 const std::vector<int>& b_axes);

}  // namespace ops
}  // namespace nabla
