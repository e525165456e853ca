#pragma once
// Convolution, pooling and batch normalisation on channels-last images, as
// Keras (and TensorFlow) lay them out:
//
//   x       (batch, height, width, channels)          NHWC
//   kernel  (kernel_h, kernel_w, in_channels, filters) HWIO, Keras's Conv2D kernel
//
//   Tensor y = conv2d(x, kernel, bias, {.strides = 2, .padding = Padding::Same});
//   Tensor z = conv2d(x, kernel, Conv2DParams{.padding = Padding::Same});  // no bias
//   Tensor p = max_pool2d(y, {.pool_size = 2});
//
// "same" padding is TensorFlow's: the output has ceil(in / stride) positions
// and the padding is split with the extra row/column at the end (bottom,
// right). Pooling with "same" padding ignores the padded positions (a max
// over the real ones; an average divided by how many real ones there are).
//
// float32 runs on oneDNN's convolution primitives (cached per shape);
// float64 runs on nabla's direct loops, the reference the float32 path is
// tested against. Every op records one tape node; its backward is a
// hand-written kernel, so these ops support first-order gradients only (an
// outer tape recording a conv's backward pass throws ValueError).
#include <cstdint>
#include <string_view>

#include "nabla/core/tensor.hpp"

namespace nabla {
inline namespace ops {

enum class Padding { Valid, Same };
// "valid" or "same" (any letter case, as Keras); otherwise ValueError.
Padding padding_from_name(std::string_view name);
std::string_view name(Padding p);

// A pair (rows, columns); a single number means both, as Keras's 3 == (3, 3).
struct Size2 {
    std::int64_t h = 1, w = 1;
    Size2() = default;
    Size2(std::int64_t both) : h(both), w(both) {}  // NOLINT: implicit, as Keras's int
    Size2(std::int64_t rows, std::int64_t cols) : h(rows), w(cols) {}
    bool operator==(const Size2&) const = default;
};

// Output positions along one axis: ceil(in / stride) with "same",
// floor((in - (window - 1) * dilation - 1) / stride) + 1 with "valid" (0 when
// the window does not fit). An unknown size (-1) stays -1.
std::int64_t window_output_size(std::int64_t in, std::int64_t window, std::int64_t stride, std::int64_t dilation,
                                Padding padding);

struct Conv2DParams {
    Size2 strides = 1;
    Padding padding = Padding::Valid;
    Size2 dilation = 1;  // Keras's dilation_rate
};

// x (batch, h, w, in) ⊛ kernel (kh, kw, in, out) + bias (out,) -> (batch, oh, ow, out).
// `bias` may be undefined (no bias). Both operands must be float32 or
// float64 (x is converted to the kernel's dtype). Shape mismatches throw
// ShapeError naming both shapes.
Tensor conv2d(const Tensor& x, const Tensor& kernel, const Tensor& bias, Conv2DParams params = {});
// Without a bias: conv2d(x, kernel) or conv2d(x, kernel, Conv2DParams{.strides = 2})
// (the type name is needed: a bare {...} could also be a Tensor).
inline Tensor conv2d(const Tensor& x, const Tensor& kernel, Conv2DParams params = {}) {
    return conv2d(x, kernel, Tensor(), params);
}

struct Pool2DParams {
    Size2 pool_size = 2;
    Size2 strides = 0;  // 0: the pool size, as Keras's strides=None
    Padding padding = Padding::Valid;
};

// (batch, h, w, c) -> (batch, oh, ow, c): the maximum / mean of each window.
Tensor max_pool2d(const Tensor& x, Pool2DParams params = {});
Tensor avg_pool2d(const Tensor& x, Pool2DParams params = {});

// Batch normalisation over the last axis (channels): gamma, beta, mean and
// variance are (channels,); gamma or beta may be undefined (1 and 0).
//   y = (x - mean) / sqrt(variance + epsilon) * gamma + beta
// With given statistics (inference, Keras's moving averages):
Tensor batch_norm(const Tensor& x, const Tensor& mean, const Tensor& variance, const Tensor& gamma,
                  const Tensor& beta, double epsilon = 1e-3);
// With the batch's own statistics (training): the mean and the biased
// variance over every axis but the last, as Keras's BatchNormalization.
struct BatchNormTraining {
    Tensor y, mean, variance;
};
BatchNormTraining batch_norm_training(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                      double epsilon = 1e-3);

}  // namespace ops
}  // namespace nabla
