#pragma once
// Internal: per-row forward and backward kernels of Keras's losses.
//
// Each kernel sees one row (the last axis, n elements) of y_true `t` and
// y_pred `y`, plus two scratch slots `aux` per row that the forward fills
// (the log-sum-exp pieces of the logits forms) and the backward reads.
//   forward(t, y, n, r, aux) -> the row's loss
//   backward(t, y, g, n, r, aux, dt, dy): dt/dy = g * d loss / d t, y;
//   dt may be null (no gradient wanted).
// The clipping bounds are Keras's epsilon (1e-7) in the tensor's dtype.
#include <cmath>
#include <cstdint>

#include "nn_kernels.hpp"

namespace nabla::detail::nn {

inline constexpr double kEpsilon = 1e-7;

template <typename T>
struct Clip {
    T lo = T(kEpsilon), hi = T(1.0 - kEpsilon);
    T operator()(T p) const { return p < lo ? lo : (p > hi ? hi : p); }
    // The clip passes the gradient on [lo, hi] (bounds included), as
    // tf.clip_by_value and torch.clamp do.
    bool passes(T p) const { return p >= lo && p <= hi; }
};

template <typename T>
T stable_sigmoid(T x) {
    if (x >= T(0)) return T(1) / (T(1) + std::exp(-x));
    const T e = std::exp(x);
    return e / (T(1) + e);
}

// -sum(t * log_softmax(x)), with log_softmax_j = (x_j - max) - log_sum.
struct CategoricalLogits {
    template <typename T>
    T forward(const T* t, const T* x, std::int64_t n, std::int64_t, T* aux) const {
        const RowLse<T> l = row_lse(x, n);
        aux[0] = l.max;
        aux[1] = l.log_sum;
        T loss = 0;
        for (std::int64_t j = 0; j < n; ++j) loss += t[j] * (l.log_sum - (x[j] - l.max));
        return loss;
    }
    template <typename T>
    void backward(const T* t, const T* x, T g, std::int64_t n, std::int64_t, const T* aux, T* dt, T* dx) const {
        T total = 0;
        for (std::int64_t j = 0; j < n; ++j) total += t[j];
        for (std::int64_t j = 0; j < n; ++j) {
            const T lp = (x[j] - aux[0]) - aux[1];
            dx[j] = g * (std::exp(lp) * total - t[j]);
            if (dt) dt[j] = -g * lp;
        }
    }
};

// Keras from probabilities: p = y / sum(y), q = clip(p), -sum(t * log q).
struct CategoricalProbs {
    template <typename T>
    T forward(const T* t, const T* y, std::int64_t n, std::int64_t, T*) const {
        const Clip<T> clip;
        T s = 0, loss = 0;
        for (std::int64_t j = 0; j < n; ++j) s += y[j];
        for (std::int64_t j = 0; j < n; ++j) loss -= t[j] * std::log(clip(y[j] / s));
        return loss;
    }
    // dp_j = -g t_j / q_j where the clip passes; dy_k = (dp_k - <dp, p>) / s.
    template <typename T>
    void backward(const T* t, const T* y, T g, std::int64_t n, std::int64_t, const T*, T* dt, T* dy) const {
        const Clip<T> clip;
        T s = 0, c = 0;
        for (std::int64_t j = 0; j < n; ++j) s += y[j];
        for (std::int64_t j = 0; j < n; ++j) {
            const T p = y[j] / s, q = clip(p);
            dy[j] = clip.passes(p) ? -g * t[j] / q : T(0);  // dp, finished below
            c += dy[j] * p;
            if (dt) dt[j] = -g * std::log(q);
        }
        for (std::int64_t j = 0; j < n; ++j) dy[j] = (dy[j] - c) / s;
    }
};

// Integer labels instead of one-hot rows; the one-hot row is never built.
struct SparseLogits {
    const std::int64_t* labels;
    template <typename T>
    T forward(const T*, const T* x, std::int64_t n, std::int64_t r, T* aux) const {
        const RowLse<T> l = row_lse(x, n);
        aux[0] = l.max;
        aux[1] = l.log_sum;
        return l.log_sum - (x[labels[r]] - l.max);
    }
    template <typename T>
    void backward(const T*, const T* x, T g, std::int64_t n, std::int64_t r, const T* aux, T*, T* dx) const {
        for (std::int64_t j = 0; j < n; ++j) dx[j] = g * std::exp((x[j] - aux[0]) - aux[1]);
        dx[labels[r]] -= g;
    }
};

struct SparseProbs {
    const std::int64_t* labels;
    template <typename T>
    T forward(const T*, const T* y, std::int64_t n, std::int64_t r, T*) const {
        T s = 0;
        for (std::int64_t j = 0; j < n; ++j) s += y[j];
        return -std::log(Clip<T>{}(y[labels[r]] / s));
    }
    template <typename T>
    void backward(const T*, const T* y, T g, std::int64_t n, std::int64_t r, const T*, T*, T* dy) const {
        const Clip<T> clip;
        T s = 0;
        for (std::int64_t j = 0; j < n; ++j) s += y[j];
        const std::int64_t L = labels[r];
        const T p = y[L] / s;
        const T dp = clip.passes(p) ? -g / clip(p) : T(0);
        const T c = dp * p;
        for (std::int64_t j = 0; j < n; ++j) dy[j] = -c / s;
        dy[L] += dp / s;
    }
};

// mean(max(x, 0) - x t + log1p(exp(-|x|))): finite for any finite x.
struct BinaryLogits {
    template <typename T>
    T forward(const T* t, const T* x, std::int64_t n, std::int64_t, T*) const {
        T loss = 0;
        for (std::int64_t j = 0; j < n; ++j)
            loss += (x[j] > T(0) ? x[j] : T(0)) - x[j] * t[j] + std::log1p(std::exp(-std::abs(x[j])));
        return loss / T(n);
    }
    template <typename T>
    void backward(const T* t, const T* x, T g, std::int64_t n, std::int64_t, const T*, T* dt, T* dx) const {
        const T gn = g / T(n);
        for (std::int64_t j = 0; j < n; ++j) {
            dx[j] = gn * (stable_sigmoid(x[j]) - t[j]);
            if (dt) dt[j] = -gn * x[j];
        }
    }
};

// Keras from probabilities: q = clip(y), -mean(t log q + (1 - t) log(1 - q)).
struct BinaryProbs {
    template <typename T>
    T forward(const T* t, const T* y, std::int64_t n, std::int64_t, T*) const {
        const Clip<T> clip;
        T loss = 0;
        for (std::int64_t j = 0; j < n; ++j) {
            const T q = clip(y[j]);
            loss -= t[j] * std::log(q) + (T(1) - t[j]) * std::log(T(1) - q);
        }
        return loss / T(n);
    }
    template <typename T>
    void backward(const T* t, const T* y, T g, std::int64_t n, std::int64_t, const T*, T* dt, T* dy) const {
        const Clip<T> clip;
        const T gn = g / T(n);
        for (std::int64_t j = 0; j < n; ++j) {
            const T q = clip(y[j]);
            dy[j] = clip.passes(y[j]) ? gn * (q - t[j]) / (q * (T(1) - q)) : T(0);
            if (dt) dt[j] = gn * (std::log(T(1) - q) - std::log(q));
        }
    }
};

struct SquaredError {
    template <typename T>
    T forward(const T* t, const T* y, std::int64_t n, std::int64_t, T*) const {
        T loss = 0;
        for (std::int64_t j = 0; j < n; ++j) loss += (y[j] - t[j]) * (y[j] - t[j]);
        return loss / T(n);
    }
    template <typename T>
    void backward(const T* t, const T* y, T g, std::int64_t n, std::int64_t, const T*, T* dt, T* dy) const {
        const T gn = T(2) * g / T(n);
        for (std::int64_t j = 0; j < n; ++j) {
            dy[j] = gn * (y[j] - t[j]);
            if (dt) dt[j] = -dy[j];
        }
    }
};

}  // namespace nabla::detail::nn
