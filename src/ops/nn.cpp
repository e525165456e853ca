// Activations and the softmax family. Each softmax op is one fused kernel
// forward and one tape node; its backward runs a fused kernel when nothing
// records the gradient computation, and the same formula written with ops
// when an outer tape does (so gradients of gradients work).
#include "nabla/ops/nn.hpp"

#include <string>

#include "nabla/core/graph.hpp"
#include "nabla/ops/elementwise.hpp"
#include "nabla/ops/reduce.hpp"
#include "nn_kernels.hpp"

namespace nabla {
inline namespace ops {

namespace {

constexpr std::pair<std::string_view, Activation> kActivationNames[] = {
    {"linear", Activation::Linear}, {"relu", Activation::ReLU},       {"sigmoid", Activation::Sigmoid},
    {"tanh", Activation::Tanh},     {"softmax", Activation::Softmax},
};

// Reads y and g along a row: d softmax = y * (g - <g, y>).
struct SoftmaxGradRow {
    template <typename T>
    void operator()(T* dx, std::int64_t n, const T* y, const T* g) const {
        T dot = 0;
        for (std::int64_t i = 0; i < n; ++i) dot += g[i] * y[i];
        for (std::int64_t i = 0; i < n; ++i) dx[i] = y[i] * (g[i] - dot);
    }
};

// d log_softmax = g - exp(y) * sum(g).
struct LogSoftmaxGradRow {
    template <typename T>
    void operator()(T* dx, std::int64_t n, const T* y, const T* g) const {
        T total = 0;
        for (std::int64_t i = 0; i < n; ++i) total += g[i];
        for (std::int64_t i = 0; i < n; ++i) dx[i] = g[i] - std::exp(y[i]) * total;
    }
};

struct SoftmaxRow {
    template <typename T>
    void operator()(T* y, std::int64_t n, const T* x) const {
        detail::nn::softmax_row(x, y, n);
    }
};

struct LogSoftmaxRow {
    template <typename T>
    void operator()(T* y, std::int64_t n, const T* x) const {
        detail::nn::log_softmax_row(x, y, n);
    }
};

int softmax_axis(const Tensor& x, int axis, const char* op) {
    if (!x.defined()) throw ValueError(std::string(op) + ": the input tensor is undefined");
    if (!is_floating(x.dtype()))
        throw DTypeError(std::string(op) + ": expected a float32 or float64 tensor, got " +
                         std::string(name(x.dtype())));
    if (x.ndim() == 0) throw ShapeError(std::string(op) + ": expected a tensor of rank >= 1, got shape ()");
    return normalize_axis(axis, x.ndim(), op);
}

}  // namespace

Activation activation_from_name(std::string_view s) {
    if (s.empty() || s == "none") return Activation::Linear;
    for (const auto& [n, a] : kActivationNames)
        if (n == s) return a;
    throw ValueError("unknown activation '" + std::string(s) +
                     "'; valid names: linear, relu, sigmoid, tanh, softmax (\"\" and \"none\" mean linear)");
}

std::string_view name(Activation a) {
    for (const auto& [n, act] : kActivationNames)
        if (act == a) return n;
    return "unknown";
}

Tensor activate(const Tensor& x, Activation a) {
    switch (a) {
        case Activation::Linear: return x;
        case Activation::ReLU: return relu(x);
        case Activation::Sigmoid: return sigmoid(x);
        case Activation::Tanh: return tanh(x);
        case Activation::Softmax: return softmax(x, -1);
    }
    throw ValueError("activate: invalid Activation value " + std::to_string(static_cast<int>(a)));
}

Tensor SoftmaxFunction::operator()(const Tensor& x, int axis) const {
    const int a = softmax_axis(x, axis, "softmax");
    Tensor y = detail::nn::map_rows("softmax", a, SoftmaxRow{}, x);
    if (graph::recording())
        graph::record("softmax", {x}, y, [y, a](const Tensor& g) {
            if (graph::recording()) return std::vector<Tensor>{y * (g - sum(g * y, a, true))};
            return std::vector<Tensor>{detail::nn::map_rows("softmax gradient", a, SoftmaxGradRow{}, y, g)};
        });
    return y;
}

Tensor log_softmax(const Tensor& x, int axis) {
    const int a = softmax_axis(x, axis, "log_softmax");
    Tensor y = detail::nn::map_rows("log_softmax", a, LogSoftmaxRow{}, x);
    if (graph::recording())
        graph::record("log_softmax", {x}, y, [y, a](const Tensor& g) {
            if (graph::recording()) return std::vector<Tensor>{g - exp(y) * sum(g, a, true)};
            return std::vector<Tensor>{detail::nn::map_rows("log_softmax gradient", a, LogSoftmaxGradRow{}, y, g)};
        });
    return y;
}

}  // namespace ops
}  // namespace nabla
