// dense(x, W, b, activation): one gemm, then one fused pass that adds the
// bias and applies the activation in place; one tape node whose backward
// computes the activation's gradient in one pass and the products
// dx = g·Wᵀ, dW = xᵀ·g (gemm with transpose flags, no copies), db = Σ g.
#include <string>

#include "nabla/core/graph.hpp"
#include "nabla/ops/elementwise.hpp"
#include "nabla/ops/linalg.hpp"
#include "nabla/ops/nn.hpp"
#include "nabla/ops/reduce.hpp"
#include "gemm.hpp"
#include "dense_kernels.hpp"
#include "nn_kernels.hpp"

namespace nabla {
inline namespace ops {

namespace {

using detail::dense::ActivationGradRow;
using detail::dense::bias_activation;
using detail::dense::product;

void check_dense(const Tensor& x, const Tensor& W, const Tensor& b) {
    if (!x.defined() || !W.defined()) throw ValueError("dense: x and W must be defined tensors");
    if (!is_floating(W.dtype()))
        throw DTypeError("dense: W must be float32 or float64, got " + std::string(name(W.dtype())));
    if (W.ndim() != 2) throw ShapeError("dense: W must be 2-D (in, units), got shape " + to_string(W.shape()));
    if (x.ndim() < 2)
        throw ShapeError("dense: x must have shape (batch, in), got " + to_string(x.shape()) + " for W " +
                         to_string(W.shape()));
    if (x.shape().back() != W.shape()[0])
        throw ShapeError("dense: x " + to_string(x.shape()) + " and W " + to_string(W.shape()) +
                         " are not aligned: " + std::to_string(x.shape().back()) + " (x's last axis) != " +
                         std::to_string(W.shape()[0]) + " (W's first axis)");
    if (b.defined() && b.shape() != Shape{W.shape()[1]})
        throw ShapeError("dense: bias of shape " + to_string(b.shape()) + " does not match W " +
                         to_string(W.shape()) + ": expected (" + std::to_string(W.shape()[1]) + ",)");
}

// The same gradient with differentiable ops, for when an outer tape records.
Tensor activation_grad_ops(const Tensor& y, const Tensor& g, Activation act) {
    switch (act) {
        case Activation::Linear: return g;
        case Activation::ReLU: return g * (y > 0);
        case Activation::Sigmoid: return g * y * (1 - y);
        case Activation::Tanh: return g * (1 - y * y);
        case Activation::Softmax: return y * (g - sum(g * y, -1, true));
    }
    throw ValueError("dense: invalid Activation value " + std::to_string(static_cast<int>(act)));
}


struct DenseBackward {
    Tensor x, W, y;  // as recorded (for the differentiable path)
    Tensor xc, Wc;   // contiguous (rows, in) and (in, units), for the fused path
    bool has_bias;
    Activation act;

    // dx = ga·Wᵀ, dW = xᵀ·ga, db = Σ_rows ga, straight on the gemm kernel.
    std::vector<Tensor> fused(const Tensor& g) const {
        const std::int64_t rows = xc.shape()[0], in = Wc.shape()[0], units = Wc.shape()[1];
        const Tensor y2 = detail::nn::reshaped(detail::nn::contiguous_as(y, y.dtype()), {rows, units});
        const Tensor g2 = detail::nn::reshaped(detail::nn::contiguous_as(g, y.dtype()), {rows, units});
        const Tensor ga = act == Activation::Linear
                              ? g2
                              : detail::nn::map_rows("dense gradient", 1, ActivationGradRow{act}, y2, g2);
        // The input's product only when the tape needs it (not for a first
        // layer's input); the others are skipped likewise when not needed.
        const bool want_dx = graph::needs_gradient(0), want_dW = graph::needs_gradient(1);
        Tensor dx = want_dx ? Tensor::uninitialized({rows, in}, y.dtype()) : Tensor();
        Tensor dW = want_dW ? Tensor::uninitialized({in, units}, y.dtype()) : Tensor();
        detail::dispatch_floating(y.dtype(), "dense gradient", [&]<typename T>() {
            if (want_dx) product<T>(false, true, rows, in, units, ga.data<T>(), Wc.data<T>(), dx.data<T>());
            if (want_dW) product<T>(true, false, in, units, rows, xc.data<T>(), ga.data<T>(), dW.data<T>());
        });
        return {want_dx ? detail::nn::reshaped(dx, x.shape()) : Tensor(), dW,
                has_bias && graph::needs_gradient(2) ? sum(ga, 0) : Tensor()};
    }

    // The same with recorded ops, so an outer tape can differentiate it.
    std::vector<Tensor> with_ops(const Tensor& g) const {
        const std::int64_t rows = xc.shape()[0], in = Wc.shape()[0], units = Wc.shape()[1];
        const Tensor ga = activation_grad_ops(y.reshape({rows, units}), g.reshape({rows, units}), act);
        return {graph::needs_gradient(0) ? dot(ga, W.transpose()).reshape(x.shape()) : Tensor(),
                graph::needs_gradient(1) ? dot(x.reshape({rows, in}).transpose(), ga) : Tensor(),
                has_bias && graph::needs_gradient(2) ? sum(ga, 0) : Tensor()};
    }

    std::vector<Tensor> operator()(const Tensor& g) const { return graph::recording() ? with_ops(g) : fused(g); }
};

}  // namespace

Tensor dense(const Tensor& x, const Tensor& W, const Tensor& b, Activation activation) {
    check_dense(x, W, b);
    const DType dt = W.dtype();
    // Keras casts a layer's inputs to its dtype; recorded, so gradients reach x.
    const Tensor xin = x.dtype() == dt ? x : x.astype(dt);
    const Tensor bin = !b.defined() || b.dtype() == dt ? b : b.astype(dt);
    const std::int64_t in = W.shape()[0], units = W.shape()[1];
    const std::int64_t rows = numel(Shape(x.shape().begin(), x.shape().end() - 1));
    const Tensor xc = detail::nn::reshaped(detail::nn::contiguous_as(xin, dt), {rows, in});
    const Tensor Wc = detail::nn::contiguous_as(W, dt);
    const Tensor bc = bin.defined() ? detail::nn::contiguous_as(bin, dt) : Tensor();
    Tensor z = Tensor::uninitialized({rows, units}, dt);
    detail::dispatch_floating(dt, "dense", [&]<typename T>() {
        product<T>(false, false, rows, units, in, xc.data<T>(), Wc.data<T>(), z.data<T>());
        bias_activation<T>(z.data<T>(), bc.defined() ? bc.data<T>() : nullptr, rows, units, activation);
    });
    Shape out_shape = x.shape();
    out_shape.back() = units;
    Tensor y = detail::nn::reshaped(z, out_shape);
    if (graph::recording())
        graph::record("dense", {xin, W, bin}, y, DenseBackward{xin, W, y, xc, Wc, bin.defined(), activation});
    return y;
}

}  // namespace ops
}  // namespace nabla
