// Keras's losses (keras.losses.*), one value per sample. Each is one fused
// row kernel forward and one tape node; the backward is a fused row kernel
// when nothing records it, and the same derivative written with ops when an
// outer tape does (gradients of gradients).
#include <cmath>
#include <functional>
#include <string>

#include "nabla/core/graph.hpp"
#include "nabla/ops/elementwise.hpp"
#include "nabla/ops/nn.hpp"
#include "nabla/ops/reduce.hpp"
#include "nn_kernels.hpp"
#include "nn_loss_kernels.hpp"

namespace nabla {
inline namespace ops {

namespace {

using detail::nn::kEpsilon;
using HigherOrder = std::function<std::vector<Tensor>(const Tensor& g)>;

Shape leading(const Shape& s) { return Shape(s.begin(), s.end() - 1); }

// --- the fused driver --------------------------------------------------------

template <typename K>
struct LossBackward {
    K kernel;
    Tensor t, y, aux;  // contiguous, y's dtype; t undefined for sparse labels
    HigherOrder higher_order;

    std::vector<Tensor> operator()(const Tensor& g) const {
        if (graph::recording()) return higher_order(g);
        const std::int64_t n = y.shape().back(), rows = numel(leading(y.shape()));
        const Tensor gc = detail::nn::contiguous_as(g, y.dtype());
        Tensor dy = Tensor::uninitialized(y.shape(), y.dtype());
        // Labels rarely need a gradient: the kernels skip dt when it is null.
        const bool want_dt = t.defined() && graph::needs_gradient(0);
        Tensor dt = want_dt ? Tensor::uninitialized(y.shape(), y.dtype()) : Tensor();
        detail::dispatch_floating(y.dtype(), "loss gradient", [&]<typename T>() {
            const T* tp = t.defined() ? t.data<T>() : nullptr;
            const T *yp = y.data<T>(), *gp = gc.data<T>(), *ap = aux.data<T>();
            T* dyp = dy.data<T>();
            T* dtp = dt.defined() ? dt.data<T>() : nullptr;
            detail::nn::for_rows(rows, n, [&](std::int64_t r) {
                kernel.template backward<T>(tp ? tp + r * n : nullptr, yp + r * n, gp[r], n, r, ap + 2 * r,
                                            dtp ? dtp + r * n : nullptr, dyp + r * n);
            });
        });
        if (t.defined()) return {dt, dy};
        return {dy};
    }
};

// Runs kernel K over the rows of (t, y) and records one node whose inputs are
// {t, y} ({y} when t is undefined: integer labels).
template <typename K>
Tensor run_loss(const char* op, const Tensor& t, const Tensor& y, const K& kernel, HigherOrder higher_order) {
    const DType dt = y.dtype();
    const Tensor yc = detail::nn::contiguous_as(y, dt);
    const Tensor tc = t.defined() ? detail::nn::contiguous_as(t, dt) : Tensor();
    const std::int64_t n = y.shape().back(), rows = numel(leading(y.shape()));
    Tensor out = Tensor::uninitialized(leading(y.shape()), dt);
    Tensor aux = Tensor::uninitialized({rows, 2}, dt);
    detail::dispatch_floating(dt, op, [&]<typename T>() {
        const T* tp = tc.defined() ? tc.data<T>() : nullptr;
        const T* yp = yc.data<T>();
        T *op_ = out.data<T>(), *ap = aux.data<T>();
        detail::nn::for_rows(rows, n, [&](std::int64_t r) {
            op_[r] = kernel.template forward<T>(tp ? tp + r * n : nullptr, yp + r * n, n, r, ap + 2 * r);
        });
    });
    if (graph::recording()) {
        LossBackward<K> backward{kernel, tc, yc, aux, std::move(higher_order)};
        graph::record(op, t.defined() ? std::vector<Tensor>{t, y} : std::vector<Tensor>{y}, out,
                      std::move(backward));
    }
    return out;
}

// --- validation ----------------------------------------------------------------

void check_prediction(const char* op, const Tensor& y_true, const Tensor& y_pred) {
    if (!y_true.defined() || !y_pred.defined())
        throw ValueError(std::string(op) + ": y_true and y_pred must be defined tensors");
    if (!is_floating(y_pred.dtype()))
        throw DTypeError(std::string(op) + ": y_pred must be float32 or float64, got " +
                         std::string(name(y_pred.dtype())));
    if (y_pred.ndim() == 0)
        throw ShapeError(std::string(op) + ": y_pred must have rank >= 1 (values on the last axis), got shape ()");
}

// Keras converts y_true to y_pred's dtype (recorded, so y_true stays differentiable).
Tensor cast_like(const Tensor& t, const Tensor& like) {
    return t.dtype() == like.dtype() ? t : t.astype(like.dtype());
}

void check_same_shape(const char* op, const Tensor& t, const Tensor& y) {
    if (t.shape() != y.shape())
        throw ShapeError(std::string(op) + ": y_true and y_pred must have the same shape, got y_true " +
                         to_string(t.shape()) + " and y_pred " + to_string(y.shape()));
}

// Keras's squeeze_or_expand_to_same_rank: ranks that differ by one through a
// trailing axis of length 1 are reconciled ((batch,) labels with (batch, 1)
// predictions).
void match_rank(Tensor& t, Tensor& y) {
    const int rt = t.ndim(), ry = y.ndim();
    if (rt == ry + 1 && t.shape().back() == 1) {
        if (ry == 1) y = y.expand_dims(-1);
        else t = t.squeeze(-1);
    } else if (ry == rt + 1 && y.shape().back() == 1) {
        if (rt == 1) t = t.expand_dims(-1);
        else y = y.squeeze(-1);
    }
}

std::string position(std::int64_t flat, const Shape& shape) {
    Shape idx(shape.size());
    for (std::size_t d = shape.size(); d-- > 0;) {
        idx[d] = flat % shape[d];
        flat /= shape[d];
    }
    return to_string(idx);
}

// Class ids as a contiguous int64 tensor of shape y_pred.shape()[:-1].
Tensor sparse_labels(const char* op, const Tensor& y_true, const Tensor& y_pred) {
    if (y_true.dtype() == bool_) throw DTypeError(std::string(op) + ": y_true must hold integer class ids, got bool");
    Tensor t = y_true;
    if (t.ndim() == y_pred.ndim() && t.ndim() > 0 && t.shape().back() == 1) t = detail::nn::reshaped(
        detail::nn::contiguous_as(t, t.dtype()), leading(t.shape()));
    const Shape expected = leading(y_pred.shape());
    if (t.shape() != expected)
        throw ShapeError(std::string(op) + ": y_true " + to_string(y_true.shape()) + " does not match y_pred " +
                         to_string(y_pred.shape()) + ": expected class ids of shape " + to_string(expected));
    const std::vector<double> values = t.to_vector<double>();
    const std::int64_t classes = y_pred.shape().back();
    std::vector<std::int64_t> ids(values.size());
    for (std::size_t i = 0; i < values.size(); ++i) {
        const double v = values[i];
        if (!(std::floor(v) == v))
            throw ValueError(std::string(op) + ": y_true must hold integer class ids, got " + std::to_string(v) +
                             " at " + position(static_cast<std::int64_t>(i), expected));
        if (v < 0 || v >= static_cast<double>(classes))
            throw ValueError(std::string(op) + ": label " + std::to_string(static_cast<std::int64_t>(v)) + " at " +
                             position(static_cast<std::int64_t>(i), expected) + " is out of range [0, " +
                             std::to_string(classes) + ") for y_pred of shape " + to_string(y_pred.shape()));
        ids[i] = static_cast<std::int64_t>(v);
    }
    return Tensor(ids, expected);
}

// --- derivatives written with ops (used when an outer tape records) -----------

std::vector<Tensor> categorical_logits_grad(const Tensor& t, const Tensor& x, const Tensor& g) {
    const Tensor ge = g.expand_dims(-1);
    return {-log_softmax(x) * ge, (softmax(x) * sum(t, -1, true) - t) * ge};
}

std::vector<Tensor> categorical_probs_grad(const Tensor& t, const Tensor& y, const Tensor& g) {
    const Tensor ge = g.expand_dims(-1);
    const Tensor s = sum(y, -1, true);
    const Tensor p = y / s;
    const Tensor q = clip(p, kEpsilon, 1.0 - kEpsilon);
    const Tensor passes = logical_and(p >= kEpsilon, p <= 1.0 - kEpsilon);
    const Tensor dp = -(t / q) * ge * passes;
    return {-log(q) * ge, (dp - sum(dp * p, -1, true)) / s};
}

Tensor one_hot_constant(const Tensor& labels, const Tensor& like) {
    Tensor t = zeros(like.shape(), like.dtype());
    const std::int64_t n = like.shape().back();
    const std::int64_t* ids = labels.data<std::int64_t>();
    detail::dispatch_floating(like.dtype(), "one_hot", [&]<typename T>() {
        T* p = t.data<T>();
        for (std::int64_t r = 0; r < labels.size(); ++r) p[r * n + ids[r]] = T(1);
    });
    return t;
}

std::vector<Tensor> binary_logits_grad(const Tensor& t, const Tensor& x, const Tensor& g) {
    const Tensor gn = g.expand_dims(-1) * (1.0 / static_cast<double>(x.shape().back()));
    return {-x * gn, (sigmoid(x) - t) * gn};
}

std::vector<Tensor> binary_probs_grad(const Tensor& t, const Tensor& y, const Tensor& g) {
    const Tensor gn = g.expand_dims(-1) * (1.0 / static_cast<double>(y.shape().back()));
    const Tensor q = clip(y, kEpsilon, 1.0 - kEpsilon);
    const Tensor passes = logical_and(y >= kEpsilon, y <= 1.0 - kEpsilon);
    return {(log(1 - q) - log(q)) * gn, (q - t) / (q * (1 - q)) * gn * passes};
}

// Shared preparation of the dense-target losses: checked, cast, same shape.
std::pair<Tensor, Tensor> prepare(const char* op, const Tensor& y_true, const Tensor& y_pred, bool keras_rank) {
    check_prediction(op, y_true, y_pred);
    Tensor t = cast_like(y_true, y_pred), y = y_pred;
    if (keras_rank) match_rank(t, y);
    if (y.ndim() == 0)
        throw ShapeError(std::string(op) + ": y_true " + to_string(y_true.shape()) + " and y_pred " +
                         to_string(y_pred.shape()) + " leave no axis to average over");
    check_same_shape(op, t, y);
    return {t, y};
}

}  // namespace

Tensor categorical_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool from_logits) {
    const char* op = "categorical_crossentropy";
    const auto prepared = prepare(op, y_true, y_pred, false);
    const Tensor &t = prepared.first, &y = prepared.second;
    if (from_logits)
        return run_loss(op, t, y, detail::nn::CategoricalLogits{},
                        [t, y](const Tensor& g) { return categorical_logits_grad(t, y, g); });
    return run_loss(op, t, y, detail::nn::CategoricalProbs{},
                    [t, y](const Tensor& g) { return categorical_probs_grad(t, y, g); });
}

Tensor sparse_categorical_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool from_logits) {
    const char* op = "sparse_categorical_crossentropy";
    check_prediction(op, y_true, y_pred);
    const Tensor labels = sparse_labels(op, y_true, y_pred);
    // The kernels read the ids through this pointer; `labels` stays alive in
    // the higher-order closure, which lives as long as the kernel's node.
    const std::int64_t* ids = labels.data<std::int64_t>();
    // The higher-order path builds the one-hot rows; the fused path never does.
    auto higher_order = [labels, y = y_pred, from_logits](const Tensor& g) {
        const Tensor t = one_hot_constant(labels, y);
        return std::vector<Tensor>{from_logits ? categorical_logits_grad(t, y, g)[1]
                                               : categorical_probs_grad(t, y, g)[1]};
    };
    if (from_logits) return run_loss(op, Tensor(), y_pred, detail::nn::SparseLogits{ids}, higher_order);
    return run_loss(op, Tensor(), y_pred, detail::nn::SparseProbs{ids}, higher_order);
}

Tensor binary_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool from_logits) {
    const char* op = "binary_crossentropy";
    const auto prepared = prepare(op, y_true, y_pred, true);
    const Tensor &t = prepared.first, &y = prepared.second;
    if (from_logits)
        return run_loss(op, t, y, detail::nn::BinaryLogits{},
                        [t, y](const Tensor& g) { return binary_logits_grad(t, y, g); });
    return run_loss(op, t, y, detail::nn::BinaryProbs{},
                    [t, y](const Tensor& g) { return binary_probs_grad(t, y, g); });
}

Tensor mean_squared_error(const Tensor& y_true, const Tensor& y_pred) {
    const char* op = "mean_squared_error";
    const auto prepared = prepare(op, y_true, y_pred, true);
    const Tensor &t = prepared.first, &y = prepared.second;
    return run_loss(op, t, y, detail::nn::SquaredError{}, [t, y](const Tensor& g) {
        const Tensor d = (y - t) * (g.expand_dims(-1) * (2.0 / static_cast<double>(y.shape().back())));
        return std::vector<Tensor>{-d, d};
    });
}

}  // namespace ops
}  // namespace nabla
