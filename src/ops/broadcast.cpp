// broadcast_to: a zero-stride view, differentiable (its gradient is summed
// back over the broadcast axes).
#include "core/tensor_impl.hpp"
#include "elementwise_impl.hpp"
#include "nabla/core/graph.hpp"
#include "nabla/ops/reduce.hpp"
#include "nabla/ops/shape_ops.hpp"

namespace nabla {
inline namespace ops {

Tensor broadcast_to(const Tensor& x, const Shape& shape) {
    detail::require_defined(x, "broadcast_to");
    if (x.shape() == shape) return x;
    Tensor out = detail::broadcast_view(x, shape, "broadcast_to");
    if (graph::recording())
        graph::record("broadcast_to", {x}, out, [s = x.shape()](const Tensor& g) {
            return std::vector<Tensor>{unbroadcast(g, s)};
        });
    return out;
}

}  // namespace ops
}  // namespace nabla
