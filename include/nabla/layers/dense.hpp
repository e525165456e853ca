#pragma once
// Dense: output = activation(dot(input, kernel) + bias), Keras's Dense.
//
//   layers::Dense(512, "relu", {.input_shape = {784}})   // the book's first layer
//   layers::Dense(10, Activation::Softmax)
//   layers::Dense(64, "tanh", {.use_bias = false, .kernel_initializer = "he_normal"})
//
// Input: (batch, features). Other ranks are refused at build with a message
// that says how to flatten, as the book reshapes (60000, 28, 28) images to
// (60000, 784). Integer inputs are refused (convert with astype(float32) and
// scale, as the book does); float64 inputs to a float32 layer are cast.
#include <string_view>

#include "nabla/layers/layer.hpp"
#include "nabla/ops/nn.hpp"

namespace nabla::layers {

struct DenseOptions {
    Shape input_shape = {};  // without the batch axis: {784}; empty: not given
    bool use_bias = true;
    initializers::Initializer kernel_initializer = initializers::glorot_uniform();
    initializers::Initializer bias_initializer = initializers::zeros();
    DType dtype = float32;  // of the weights (float32 or float64)
    std::string name = "";
};

class Dense : public Layer {
public:
    explicit Dense(std::int64_t units, nabla::ops::Activation activation = nabla::ops::Activation::Linear,
                   DenseOptions options = {});
    // Activation by Keras name: "relu", "softmax", "sigmoid", "tanh", "linear".
    Dense(std::int64_t units, std::string_view activation, DenseOptions options = {});
    Dense(std::int64_t units, const char* activation, DenseOptions options = {})
        : Dense(units, std::string_view(activation), std::move(options)) {}
    // The book's layers.Dense(512, activation=relu): nabla's relu, sigmoid,
    // tanh or softmax as C++ functions. Any other function throws ValueError
    // (a Dense activation needs a Keras name to be saved and fused).
    Dense(std::int64_t units, Tensor (*activation)(const Tensor&), DenseOptions options = {});
    Dense(std::int64_t units, nabla::ops::SoftmaxFunction, DenseOptions options = {})
        : Dense(units, nabla::ops::Activation::Softmax, std::move(options)) {}

    std::string_view class_name() const override { return "Dense"; }
    Shape compute_output_shape(const Shape& input_shape) const override;

    std::int64_t units() const { return units_; }
    nabla::ops::Activation activation() const { return activation_; }
    bool use_bias() const { return use_bias_; }
    const initializers::Initializer& kernel_initializer() const { return kernel_initializer_; }
    const initializers::Initializer& bias_initializer() const { return bias_initializer_; }
    DType dtype() const { return dtype_; }  // of the weights
    // The (in, units) kernel and (units,) bias; ValueError before build, and
    // for the bias of a layer without one.
    const Variable& kernel() const;
    const Variable& bias() const;

protected:
    void build_weights(const Shape& input_shape) override;
    Tensor call(const Tensor& x, bool training) override;

private:
    std::int64_t units_;
    nabla::ops::Activation activation_;
    bool use_bias_;
    initializers::Initializer kernel_initializer_, bias_initializer_;
    DType dtype_;
    Variable kernel_, bias_;
};

}  // namespace nabla::layers
