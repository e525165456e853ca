#pragma once
// Element-wise operations with NumPy broadcasting and type promotion.
// All are differentiable (recorded on an active GradientTape).
//
// Scalars follow NumPy 2's "weak scalar" rule: a C++ integer takes the
// tensor's dtype (int64 for a bool tensor); a C++ floating-point value takes
// the tensor's dtype if it is floating, else float64 (float32 + 1.5 stays
// float32; int32 + 1.5 is float64).
#include <concepts>

#include "nabla/core/tensor.hpp"

namespace nabla {
inline namespace ops {

// --- binary (broadcasting) ---
Tensor add(const Tensor& a, const Tensor& b);
Tensor subtract(const Tensor& a, const Tensor& b);
Tensor multiply(const Tensor& a, const Tensor& b);
Tensor divide(const Tensor& a, const Tensor& b);  // true division: ints give float64
Tensor maximum(const Tensor& a, const Tensor& b);  // tie: gradient goes to a
Tensor minimum(const Tensor& a, const Tensor& b);  // tie: gradient goes to a
Tensor power(const Tensor& a, const Tensor& b);

// --- comparisons and logic (bool results, not differentiable) ---
Tensor equal(const Tensor& a, const Tensor& b);
Tensor not_equal(const Tensor& a, const Tensor& b);
Tensor less(const Tensor& a, const Tensor& b);
Tensor less_equal(const Tensor& a, const Tensor& b);
Tensor greater(const Tensor& a, const Tensor& b);
Tensor greater_equal(const Tensor& a, const Tensor& b);
Tensor logical_and(const Tensor& a, const Tensor& b);
Tensor logical_or(const Tensor& a, const Tensor& b);
Tensor logical_not(const Tensor& a);
// Element-wise choice: cond ? a : b, all three broadcast together.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);

// --- unary ---
Tensor negative(const Tensor& x);
Tensor abs(const Tensor& x);
Tensor sign(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor square(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor relu(const Tensor& x);  // maximum(x, 0); gradient 0 at x == 0
Tensor clip(const Tensor& x, double lo, double hi);

// The weak-scalar rule above, as a 0-d tensor to combine with `like`.
Tensor scalar_like(const Tensor& like, double value, bool is_integer);

template <typename S>
concept Scalar = std::integral<S> || std::floating_point<S>;
template <Scalar S>
Tensor as_operand(const Tensor& like, S v) {
    return scalar_like(like, static_cast<double>(v), std::integral<S>);
}

// --- operators ---
Tensor operator-(const Tensor& x);
Tensor operator!(const Tensor& x);
#define NABLA_BINARY_OPERATOR(OP, FN)                                                  \
    inline Tensor operator OP(const Tensor& a, const Tensor& b) { return FN(a, b); }  \
    template <Scalar S>                                                                \
    Tensor operator OP(const Tensor& a, S b) { return FN(a, as_operand(a, b)); }       \
    template <Scalar S>                                                                \
    Tensor operator OP(S a, const Tensor& b) { return FN(as_operand(b, a), b); }
NABLA_BINARY_OPERATOR(+, add)
NABLA_BINARY_OPERATOR(-, subtract)
NABLA_BINARY_OPERATOR(*, multiply)
NABLA_BINARY_OPERATOR(/, divide)
NABLA_BINARY_OPERATOR(==, equal)
NABLA_BINARY_OPERATOR(!=, not_equal)
NABLA_BINARY_OPERATOR(<, less)
NABLA_BINARY_OPERATOR(<=, less_equal)
NABLA_BINARY_OPERATOR(>, greater)
NABLA_BINARY_OPERATOR(>=, greater_equal)
NABLA_BINARY_OPERATOR(&&, logical_and)
NABLA_BINARY_OPERATOR(||, logical_or)
#undef NABLA_BINARY_OPERATOR

// Compound assignment writes into the left tensor's storage (like NumPy's
// a += b): the result is cast to a's dtype and must have a's shape. Not
// recorded on a tape.
Tensor& operator+=(Tensor& a, const Tensor& b);
Tensor& operator-=(Tensor& a, const Tensor& b);
Tensor& operator*=(Tensor& a, const Tensor& b);
Tensor& operator/=(Tensor& a, const Tensor& b);
template <Scalar S> Tensor& operator+=(Tensor& a, S b) { return a += as_operand(a, b); }
template <Scalar S> Tensor& operator-=(Tensor& a, S b) { return a -= as_operand(a, b); }
template <Scalar S> Tensor& operator*=(Tensor& a, S b) { return a *= as_operand(a, b); }
template <Scalar S> Tensor& operator/=(Tensor& a, S b) { return a /= as_operand(a, b); }

// The same on a temporary, which is what indexing returns: x(i, j) += y(i, j)
// and a[1] *= 2 write into the viewed elements (see Tensor::operator=).
#define NABLA_RVALUE_COMPOUND(OP)                                                \
    inline Tensor& operator OP(Tensor&& a, const Tensor& b) { return a OP b; }  \
    template <Scalar S>                                                          \
    Tensor& operator OP(Tensor&& a, S b) { return a OP b; }
NABLA_RVALUE_COMPOUND(+=)
NABLA_RVALUE_COMPOUND(-=)
NABLA_RVALUE_COMPOUND(*=)
NABLA_RVALUE_COMPOUND(/=)
#undef NABLA_RVALUE_COMPOUND

}  // namespace ops
}  // namespace nabla
