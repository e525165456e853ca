#include "nabla/layers/conv2d.hpp"

#include <cmath>

#include "nabla/ops/elementwise.hpp"

namespace nabla::layers {

namespace {
std::optional<Shape> optional_shape(const Shape& s) { return s.empty() ? std::nullopt : std::optional<Shape>(s); }

nabla::ops::Activation activation_of(Tensor (*f)(const Tensor&)) {
    if (f == &nabla::ops::relu) return nabla::ops::Activation::ReLU;
    if (f == &nabla::ops::sigmoid) return nabla::ops::Activation::Sigmoid;
    if (f == &nabla::ops::tanh) return nabla::ops::Activation::Tanh;
    throw ValueError(std::string("Conv2D: ") + (f ? "the activation function is not one of nabla's" : "null activation") +
                     "; pass relu, sigmoid or tanh, or a Keras name such as \"relu\"");
}

std::string pair_string(nabla::ops::Size2 s) { return "(" + std::to_string(s.h) + ", " + std::to_string(s.w) + ")"; }
}  // namespace

Conv2D::Conv2D(std::int64_t filters, nabla::ops::Size2 kernel_size, Conv2DOptions options)
    : Layer("conv2d", std::move(options.name), optional_shape(options.input_shape)),
      filters_(filters),
      kernel_size_(kernel_size),
      activation_(nabla::ops::activation_from_name(options.activation)),
      use_bias_(options.use_bias),
      kernel_initializer_(std::move(options.kernel_initializer)),
      bias_initializer_(std::move(options.bias_initializer)),
      dtype_(options.dtype) {
    if (filters <= 0)
        throw ValueError(describe() + ": filters must be a positive integer, got " + std::to_string(filters));
    if (kernel_size.h <= 0 || kernel_size.w <= 0)
        throw ValueError(describe() + ": kernel_size must be positive, got " + pair_string(kernel_size));
    if (options.strides.h <= 0 || options.strides.w <= 0)
        throw ValueError(describe() + ": strides must be positive, got " + pair_string(options.strides));
    if (options.dilation_rate.h <= 0 || options.dilation_rate.w <= 0)
        throw ValueError(describe() + ": dilation_rate must be positive, got " + pair_string(options.dilation_rate));
    if ((options.strides.h > 1 || options.strides.w > 1) && (options.dilation_rate.h > 1 || options.dilation_rate.w > 1))
        throw ValueError(describe() + ": strides > 1 is incompatible with dilation_rate > 1 (as in Keras)");
    if (!is_floating(dtype_))
        throw DTypeError(describe() + ": weights must be float32 or float64, got " + std::string(nabla::name(dtype_)));
    params_ = {options.strides, nabla::ops::padding_from_name(options.padding), options.dilation_rate};
}

Conv2D::Conv2D(std::int64_t filters, nabla::ops::Size2 kernel_size, std::string_view activation, Conv2DOptions options)
    : Conv2D(filters, kernel_size, (options.activation = std::string(activation), std::move(options))) {}

Conv2D::Conv2D(std::int64_t filters, nabla::ops::Size2 kernel_size, Tensor (*activation)(const Tensor&),
               Conv2DOptions options)
    : Conv2D(filters, kernel_size, nabla::ops::name(activation_of(activation)), std::move(options)) {}

Shape Conv2D::compute_output_shape(const Shape& s) const {
    if (s.size() != 4) {
        std::string hint = " — reshape to (batch, height, width, channels)";
        if (s.size() == 3) {
            hint = " — add a channels axis: reshape to " + shape_string({s[0], s[1], s[2], 1});
        } else if (s.size() == 2 && s[1] > 0) {
            const auto side = static_cast<std::int64_t>(std::llround(std::sqrt(static_cast<double>(s[1]))));
            if (side * side == s[1])
                hint = " — reshape to " + shape_string({s[0], side, side, 1}) +
                       " or start the model with layers::Reshape({" + std::to_string(side) + ", " +
                       std::to_string(side) + ", 1})";
        }
        throw ShapeError(describe() + " expects (batch, height, width, channels); got " + shape_string(s) + hint);
    }
    if (built() && s[3] != kernel_.shape()[2])
        throw ShapeError(describe() + " expects " + shape_string({kUnknown, kUnknown, kUnknown, kernel_.shape()[2]}) +
                         " (its kernel is " + to_string(kernel_.shape()) + "); got " + shape_string(s));
    const std::int64_t oh = nabla::ops::window_output_size(s[1], kernel_size_.h, params_.strides.h, params_.dilation.h, params_.padding);
    const std::int64_t ow = nabla::ops::window_output_size(s[2], kernel_size_.w, params_.strides.w, params_.dilation.w, params_.padding);
    if (oh == 0 || ow == 0)
        throw ShapeError(describe() + ": the " + pair_string(kernel_size_) + " kernel does not fit in the input " +
                         shape_string(s) + " with padding 'valid'; use padding 'same' or larger images");
    return {s[0], oh, ow, filters_};
}

void Conv2D::build_weights(const Shape& s) {
    kernel_ = add_weight("kernel", {kernel_size_.h, kernel_size_.w, s[3], filters_}, kernel_initializer_, dtype_);
    if (use_bias_) bias_ = add_weight("bias", {filters_}, bias_initializer_, dtype_);
}

Tensor Conv2D::call(const Tensor& x, bool) {
    if (!is_floating(x.dtype()))
        throw DTypeError(describe() + ": input dtype is " + std::string(nabla::name(x.dtype())) +
                         "; expected floating point — convert first, as the book does: x.astype(float32) / 255");
    Tensor y = nabla::ops::conv2d(x, kernel_, use_bias_ ? bias_.value() : Tensor(), params_);
    return activation_ == nabla::ops::Activation::Linear ? y : nabla::ops::activate(y, activation_);
}

const Variable& Conv2D::kernel() const {
    if (!built()) throw ValueError(describe() + " has not been built yet: it has no kernel");
    return kernel_;
}

const Variable& Conv2D::bias() const {
    if (!built()) throw ValueError(describe() + " has not been built yet: it has no bias");
    if (!use_bias_) throw ValueError(describe() + " was created with use_bias = false: it has no bias");
    return bias_;
}

}  // namespace nabla::layers
