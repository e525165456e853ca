#include "nabla/layers/pooling.hpp"

#include "nabla/ops/reduce.hpp"

namespace nabla::layers {

namespace {
std::optional<Shape> optional_shape(const Shape& s) { return s.empty() ? std::nullopt : std::optional<Shape>(s); }

void check_rank4(const Shape& s, const std::string& who) {
    if (s.size() != 4)
        throw ShapeError(who + " expects (batch, height, width, channels); got " + shape_string(s) +
                         (s.size() == 2 ? " — a Dense output cannot be pooled: pool before Flatten"
                                        : " — reshape to (batch, height, width, channels)"));
}
}  // namespace

Pooling2D::Pooling2D(std::string_view prefix, nabla::ops::Size2 pool_size, Pooling2DOptions options)
    : Layer(prefix, std::move(options.name), optional_shape(options.input_shape)) {
    const nabla::ops::Size2 strides = options.strides.value_or(pool_size);
    if (pool_size.h <= 0 || pool_size.w <= 0 || strides.h <= 0 || strides.w <= 0)
        throw ValueError(std::string(prefix) + " '" + name() + "': pool_size and strides must be positive");
    params_ = {pool_size, strides, nabla::ops::padding_from_name(options.padding)};
}

Shape Pooling2D::compute_output_shape(const Shape& s) const {
    check_rank4(s, describe());
    const auto& p = params_;
    const std::int64_t oh = nabla::ops::window_output_size(s[1], p.pool_size.h, p.strides.h, 1, p.padding);
    const std::int64_t ow = nabla::ops::window_output_size(s[2], p.pool_size.w, p.strides.w, 1, p.padding);
    if (oh == 0 || ow == 0)
        throw ShapeError(describe() + ": the pool window does not fit in the input " + shape_string(s) +
                         " with padding 'valid'; use padding 'same' or a smaller pool_size");
    return {s[0], oh, ow, s[3]};
}

MaxPooling2D::MaxPooling2D(nabla::ops::Size2 pool_size, Pooling2DOptions options)
    : Pooling2D("max_pooling2d", pool_size, std::move(options)) {}

Tensor MaxPooling2D::call(const Tensor& x, bool) { return nabla::ops::max_pool2d(x, params_); }

AveragePooling2D::AveragePooling2D(nabla::ops::Size2 pool_size, Pooling2DOptions options)
    : Pooling2D("average_pooling2d", pool_size, std::move(options)) {}

Tensor AveragePooling2D::call(const Tensor& x, bool) { return nabla::ops::avg_pool2d(x, params_); }

GlobalAveragePooling2D::GlobalAveragePooling2D(GlobalPooling2DOptions options)
    : Layer("global_average_pooling2d", std::move(options.name), optional_shape(options.input_shape)),
      keepdims_(options.keepdims) {}

Shape GlobalAveragePooling2D::compute_output_shape(const Shape& s) const {
    check_rank4(s, describe());
    return keepdims_ ? Shape{s[0], 1, 1, s[3]} : Shape{s[0], s[3]};
}

Tensor GlobalAveragePooling2D::call(const Tensor& x, bool) {
    if (!is_floating(x.dtype()))
        throw DTypeError(describe() + ": input dtype is " + std::string(nabla::name(x.dtype())) +
                         "; expected float32 or float64");
    return nabla::ops::mean(x, {1, 2}, keepdims_);
}

}  // namespace nabla::layers
