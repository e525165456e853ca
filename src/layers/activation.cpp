#include "nabla/layers/activation.hpp"

namespace nabla::layers {

Activation::Activation(nabla::ops::Activation activation, std::string name)
    : Layer("activation", std::move(name)), activation_(activation) {}

Activation::Activation(std::string_view activation, std::string name)
    : Activation(nabla::ops::activation_from_name(activation), std::move(name)) {}

Shape Activation::compute_output_shape(const Shape& input_shape) const {
    if (activation_ == nabla::ops::Activation::Softmax && input_shape.empty())
        throw ShapeError(describe() + ": softmax needs at least one axis; got a scalar");
    return input_shape;
}

Tensor Activation::call(const Tensor& x, bool) { return nabla::ops::activate(x, activation_); }

}  // namespace nabla::layers
