#pragma once
// Internal: predictions for serving — many threads, one sample at a time.
//
// Each thread keeps its own plan of the model (the Dense stages with their
// weight pointers) and its own activation buffers, in thread_local storage,
// so concurrent calls share nothing mutable and a repeated call allocates
// nothing. The plan is checked against the model on every call (same
// model, same layer objects, same weight tensors) and made again when it is
// stale. A single row goes through a matrix-vector kernel on the calling
// thread (oneDNN's sgemm would allocate its packing buffer and may start
// the OpenMP team); more rows use the same kernels as ops::dense.
#include <cstdint>

#include "nabla/core/tensor.hpp"

namespace nabla::models {
class Sequential;
}

namespace nabla::models::detail {

// out (rows, outputs) = the model on x (rows, features...), both
// contiguous float32 and already checked against the model's shapes.
// False, touching nothing, when the model has a layer or dtype this path
// does not handle (the caller then runs model(x)).
bool infer(const Sequential& model, const float* x, std::int64_t rows, float* out);

// The checks of predict_into on a built model, without allocating unless
// they throw: x and out contiguous float32, x (n, <input sample shape>),
// out (n, <output sample shape>).
void check_predict_into(const Sequential& model, const Tensor& x, const Tensor& out);

}  // namespace nabla::models::detail
