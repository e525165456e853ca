#include "nabla/layers/flatten.hpp"

namespace nabla::layers {

Flatten::Flatten(FlattenOptions options)
    : Layer("flatten", std::move(options.name),
            options.input_shape.empty() ? std::nullopt : std::optional<Shape>(options.input_shape)) {}

Shape Flatten::compute_output_shape(const Shape& input_shape) const {
    if (input_shape.empty())
        throw ShapeError(describe() + " expects a batch axis; got a scalar (shape ())");
    std::int64_t features = 1;
    for (std::size_t i = 1; i < input_shape.size(); ++i) {
        if (input_shape[i] < 0) return {input_shape[0], kUnknown};
        features *= input_shape[i];
    }
    return {input_shape[0], features};
}

Tensor Flatten::call(const Tensor& x, bool) {
    // reshape with an explicit size rather than -1: a zero-sample batch stays well defined.
    const Shape out = compute_output_shape(x.shape());
    return x.reshape({x.shape(0), out[1]});
}

}  // namespace nabla::layers
