#pragma once
// Reductions. An empty axes list reduces over every axis; negative axes count
// from the end. sum/mean/max/min are differentiable (max/min send the
// gradient to every maximal element, split evenly).
#include <optional>
#include <vector>

#include "nabla/core/tensor.hpp"

namespace nabla {
inline namespace ops {

// sum of bool/uint8/int32 accumulates in int64, as NumPy does.
Tensor sum(const Tensor& x, const std::vector<int>& axes = {}, bool keepdims = false);
Tensor mean(const Tensor& x, const std::vector<int>& axes = {}, bool keepdims = false);
Tensor max(const Tensor& x, const std::vector<int>& axes = {}, bool keepdims = false);
Tensor min(const Tensor& x, const std::vector<int>& axes = {}, bool keepdims = false);
inline Tensor sum(const Tensor& x, int axis, bool keepdims = false) { return sum(x, std::vector<int>{axis}, keepdims); }
inline Tensor mean(const Tensor& x, int axis, bool keepdims = false) { return mean(x, std::vector<int>{axis}, keepdims); }
inline Tensor max(const Tensor& x, int axis, bool keepdims = false) { return max(x, std::vector<int>{axis}, keepdims); }
inline Tensor min(const Tensor& x, int axis, bool keepdims = false) { return min(x, std::vector<int>{axis}, keepdims); }
// int64 indices of the first maximal/minimal element; over the flattened
// tensor when axis is empty.
Tensor argmax(const Tensor& x, std::optional<int> axis = std::nullopt, bool keepdims = false);
Tensor argmin(const Tensor& x, std::optional<int> axis = std::nullopt, bool keepdims = false);

// NumPy's all/any: whether every / some element (over `axes`) is nonzero;
// NaN counts as nonzero. bool results; all of nothing is true, any false.
Tensor all(const Tensor& x, const std::vector<int>& axes = {}, bool keepdims = false);
Tensor any(const Tensor& x, const std::vector<int>& axes = {}, bool keepdims = false);
inline Tensor all(const Tensor& x, int axis, bool keepdims = false) { return all(x, std::vector<int>{axis}, keepdims); }
inline Tensor any(const Tensor& x, int axis, bool keepdims = false) { return any(x, std::vector<int>{axis}, keepdims); }

// NumPy's allclose: |a - b| <= atol + rtol * |b| for every element of the
// broadcast pair (ShapeError if they do not broadcast), compared in float64;
// equal infinities are close, NaN only with equal_nan.
bool allclose(const Tensor& a, const Tensor& b, double rtol = 1e-5, double atol = 1e-8, bool equal_nan = false);
// NumPy's array_equal: same shape and equal elements (false, not an error,
// when the shapes differ; NaN is never equal).
bool array_equal(const Tensor& a, const Tensor& b);

// Sums a gradient of shape grad.shape() back to `shape` (the inverse of
// broadcasting); every broadcasting op's backward uses it.
Tensor unbroadcast(const Tensor& grad, const Shape& shape);

}  // namespace ops
}  // namespace nabla
