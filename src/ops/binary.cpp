// Broadcasting binary ops: arithmetic, comparisons, logic, where, and the
// compound assignments. Each differentiable op's backward sits beside it.
#include <cmath>
#include <type_traits>

#include "core/dispatch.hpp"
#include "elementwise_impl.hpp"
#include "kernels.hpp"
#include "nabla/ops/elementwise.hpp"
#include "nabla/ops/reduce.hpp"

namespace nabla {

namespace detail {

DType float_result(DType dt) noexcept {
    if (is_floating(dt)) return dt;
    return (dt == bool_ || dt == uint8) ? float32 : float64;
}

void require_defined(const Tensor& x, const char* op) {
    if (!x.defined()) throw ValueError(std::string(op) + ": got an undefined (default-constructed) tensor");
}

Tensor prepare_operand(const Tensor& x, DType dt, const Shape& shape, const char* op) {
    require_defined(x, op);
    Tensor y = x.dtype() == dt ? x : x.astype(dt);
    return y.shape() == shape ? y : broadcast_view(y, shape, op);
}

Tensor GradTarget::operator()(const Tensor& g) const {
    Tensor r = g.shape() == shape ? g : unbroadcast(g, shape);
    return r.dtype() == dtype ? r : r.astype(dtype);
}

}  // namespace detail

namespace {

using detail::GradTarget;

// out = f(a, b) computed in `compute` after broadcasting; the result has
// dtype `compute`, or bool when BoolOut.
template <bool BoolOut, typename F>
Tensor zip(const char* op, const Tensor& a, const Tensor& b, DType compute, F f) {
    detail::require_defined(a, op);
    detail::require_defined(b, op);
    const Shape shape = broadcast_shapes(a.shape(), b.shape(), op);
    std::array<Tensor, 2> in{detail::prepare_operand(a, compute, shape, op),
                             detail::prepare_operand(b, compute, shape, op)};
    Tensor out = Tensor::uninitialized(shape, BoolOut ? bool_ : compute);
    detail::dispatch(compute, [&]<typename T>() {
        using TO = std::conditional_t<BoolOut, bool, T>;
        detail::map_n<TO, T, T>(out, in, [&](T x, T y) { return f(x, y); });
    });
    return out;
}

DType arith_dtype(const Tensor& a, const Tensor& b) { return promote_types(a.dtype(), b.dtype()); }

Tensor add_kernel(const Tensor& a, const Tensor& b) {
    return zip<false>("add", a, b, arith_dtype(a, b), [](auto x, auto y) { return detail::wrap_add(x, y); });
}
void check_subtract(const Tensor& a, const Tensor& b) {
    if (a.dtype() == bool_ && b.dtype() == bool_)
        throw DTypeError("subtract: boolean subtract is not supported; use logical_xor or not_equal");
}
Tensor subtract_kernel(const Tensor& a, const Tensor& b) {
    check_subtract(a, b);
    return zip<false>("subtract", a, b, arith_dtype(a, b), [](auto x, auto y) { return detail::wrap_sub(x, y); });
}
Tensor multiply_kernel(const Tensor& a, const Tensor& b) {
    return zip<false>("multiply", a, b, arith_dtype(a, b), [](auto x, auto y) { return detail::wrap_mul(x, y); });
}
// True division is floating point: integer operands divide in float64.
DType divide_dtype(const Tensor& a, const Tensor& b) {
    return is_floating(arith_dtype(a, b)) ? arith_dtype(a, b) : float64;
}
Tensor divide_kernel(const Tensor& a, const Tensor& b) {
    return zip<false>("divide", a, b, divide_dtype(a, b), [](auto x, auto y) { return x / y; });
}

}  // namespace

inline namespace ops {

Tensor add(const Tensor& a, const Tensor& b) {
    Tensor out = add_kernel(a, b);
    if (detail::should_record(out))
        graph::record("add", {a, b}, out, [ta = GradTarget(a), tb = GradTarget(b)](const Tensor& g) {
            return std::vector<Tensor>{graph::needs_gradient(0) ? ta(g) : Tensor(),
                                       graph::needs_gradient(1) ? tb(g) : Tensor()};
        });
    return out;
}

Tensor subtract(const Tensor& a, const Tensor& b) {
    Tensor out = subtract_kernel(a, b);
    if (detail::should_record(out))
        graph::record("subtract", {a, b}, out, [ta = GradTarget(a), tb = GradTarget(b)](const Tensor& g) {
            return std::vector<Tensor>{graph::needs_gradient(0) ? ta(g) : Tensor(),
                                       graph::needs_gradient(1) ? tb(negative(g)) : Tensor()};
        });
    return out;
}

Tensor multiply(const Tensor& a, const Tensor& b) {
    Tensor out = multiply_kernel(a, b);
    if (detail::should_record(out))
        graph::record("multiply", {a, b}, out, [a, b](const Tensor& g) {
            return std::vector<Tensor>{graph::needs_gradient(0) ? GradTarget(a)(multiply(g, b)) : Tensor(),
                                       graph::needs_gradient(1) ? GradTarget(b)(multiply(g, a)) : Tensor()};
        });
    return out;
}

Tensor divide(const Tensor& a, const Tensor& b) {
    Tensor out = divide_kernel(a, b);
    if (detail::should_record(out))
        graph::record("divide", {a, b}, out, [a, b, out](const Tensor& g) {
            Tensor ga = divide(g, b);
            return std::vector<Tensor>{GradTarget(a)(ga), GradTarget(b)(negative(multiply(ga, out)))};
        });
    return out;
}

Tensor maximum(const Tensor& a, const Tensor& b) {
    // NaN propagates, as in NumPy; on a tie the value (and gradient) is a's.
    Tensor out = zip<false>("maximum", a, b, arith_dtype(a, b),
                            [](auto x, auto y) { return (x >= y || x != x) ? x : y; });
    if (detail::should_record(out))
        graph::record("maximum", {a, b}, out, [a, b](const Tensor& g) {
            Tensor take_a = greater_equal(a, b), zero = zeros_like(g);
            return std::vector<Tensor>{GradTarget(a)(where(take_a, g, zero)),
                                       GradTarget(b)(where(take_a, zero, g))};
        });
    return out;
}

Tensor minimum(const Tensor& a, const Tensor& b) {
    Tensor out = zip<false>("minimum", a, b, arith_dtype(a, b),
                            [](auto x, auto y) { return (x <= y || x != x) ? x : y; });
    if (detail::should_record(out))
        graph::record("minimum", {a, b}, out, [a, b](const Tensor& g) {
            Tensor take_a = less_equal(a, b), zero = zeros_like(g);
            return std::vector<Tensor>{GradTarget(a)(where(take_a, g, zero)),
                                       GradTarget(b)(where(take_a, zero, g))};
        });
    return out;
}

}  // namespace ops

namespace {

// x^y for a non-negative integer y by squaring, wrapping as NumPy's integer
// power does (int32 3^40 == 689956897), exact where it fits.
template <typename T>
T integer_power(T x, T y) {
    using U = detail::wrap_twin<T>;
    U result = 1, base = static_cast<U>(x);
    for (U e = static_cast<U>(y); e != 0; e >>= 1) {
        if (e & 1) result = static_cast<U>(result * base);
        base = static_cast<U>(base * base);
    }
    return static_cast<T>(result);
}

// NumPy refuses a negative integer exponent (the result would not be an
// integer). Checked before the kernel: an exception must not leave a thread team.
void check_integer_exponent(const Tensor& a, const Tensor& b, DType compute) {
    detail::require_defined(a, "power");
    detail::require_defined(b, "power");
    if (compute == bool_)
        throw DTypeError("power: two bool tensors have no power in nabla (NumPy gives int8, which nabla does not "
                         "have); cast one first, e.g. power(x.astype(int32), y)");
    if (!is_integral(compute) || !(b.dtype() == int32 || b.dtype() == int64) || b.size() == 0) return;
    if (min(b).item<std::int64_t>() < 0)
        throw ValueError("power: Integers to negative integer powers are not allowed (an exponent of " +
                         to_string(b.shape()) + " " + std::string(name(b.dtype())) + " is " +
                         std::to_string(min(b).item<std::int64_t>()) +
                         "); use a float base, e.g. power(x.astype(float64), y)");
}

}  // namespace

inline namespace ops {

Tensor power(const Tensor& a, const Tensor& b) {
    const DType compute = arith_dtype(a, b);
    check_integer_exponent(a, b, compute);
    Tensor out = zip<false>("power", a, b, compute, [](auto x, auto y) {
        using T = decltype(x);
        if constexpr (std::is_integral_v<T>) return integer_power(x, y);  // bool refused above
        else return static_cast<T>(std::pow(static_cast<double>(x), static_cast<double>(y)));
    });
    if (detail::should_record(out))
        graph::record("power", {a, b}, out, [a, b, out](const Tensor& g) {
            // d/da = b·a^(b-1); d/db = a^b·log(a), taken as 0 where a <= 0.
            Tensor ga = multiply(g, multiply(b, power(a, subtract(b, as_operand(b, 1)))));
            Tensor positive = greater(a, as_operand(a, 0));
            Tensor safe_a = where(positive, a, ones_like(a));
            Tensor gb = where(positive, multiply(g, multiply(out, log(safe_a))), zeros_like(g));
            return std::vector<Tensor>{GradTarget(a)(ga), GradTarget(b)(gb)};
        });
    return out;
}

#define NABLA_COMPARISON(NAME, EXPR)                                                               \
    Tensor NAME(const Tensor& a, const Tensor& b) {                                                \
        return zip<true>(#NAME, a, b, arith_dtype(a, b), [](auto x, auto y) { return EXPR; });     \
    }
NABLA_COMPARISON(equal, x == y)
NABLA_COMPARISON(not_equal, x != y)
NABLA_COMPARISON(less, x < y)
NABLA_COMPARISON(less_equal, x <= y)
NABLA_COMPARISON(greater, x > y)
NABLA_COMPARISON(greater_equal, x >= y)
#undef NABLA_COMPARISON

Tensor logical_and(const Tensor& a, const Tensor& b) {
    return zip<true>("logical_and", a, b, bool_, [](bool x, bool y) { return x && y; });
}
Tensor logical_or(const Tensor& a, const Tensor& b) {
    return zip<true>("logical_or", a, b, bool_, [](bool x, bool y) { return x || y; });
}

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
    detail::require_defined(cond, "where");
    detail::require_defined(a, "where");
    detail::require_defined(b, "where");
    const Shape shape = broadcast_shapes(broadcast_shapes(cond.shape(), a.shape(), "where"), b.shape(), "where");
    const DType dt = arith_dtype(a, b);
    std::array<Tensor, 3> in{detail::prepare_operand(cond, bool_, shape, "where"),
                             detail::prepare_operand(a, dt, shape, "where"),
                             detail::prepare_operand(b, dt, shape, "where")};
    Tensor out = Tensor::uninitialized(shape, dt);
    detail::dispatch(dt, [&]<typename T>() {
        detail::map_n<T, bool, T, T>(out, in, [](bool c, T x, T y) { return c ? x : y; });
    });
    if (detail::should_record(out))
        graph::record("where", {a, b}, out, [c = in[0], a, b](const Tensor& g) {
            Tensor zero = zeros_like(g);
            return std::vector<Tensor>{GradTarget(a)(where(c, g, zero)), GradTarget(b)(where(c, zero, g))};
        });
    return out;
}

namespace {
// a op= b, not recorded. As NumPy, a result that a's dtype cannot hold by
// the 'same_kind' rule (int /= 2 gives float) is refused. The result is written straight into a's
// storage (no temporary of a's size) when it is computed in a's dtype and b
// does not share a's memory; otherwise it is computed aside and cast in.
template <typename F>
Tensor& compound(Tensor& a, const Tensor& b, DType compute, const char* op, F f) {
    detail::require_defined(a, op);
    detail::require_defined(b, op);
    const Shape shape = broadcast_shapes(a.shape(), b.shape(), op);
    if (shape != a.shape())
        throw ShapeError(std::string(op) + ": non-broadcastable output operand with shape " + to_string(a.shape()) +
                         " doesn't match the broadcast shape " + to_string(shape));
    if (!can_cast_same_kind(compute, a.dtype()))
        throw DTypeError(std::string(op) + ": cannot cast the result from " + std::string(name(compute)) + " to " +
                         std::string(name(a.dtype())) + " in place (casting rule 'same_kind', as NumPy and PyTorch " +
                         "refuse it); the out-of-place form (a = a + b) gives a new tensor of the result's dtype");
    if (compute != a.dtype() || b.shares_storage(a)) {
        a.assign(zip<false>(op, a, b, compute, f));
        return a;
    }
    const std::array<Tensor, 2> in{a, detail::prepare_operand(b, compute, shape, op)};
    detail::dispatch(compute, [&]<typename T>() { detail::map_n<T, T, T>(a, in, [&](T x, T y) { return f(x, y); }); });
    return a;
}
}  // namespace

Tensor& operator+=(Tensor& a, const Tensor& b) {
    return compound(a, b, arith_dtype(a, b), "add (+=)", [](auto x, auto y) { return detail::wrap_add(x, y); });
}
Tensor& operator-=(Tensor& a, const Tensor& b) {
    check_subtract(a, b);
    return compound(a, b, arith_dtype(a, b), "subtract (-=)", [](auto x, auto y) { return detail::wrap_sub(x, y); });
}
Tensor& operator*=(Tensor& a, const Tensor& b) {
    return compound(a, b, arith_dtype(a, b), "multiply (*=)", [](auto x, auto y) { return detail::wrap_mul(x, y); });
}
Tensor& operator/=(Tensor& a, const Tensor& b) {
    return compound(a, b, divide_dtype(a, b), "divide (/=)", [](auto x, auto y) { return x / y; });
}

}  // namespace ops
}  // namespace nabla
