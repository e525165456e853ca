#pragma once
// Internal: the geometry of a 2-D window op (conv or pool) on NHWC data, and
// the kernels behind conv2d / max_pool2d / avg_pool2d.
//
// Direct loops (conv_reference_*) serve float64 and are the reference the
// oneDNN float32 path is tested against; conv_dnnl_* run float32 on oneDNN
// primitives cached per geometry (conv_dnnl.cpp). All buffers are dense
// NHWC / HWIO; outputs are overwritten.
#include <cstdint>
#include <string>

#include "nabla/ops/conv.hpp"

namespace nabla::detail::conv {

struct Geometry {
    std::int64_t n = 0, h = 0, w = 0, c = 0;  // input (batch, height, width, channels)
    std::int64_t kh = 1, kw = 1, o = 0;       // window (and, for conv, the output channels)
    std::int64_t sh = 1, sw = 1, dh = 1, dw = 1;
    std::int64_t pt = 0, pb = 0, pl = 0, pr = 0;  // padding top, bottom, left, right
    std::int64_t oh = 0, ow = 0;

    bool operator==(const Geometry&) const = default;
    std::int64_t in_size() const { return n * h * w * c; }
    std::int64_t out_size() const { return n * oh * ow * o; }
};

// Fills strides, dilation, padding and output size from the input, window
// and params. `op` names the operation in a ShapeError when the window does
// not fit ("valid" padding on a too small image).
void plan(Geometry& g, Size2 strides, Padding padding, Size2 dilation, const std::string& op);

template <typename T>
void conv_reference_forward(const Geometry& g, const T* x, const T* k, const T* bias, T* y);
template <typename T>
void conv_reference_backward_data(const Geometry& g, const T* dy, const T* k, T* dx);
template <typename T>
void conv_reference_backward_weights(const Geometry& g, const T* x, const T* dy, T* dk, T* dbias);

void conv_dnnl_forward(const Geometry& g, const float* x, const float* k, const float* bias, float* y);
void conv_dnnl_backward_data(const Geometry& g, const float* dy, const float* k, float* dx);
void conv_dnnl_backward_weights(const Geometry& g, const float* x, const float* dy, float* dk, float* dbias);

// Backward-data passes this thread has run (any dtype): tests check that a
// tape skips the input image's gradient (graph::needs_gradient).
std::int64_t& backward_data_runs() noexcept;

// Pooling on NHWC (g.o == g.c).
template <typename T>
void max_pool_forward(const Geometry& g, const T* x, T* y);
// y is the forward's output. relu_below: x is a relu's output, and dx is
// d(loss)/d(that relu's input) instead (0 where x is 0), which saves the
// relu's own backward pass.
template <typename T>
void max_pool_backward(const Geometry& g, const T* x, const T* y, const T* dy, T* dx, bool relu_below = false);
template <typename T>
void avg_pool_forward(const Geometry& g, const T* x, T* y);
template <typename T>
void avg_pool_backward(const Geometry& g, const T* dy, T* dx);

}  // namespace nabla::detail::conv
