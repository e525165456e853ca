#pragma once
// Internal: shared pieces of the element-wise ops (dtype rules, operand
// preparation, the gradient-shaping helper).
#include "nabla/core/graph.hpp"
#include "nabla/core/tensor.hpp"

namespace nabla::detail {

// The dtype a float-valued function (exp, divide, mean...) returns for x:
// floating stays, bool/uint8 give float32, wider integers float64 (NumPy
// would give float16 for the narrow ones; nabla has no float16).
DType float_result(DType dt) noexcept;

// x converted to dtype dt and broadcast (as a view) to shape.
Tensor prepare_operand(const Tensor& x, DType dt, const Shape& shape, const char* op);

// A gradient shaped back to an input: summed over its broadcast axes and
// cast to its dtype.
struct GradTarget {
    Shape shape;
    DType dtype;
    explicit GradTarget(const Tensor& t) : shape(t.shape()), dtype(t.dtype()) {}
    Tensor operator()(const Tensor& g) const;
};

// Differentiable results are floating; integer/bool results are never recorded.
inline bool should_record(const Tensor& out) { return graph::recording() && is_floating(out.dtype()); }

void require_defined(const Tensor& x, const char* op);

}  // namespace nabla::detail
