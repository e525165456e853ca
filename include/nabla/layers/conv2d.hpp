#pragma once
// Conv2D: output = activation(conv2d(input, kernel) + bias), Keras's Conv2D
// on channels-last images (batch, height, width, channels).
//
//   layers::Conv2D(32, 3, "relu")                              // the book's first convnet layer
//   layers::Conv2D(64, {3, 3}, {.strides = 2, .padding = "same", .activation = "relu"})
//
// The kernel is (kernel_h, kernel_w, in_channels, filters), Keras's layout,
// so weights load from Keras files unchanged.
#include <string>
#include <string_view>

#include "nabla/layers/layer.hpp"
#include "nabla/ops/conv.hpp"
#include "nabla/ops/nn.hpp"

namespace nabla::layers {

struct Conv2DOptions {
    nabla::ops::Size2 strides = 1;
    std::string padding = "valid";  // "valid" or "same"
    nabla::ops::Size2 dilation_rate = 1;
    std::string activation = "linear";
    bool use_bias = true;
    initializers::Initializer kernel_initializer = initializers::glorot_uniform();
    initializers::Initializer bias_initializer = initializers::zeros();
    Shape input_shape = {};  // without the batch axis: {28, 28, 1}; empty: not given
    DType dtype = float32;
    std::string name = "";
};

class Conv2D : public Layer {
public:
    Conv2D(std::int64_t filters, nabla::ops::Size2 kernel_size, Conv2DOptions options = {});
    // The activation by name or as nabla's function, as Dense takes it.
    Conv2D(std::int64_t filters, nabla::ops::Size2 kernel_size, std::string_view activation, Conv2DOptions options = {});
    Conv2D(std::int64_t filters, nabla::ops::Size2 kernel_size, const char* activation, Conv2DOptions options = {})
        : Conv2D(filters, kernel_size, std::string_view(activation), std::move(options)) {}
    Conv2D(std::int64_t filters, nabla::ops::Size2 kernel_size, Tensor (*activation)(const Tensor&),
           Conv2DOptions options = {});

    std::string_view class_name() const override { return "Conv2D"; }
    Shape compute_output_shape(const Shape& input_shape) const override;

    std::int64_t filters() const { return filters_; }
    nabla::ops::Size2 kernel_size() const { return kernel_size_; }
    nabla::ops::Size2 strides() const { return params_.strides; }
    nabla::ops::Padding padding() const { return params_.padding; }
    nabla::ops::Size2 dilation_rate() const { return params_.dilation; }
    nabla::ops::Activation activation() const { return activation_; }
    bool use_bias() const { return use_bias_; }
    const initializers::Initializer& kernel_initializer() const { return kernel_initializer_; }
    const initializers::Initializer& bias_initializer() const { return bias_initializer_; }
    DType dtype() const { return dtype_; }
    const Variable& kernel() const;  // (kh, kw, in, filters); ValueError before build
    const Variable& bias() const;

protected:
    void build_weights(const Shape& input_shape) override;
    Tensor call(const Tensor& x, bool training) override;

private:
    std::int64_t filters_;
    nabla::ops::Size2 kernel_size_;
    nabla::ops::Conv2DParams params_;
    nabla::ops::Activation activation_;
    bool use_bias_;
    initializers::Initializer kernel_initializer_, bias_initializer_;
    DType dtype_;
    Variable kernel_, bias_;
};

}  // namespace nabla::layers
