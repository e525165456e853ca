// conv2d, max_pool2d, avg_pool2d: argument checks, one tape node each, and
// the dispatch to the kernels of conv_kernels.hpp (oneDNN for float32
// convolutions, direct loops otherwise).
#include "nabla/ops/conv.hpp"

#include <cctype>
#include <cmath>
#include <type_traits>
#include <string>

#include "conv_kernels.hpp"
#include "nabla/core/graph.hpp"
#include "nn_kernels.hpp"

namespace nabla {

namespace detail::conv {
std::int64_t& backward_data_runs() noexcept {
    thread_local std::int64_t runs = 0;
    return runs;
}
}  // namespace detail::conv

inline namespace ops {

Padding padding_from_name(std::string_view s) {
    std::string lower;
    for (char c : s) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == "valid") return Padding::Valid;
    if (lower == "same") return Padding::Same;
    throw ValueError("unknown padding '" + std::string(s) + "'; expected \"valid\" or \"same\"");
}

std::string_view name(Padding p) { return p == Padding::Same ? "same" : "valid"; }

std::int64_t window_output_size(std::int64_t in, std::int64_t window, std::int64_t stride, std::int64_t dilation,
                                Padding padding) {
    if (in < 0) return -1;
    if (padding == Padding::Same) return (in + stride - 1) / stride;
    const std::int64_t extent = (window - 1) * dilation + 1;
    return in >= extent ? (in - extent) / stride + 1 : 0;
}

namespace {

using detail::conv::Geometry;
using detail::nn::contiguous_as;

// "Conv2D expects (batch, height, width, channels); got (128, 784) — reshape to (128, 28, 28, 1)"
void check_image_batch(const Tensor& x, const std::string& op) {
    if (!x.defined()) throw ValueError(op + ": the input tensor is undefined");
    if (!is_floating(x.dtype()))
        throw DTypeError(op + ": input dtype is " + std::string(name(x.dtype())) +
                         "; expected float32 or float64 — convert first: x.astype(float32) / 255");
    if (x.ndim() == 4) return;
    std::string hint;
    const Shape& s = x.shape();
    if (s.size() == 3) {
        hint = " — add a channels axis: reshape to " + to_string(Shape{s[0], s[1], s[2], 1});
    } else if (s.size() == 2) {
        const auto side = static_cast<std::int64_t>(std::llround(std::sqrt(static_cast<double>(s[1]))));
        hint = side * side == s[1] ? " — reshape to " + to_string(Shape{s[0], side, side, 1})
                                   : " — reshape to (batch, height, width, channels)";
    } else {
        hint = " — reshape to (batch, height, width, channels)";
    }
    throw ShapeError(op + " expects (batch, height, width, channels); got " + to_string(s) + hint);
}

Geometry conv_geometry(const Tensor& x, const Tensor& k, const Tensor& b, const Conv2DParams& p) {
    check_image_batch(x, "conv2d");
    if (!k.defined()) throw ValueError("conv2d: the kernel is undefined");
    if (!is_floating(k.dtype()))
        throw DTypeError("conv2d: the kernel must be float32 or float64, got " + std::string(name(k.dtype())));
    if (k.ndim() != 4)
        throw ShapeError("conv2d: the kernel must be (kernel_h, kernel_w, in_channels, filters), got " +
                         to_string(k.shape()));
    if (k.shape(2) != x.shape(3))
        throw ShapeError("conv2d: input " + to_string(x.shape()) + " has " + std::to_string(x.shape(3)) +
                         " channels but the kernel " + to_string(k.shape()) + " expects " + std::to_string(k.shape(2)));
    if (b.defined() && b.shape() != Shape{k.shape(3)})
        throw ShapeError("conv2d: bias of shape " + to_string(b.shape()) + " does not match the kernel " +
                         to_string(k.shape()) + ": expected (" + std::to_string(k.shape(3)) + ",)");
    Geometry g;
    g.n = x.shape(0), g.h = x.shape(1), g.w = x.shape(2), g.c = x.shape(3);
    g.kh = k.shape(0), g.kw = k.shape(1), g.o = k.shape(3);
    if (g.kh < 1 || g.kw < 1 || g.o < 1) throw ShapeError("conv2d: empty kernel " + to_string(k.shape()));
    detail::conv::plan(g, p.strides, p.padding, p.dilation, "conv2d");
    return g;
}

// Only first-order gradients: the backward kernels are not ops.
void refuse_second_order(const char* op) {
    if (graph::recording())
        throw ValueError(std::string(op) +
                         ": gradients of its gradient are not supported (its backward pass is a fused kernel); "
                         "compute first-order gradients only");
}

template <typename T>
void forward(const Geometry& g, const T* x, const T* k, const T* b, T* y) {
    if constexpr (std::is_same_v<T, float>)
        detail::conv::conv_dnnl_forward(g, x, k, b, y);
    else
        detail::conv::conv_reference_forward(g, x, k, b, y);
}

struct ConvBackward {
    Geometry g;
    Tensor x, k;  // contiguous, the kernel's dtype
    bool has_bias;

