#include "nabla/layers/dense.hpp"

#include "nabla/ops/elementwise.hpp"

namespace nabla::layers {

namespace {
std::optional<Shape> optional_shape(const Shape& s) {
    return s.empty() ? std::nullopt : std::optional<Shape>(s);
}
}  // namespace

Dense::Dense(std::int64_t units, nabla::ops::Activation activation, DenseOptions options)
    : Layer("dense", std::move(options.name), optional_shape(options.input_shape)),
      units_(units),
      activation_(activation),
      use_bias_(options.use_bias),
      kernel_initializer_(std::move(options.kernel_initializer)),
      bias_initializer_(std::move(options.bias_initializer)),
      dtype_(options.dtype) {
    if (units <= 0)
        throw ValueError(describe() + ": units must be a positive integer, got " + std::to_string(units));
    if (!is_floating(dtype_))
        throw DTypeError(describe() + ": weights must be float32 or float64, got " + std::string(nabla::name(dtype_)));
}

Dense::Dense(std::int64_t units, std::string_view activation, DenseOptions options)
    : Dense(units, nabla::ops::activation_from_name(activation), std::move(options)) {}

namespace {
nabla::ops::Activation activation_of(Tensor (*f)(const Tensor&)) {
    if (f == &nabla::ops::relu) return nabla::ops::Activation::ReLU;
    if (f == &nabla::ops::sigmoid) return nabla::ops::Activation::Sigmoid;
    if (f == &nabla::ops::tanh) return nabla::ops::Activation::Tanh;
    throw ValueError(std::string("Dense: ") + (f ? "the activation function is not one of nabla's" : "null activation") +
                     "; pass relu, sigmoid, tanh or softmax, or a Keras name such as \"relu\"");
}
}  // namespace

Dense::Dense(std::int64_t units, Tensor (*activation)(const Tensor&), DenseOptions options)
    : Dense(units, activation_of(activation), std::move(options)) {}

Shape Dense::compute_output_shape(const Shape& input_shape) const {
    // "(batch, 784)" once the kernel fixes the feature count; built only for
    // an error, since predict checks shapes batch by batch.
    const auto expected = [&] {
        return "(batch, " + (built() ? std::to_string(kernel_.shape()[0]) : std::string("features")) + ")";
    };
    if (input_shape.size() != 2) {
        std::string hint;
        if (input_shape.size() > 2) {
            Shape flat{input_shape[0], 1};
            for (std::size_t i = 1; i < input_shape.size(); ++i) flat[1] *= input_shape[i];
            hint = " — reshape to " + shape_string(flat) + " or add layers::Flatten() first";
        } else {
            hint = " — a single sample needs a batch axis: reshape to (1, n)";
        }
        throw ShapeError(describe() + " expects " + expected() + "; got " + shape_string(input_shape) + hint);
    }
    if (built() && input_shape[1] != kernel_.shape()[0])
        throw ShapeError(describe() + " expects " + expected() + "; got " + shape_string(input_shape) +
                         " (its kernel is " + to_string(kernel_.shape()) + ")");
    return {input_shape[0], units_};
}

void Dense::build_weights(const Shape& input_shape) {
    kernel_ = add_weight("kernel", {input_shape[1], units_}, kernel_initializer_, dtype_);
    if (use_bias_) bias_ = add_weight("bias", {units_}, bias_initializer_, dtype_);
}

Tensor Dense::call(const Tensor& x, bool) {
    if (!is_floating(x.dtype()))
        throw DTypeError(describe() + ": input dtype is " + std::string(nabla::name(x.dtype())) +
                         "; expected floating point — convert first, as the book does: x.astype(float32) / 255");
    const Tensor in = x.dtype() == dtype_ ? x : x.astype(dtype_);
    return nabla::ops::dense(in, kernel_, use_bias_ ? bias_.value() : Tensor(), activation_);
}

const Variable& Dense::kernel() const {
    if (!built()) throw ValueError(describe() + " has not been built yet: it has no kernel");
    return kernel_;
}

const Variable& Dense::bias() const {
    if (!built()) throw ValueError(describe() + " has not been built yet: it has no bias");
    if (!use_bias_) throw ValueError(describe() + " was created with use_bias = false: it has no bias");
    return bias_;
}

}  // namespace nabla::layers
