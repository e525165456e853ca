#include "nabla/layers/input_layer.hpp"

namespace nabla::layers {

InputLayer::InputLayer(Shape shape, std::string name) : Layer("input", std::move(name), std::move(shape)) {
    if (declared_input_shape()->empty())
        throw ValueError("InputLayer '" + this->name() + "': shape must have at least one axis, e.g. {784}");
}

Shape InputLayer::compute_output_shape(const Shape& input_shape) const {
    const Shape& expected = shape();
    bool ok = input_shape.size() == expected.size() + 1;
    for (std::size_t i = 0; ok && i < expected.size(); ++i)
        ok = input_shape[i + 1] == expected[i] || input_shape[i + 1] == kUnknown;
    if (!ok) {
        Shape want{kUnknown};
        want.insert(want.end(), expected.begin(), expected.end());
        throw ShapeError(describe() + " expects batches of shape " + shape_string(want) + "; got " +
                         shape_string(input_shape));
    }
    return input_shape;
}

Tensor InputLayer::call(const Tensor& x, bool) { return x; }

InputLayer Input(Shape shape, std::string name) { return InputLayer(std::move(shape), std::move(name)); }

}  // namespace nabla::layers
