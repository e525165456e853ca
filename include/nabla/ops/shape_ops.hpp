#pragma once
// NumPy's shape manipulation as free functions (the Tensor members do the
// same). All differentiable.
#include <vector>

#include "nabla/core/tensor.hpp"

namespace nabla {
inline namespace ops {

inline Tensor reshape(const Tensor& x, Shape shape) { return x.reshape(std::move(shape)); }
inline Tensor transpose(const Tensor& x) { return x.transpose(); }
inline Tensor transpose(const Tensor& x, const std::vector<int>& axes) { return x.transpose(axes); }
inline Tensor expand_dims(const Tensor& x, int axis) { return x.expand_dims(axis); }
inline Tensor squeeze(const Tensor& x) { return x.squeeze(); }
inline Tensor flatten(const Tensor& x) { return x.flatten(); }
// A read-only-in-spirit view with zero strides on the broadcast axes.
Tensor broadcast_to(const Tensor& x, const Shape& shape);

// Joins along an existing axis; every other axis must match (ShapeError names
// the offending shapes). Inputs are promoted to a common dtype.
Tensor concatenate(const std::vector<Tensor>& xs, int axis = 0);
// Joins along a new axis; all shapes must be equal.
Tensor stack(const std::vector<Tensor>& xs, int axis = 0);
// Integer class indices of any shape -> one-hot with a new last axis of
// length depth; an index outside [0, depth) throws ValueError naming it.
Tensor one_hot(const Tensor& indices, std::int64_t depth, DType dtype = float32);

}  // namespace ops
}  // namespace nabla
