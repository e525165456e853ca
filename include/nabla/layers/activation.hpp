#pragma once
// Activation: applies an activation function, Keras's layers.Activation.
//   layers::Activation("relu")    layers::Activation(nabla::Activation::Softmax)
#include <string_view>

#include "nabla/layers/layer.hpp"
#include "nabla/ops/nn.hpp"

namespace nabla::layers {

class Activation : public Layer {
public:
    explicit Activation(nabla::ops::Activation activation, std::string name = "");
    explicit Activation(std::string_view activation, std::string name = "");
    explicit Activation(const char* activation, std::string name = "")
        : Activation(std::string_view(activation), std::move(name)) {}

    std::string_view class_name() const override { return "Activation"; }
    Shape compute_output_shape(const Shape& input_shape) const override;
    nabla::ops::Activation activation() const { return activation_; }

protected:
    Tensor call(const Tensor& x, bool training) override;

private:
    nabla::ops::Activation activation_;
};

}  // namespace nabla::layers
