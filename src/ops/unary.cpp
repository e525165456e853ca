// Unary element-wise ops, each with its backward rule.
#include <cmath>
#include <type_traits>

#include "core/dispatch.hpp"
#include "elementwise_impl.hpp"
#include "kernels.hpp"
#include "nabla/ops/elementwise.hpp"

namespace nabla {

namespace {

// out = f(x) in dtype `dt` (x converted first).
template <typename F>
Tensor map1(const char* op, const Tensor& x, DType dt, F f) {
    std::array<Tensor, 1> in{detail::prepare_operand(x, dt, x.shape(), op)};
    Tensor out = Tensor::uninitialized(x.shape(), dt);
    detail::dispatch(dt, [&]<typename T>() { detail::map_n<T, T>(out, in, [&](T v) { return f(v); }); });
    return out;
}

// Float-valued functions: integer inputs give a float result (see float_result).
template <typename F>
Tensor map_float(const char* op, const Tensor& x, F f) {
    detail::require_defined(x, op);
    const DType dt = detail::float_result(x.dtype());
    std::array<Tensor, 1> in{detail::prepare_operand(x, dt, x.shape(), op)};
    Tensor out = Tensor::uninitialized(x.shape(), dt);
    detail::dispatch_floating(dt, op, [&]<typename T>() { detail::map_n<T, T>(out, in, [&](T v) { return f(v); }); });
    return out;
}

void record_unary(const char* op, const Tensor& x, const Tensor& out, BackwardFn backward) {
    if (detail::should_record(out)) graph::record(op, {x}, out, backward);
}

}  // namespace

inline namespace ops {

Tensor negative(const Tensor& x) {
    detail::require_defined(x, "negative");
    if (x.dtype() == bool_) throw DTypeError("negative: not supported for bool tensors; use logical_not");
    Tensor out = map1("negative", x, x.dtype(), [](auto v) { return detail::wrap_neg(v); });
    record_unary("negative", x, out, [](const Tensor& g) { return std::vector<Tensor>{negative(g)}; });
    return out;
}

Tensor abs(const Tensor& x) {
    detail::require_defined(x, "abs");
    Tensor out = map1("abs", x, x.dtype(), [](auto v) {
        using T = decltype(v);
        if constexpr (std::is_unsigned_v<T>) return v;
        else if constexpr (std::is_floating_point_v<T>) return std::fabs(v);  // abs(-0.0) is +0.0, as NumPy
        else return v < 0 ? detail::wrap_neg(v) : v;  // abs(INT_MIN) wraps to INT_MIN, as NumPy
    });
    record_unary("abs", x, out, [x](const Tensor& g) { return std::vector<Tensor>{multiply(g, sign(x))}; });
    return out;
}

Tensor sign(const Tensor& x) {
    detail::require_defined(x, "sign");
    if (x.dtype() == bool_)  // NumPy has no bool loop for sign
        throw DTypeError("sign: not supported for bool tensors (NumPy has no bool sign either); cast first, "
                         "e.g. sign(x.astype(int32))");
    return map1("sign", x, x.dtype(), [](auto v) {
        using T = decltype(v);
        if constexpr (std::is_same_v<T, bool>) return v;
        else if constexpr (std::is_floating_point_v<T>) return v != v ? v : static_cast<T>((T(0) < v) - (v < T(0)));
        else return static_cast<T>((T(0) < v) - (v < T(0)));
    });
}

Tensor exp(const Tensor& x) {
    Tensor out = map_float("exp", x, [](auto v) { return std::exp(v); });
    record_unary("exp", x, out, [out](const Tensor& g) { return std::vector<Tensor>{multiply(g, out)}; });
    return out;
}

Tensor log(const Tensor& x) {
    Tensor out = map_float("log", x, [](auto v) { return std::log(v); });
    record_unary("log", x, out, [x](const Tensor& g) { return std::vector<Tensor>{divide(g, x)}; });
    return out;
}

Tensor sqrt(const Tensor& x) {
    Tensor out = map_float("sqrt", x, [](auto v) { return std::sqrt(v); });
    record_unary("sqrt", x, out, [out](const Tensor& g) {
        return std::vector<Tensor>{divide(g, multiply(out, as_operand(out, 2)))};
    });
    return out;
}

Tensor square(const Tensor& x) {
    detail::require_defined(x, "square");
    if (x.dtype() == bool_)  // NumPy squares bool in int8, a dtype nabla does not have
        throw DTypeError("square: a bool tensor has no square in nabla (NumPy gives int8, which nabla does not "
                         "have); cast first, e.g. square(x.astype(int32)), or use x itself (x*x == x for bool)");
    Tensor out = map1("square", x, x.dtype(), [](auto v) { return v * v; });
    record_unary("square", x, out, [x](const Tensor& g) {
        return std::vector<Tensor>{multiply(g, multiply(x, as_operand(x, 2)))};
    });
    return out;
}

Tensor tanh(const Tensor& x) {
    Tensor out = map_float("tanh", x, [](auto v) { return std::tanh(v); });
    record_unary("tanh", x, out, [out](const Tensor& g) {
        return std::vector<Tensor>{multiply(g, subtract(as_operand(out, 1), square(out)))};
    });
    return out;
}

Tensor sigmoid(const Tensor& x) {
    // Split by sign so exp never overflows: 1/(1+e^-v) or e^v/(1+e^v).
    Tensor out = map_float("sigmoid", x, [](auto v) {
        using T = decltype(v);
        if (v >= 0) return T(1) / (T(1) + std::exp(-v));
        const T e = std::exp(v);
        return e / (T(1) + e);
    });
    record_unary("sigmoid", x, out, [out](const Tensor& g) {
        return std::vector<Tensor>{multiply(g, multiply(out, subtract(as_operand(out, 1), out)))};
    });
    return out;
}

Tensor relu(const Tensor& x) {
    detail::require_defined(x, "relu");
    Tensor out = map1("relu", x, x.dtype(), [](auto v) {
        using T = decltype(v);
        return v > T(0) ? v : (v != v ? v : T(0));
    });
    record_unary("relu", x, out, [x](const Tensor& g) {
        if (graph::recording())  // an outer tape differentiates this: ops
            return std::vector<Tensor>{where(greater(x, as_operand(x, 0)), g, zeros_like(g))};
        // One pass, the same values (NaN inputs pass no gradient either):
        // where + greater + zeros_like took a fifth of a convnet's step.
        const DType dt = g.dtype();  // as where(c, g, 0) gives
        std::array<Tensor, 2> in{detail::prepare_operand(x, dt, x.shape(), "relu gradient"),
                                 detail::prepare_operand(g, dt, x.shape(), "relu gradient")};
        Tensor dx = Tensor::uninitialized(x.shape(), dt);
        detail::dispatch_floating(dt, "relu gradient", [&]<typename T>() {
            detail::map_n<T, T, T>(dx, in, [](T v, T gv) { return v > T(0) ? gv : T(0); });
        });
        return std::vector<Tensor>{dx};
    });
    return out;
}

Tensor clip(const Tensor& x, double lo, double hi) {
    detail::require_defined(x, "clip");
    if (lo > hi) throw ValueError("clip: lower bound " + std::to_string(lo) + " exceeds upper bound " + std::to_string(hi));
    Tensor out = map1("clip", x, x.dtype(), [lo, hi](auto v) {
        using T = decltype(v);
        const double d = static_cast<double>(v);
        return d < lo ? static_cast<T>(lo) : d > hi ? static_cast<T>(hi) : v;
    });
    record_unary("clip", x, out, [x, lo, hi](const Tensor& g) {
        Tensor inside = logical_and(greater_equal(x, as_operand(x, lo)), less_equal(x, as_operand(x, hi)));
        return std::vector<Tensor>{where(inside, g, zeros_like(g))};
    });
    return out;
}

Tensor logical_not(const Tensor& x) {
    detail::require_defined(x, "logical_not");
    std::array<Tensor, 1> in{detail::prepare_operand(x, bool_, x.shape(), "logical_not")};
    Tensor out = Tensor::uninitialized(x.shape(), bool_);
    detail::map_n<bool, bool>(out, in, [](bool v) { return !v; });
    return out;
}

Tensor operator-(const Tensor& x) { return negative(x); }
Tensor operator!(const Tensor& x) { return logical_not(x); }

}  // namespace ops
}  // namespace nabla