    std::vector<Tensor> operator()(const Tensor& grad) const {
        refuse_second_order("conv2d");
        // The input's gradient (oneDNN's backward-data pass, a quarter of the
        // first layer's time) only when the tape needs it: never for an image.
        const bool want_dx = graph::needs_gradient(0);
        const bool want_dk = graph::needs_gradient(1) || (has_bias && graph::needs_gradient(2));
        const Tensor dy = contiguous_as(grad, k.dtype());
        Tensor dx = want_dx ? Tensor::uninitialized(x.shape(), k.dtype()) : Tensor();
        Tensor dk = want_dk ? Tensor::uninitialized(k.shape(), k.dtype()) : Tensor();
        Tensor db = want_dk && has_bias ? Tensor::uninitialized({g.o}, k.dtype()) : Tensor();
        if (want_dx) ++detail::conv::backward_data_runs();
        if (g.n > 0)
            detail::dispatch_floating(k.dtype(), "conv2d gradient", [&]<typename T>() {
                T* dbp = db.defined() ? db.data<T>() : nullptr;
                if constexpr (std::is_same_v<T, float>) {
                    if (want_dx) detail::conv::conv_dnnl_backward_data(g, dy.data<T>(), k.data<T>(), dx.data<T>());
                    if (want_dk)
                        detail::conv::conv_dnnl_backward_weights(g, x.data<T>(), dy.data<T>(), dk.data<T>(), dbp);
                } else {
                    if (want_dx)
                        detail::conv::conv_reference_backward_data(g, dy.data<T>(), k.data<T>(), dx.data<T>());
                    if (want_dk)
                        detail::conv::conv_reference_backward_weights(g, x.data<T>(), dy.data<T>(), dk.data<T>(),
                                                                      dbp);
                }
            });
        else {
            if (dk.defined()) dk.fill(0);
            if (db.defined()) db.fill(0);
        }
        return {dx, dk, db};
    }
};

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& kernel, const Tensor& bias, Conv2DParams params) {
    const Geometry g = conv_geometry(x, kernel, bias, params);
    const DType dt = kernel.dtype();
    // Keras casts a layer's inputs to its dtype; recorded, so gradients reach x.
    const Tensor xin = x.dtype() == dt ? x : x.astype(dt);
    const Tensor bin = !bias.defined() || bias.dtype() == dt ? bias : bias.astype(dt);
    const Tensor xc = contiguous_as(xin, dt), kc = contiguous_as(kernel, dt);
    const Tensor bc = bin.defined() ? contiguous_as(bin, dt) : Tensor();
    Tensor y = Tensor::uninitialized({g.n, g.oh, g.ow, g.o}, dt);
    if (g.n > 0)
        detail::dispatch_floating(dt, "conv2d", [&]<typename T>() {
            forward<T>(g, xc.data<T>(), kc.data<T>(), bc.defined() ? bc.data<T>() : nullptr, y.data<T>());
        });
    if (graph::recording())
        graph::record("conv2d", {xin, kernel, bin}, y, ConvBackward{g, xc, kc, bin.defined()});
    return y;
}

// --- pooling ---

namespace {

enum class PoolKind { Max, Average };

Geometry pool_geometry(const Tensor& x, const Pool2DParams& p, const char* op) {
    check_image_batch(x, op);
    if (p.pool_size.h < 1 || p.pool_size.w < 1)
        throw ValueError(std::string(op) + ": pool_size must be positive, got (" + std::to_string(p.pool_size.h) +
                         ", " + std::to_string(p.pool_size.w) + ")");
    Geometry g;
    g.n = x.shape(0), g.h = x.shape(1), g.w = x.shape(2), g.c = g.o = x.shape(3);
    g.kh = p.pool_size.h, g.kw = p.pool_size.w;
    const Size2 strides{p.strides.h == 0 ? p.pool_size.h : p.strides.h, p.strides.w == 0 ? p.pool_size.w : p.strides.w};
    detail::conv::plan(g, strides, p.padding, 1, op);
    return g;
}

struct PoolBackward {
    Geometry g;
    Tensor x, y;  // contiguous; max pooling finds each window's maximum in x equal to y
    PoolKind kind;

    std::vector<Tensor> operator()(const Tensor& grad) const {
        refuse_second_order(kind == PoolKind::Max ? "max_pool2d" : "avg_pool2d");
        const Tensor dy = contiguous_as(grad, x.dtype());
        Tensor dx = Tensor::uninitialized(x.shape(), x.dtype());
        detail::dispatch_floating(x.dtype(), "pooling gradient", [&]<typename T>() {
            if (kind == PoolKind::Max)
                detail::conv::max_pool_backward(g, x.data<T>(), y.data<T>(), dy.data<T>(), dx.data<T>());
            else
                detail::conv::avg_pool_backward(g, dy.data<T>(), dx.data<T>());
        });
        return {dx};
    }
};

Tensor pool(const Tensor& x, const Pool2DParams& p, PoolKind kind) {
    const char* op = kind == PoolKind::Max ? "max_pool2d" : "avg_pool2d";
    const Geometry g = pool_geometry(x, p, op);
    const Tensor xc = contiguous_as(x, x.dtype());
    Tensor y = Tensor::uninitialized({g.n, g.oh, g.ow, g.c}, x.dtype());
    detail::dispatch_floating(x.dtype(), op, [&]<typename T>() {
        if (kind == PoolKind::Max)
            detail::conv::max_pool_forward(g, xc.data<T>(), y.data<T>());
        else
            detail::conv::avg_pool_forward(g, xc.data<T>(), y.data<T>());
    });
    if (graph::recording()) graph::record(op, {x}, y, PoolBackward{g, xc, kind == PoolKind::Max ? y : Tensor(), kind});
    return y;
}

}  // namespace

Tensor max_pool2d(const Tensor& x, Pool2DParams params) { return pool(x, params, PoolKind::Max); }
Tensor avg_pool2d(const Tensor& x, Pool2DParams params) { return pool(x, params, PoolKind::Average); }

}  // namespace ops
}  // namespace nabla
