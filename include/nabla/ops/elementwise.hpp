#pragma once
// Element-wise operations with NumPy broadcasting and type promotion.
// All are differentiable (recorded on an active GradientTape).
//
// Scalars follow NumPy 2's "weak scalar" rule: a C++ integer takes the
// tensor's dtype (int64 for a bool tensor); a C++ floating-point value takes
// the tensor's dtype if it is floating, else float64 (float32 + 1.5 stays
// float32; int32 + 1.5 is float64). Details below, at WeakScalar.
#include <concepts>
#include <cstdint>
#include <string>
#include <type_traits>

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

// --- C++ numbers as operands (NumPy 2's weak scalars) ---
//
// A C++ number is carried exactly: an integer as int64 (uint64 above
// INT64_MAX), never through double; a floating value as double.
// Each binary function below, and each operator, also takes a number on
// either side (add(x, 1), maximum(z, 0.), less(3, x), x / 255), by the rule:
//   - arithmetic (add subtract multiply maximum minimum power, += ...): an
//     integer takes the tensor's dtype (int64 for bool) and must fit it, else
//     OverflowError ("add: the C++ integer 300 is out of bounds for uint8",
//     NumPy 2's OverflowError); integer results wrap as NumPy's do.
//   - divide: for an integer or bool tensor the number becomes float64.
//   - comparisons: give the mathematically right answer even for a number
//     outside the dtype's range (uint8 < -1 is all false).
//   - logical_and / logical_or: the number is true when nonzero.
// A floating number takes the tensor's dtype if it is floating, else float64.
// (Scalar, the concept of a C++ number, is in nabla/core/dtype.hpp.)
struct WeakScalar {
    enum class Kind : std::uint8_t { Signed, Unsigned, Floating };
    Kind kind = Kind::Signed;
    std::int64_t i = 0;   // Kind::Signed
    std::uint64_t u = 0;  // Kind::Unsigned: only values above INT64_MAX
    double f = 0;         // Kind::Floating

    template <Scalar S>
    constexpr WeakScalar(S v) {  // NOLINT(google-explicit-constructor): a C++ number is one
        if constexpr (std::floating_point<S>) {
            kind = Kind::Floating;
            f = static_cast<double>(v);
        } else if constexpr (std::is_unsigned_v<S>) {
            if (static_cast<std::uint64_t>(v) > static_cast<std::uint64_t>(INT64_MAX)) {
                kind = Kind::Unsigned;
                u = static_cast<std::uint64_t>(v);
            } else {
                i = static_cast<std::int64_t>(v);
            }
        } else {
            i = static_cast<std::int64_t>(v);
        }
    }
    bool is_integer() const noexcept { return kind != Kind::Floating; }
    std::string to_string() const;
};

// The binary functions that take a C++ number (the rule above depends on which).
enum class BinaryOp : std::uint8_t {
    Add, Subtract, Multiply, Divide, Maximum, Minimum, Power,
    Equal, NotEqual, Less, LessEqual, Greater, GreaterEqual, LogicalAnd, LogicalOr
};
// t op s, or s op t when scalar_first.
Tensor apply_scalar(BinaryOp op, const Tensor& t, const WeakScalar& s, bool scalar_first);
// The 0-d operand s becomes beside `like` under the arithmetic rule (exact
// for integers; OverflowError when it does not fit; op names the caller).
Tensor scalar_operand(const Tensor& like, const WeakScalar& s, const char* op = "scalar operand");

template <Scalar S>
Tensor as_operand(const Tensor& like, S v) {
    return scalar_operand(like, WeakScalar(v));
}

#define NABLA_SCALAR_FUNCTION(FN, OP)                                                                 \
    template <Scalar S>                                                                               \
    Tensor FN(const Tensor& a, S b) { return apply_scalar(BinaryOp::OP, a, WeakScalar(b), false); }   \
    template <Scalar S>                                                                               \
    Tensor FN(S a, const Tensor& b) { return apply_scalar(BinaryOp::OP, b, WeakScalar(a), true); }
NABLA_SCALAR_FUNCTION(add, Add)
NABLA_SCALAR_FUNCTION(subtract, Subtract)
NABLA_SCALAR_FUNCTION(multiply, Multiply)
NABLA_SCALAR_FUNCTION(divide, Divide)
NABLA_SCALAR_FUNCTION(maximum, Maximum)
NABLA_SCALAR_FUNCTION(minimum, Minimum)
NABLA_SCALAR_FUNCTION(power, Power)
NABLA_SCALAR_FUNCTION(equal, Equal)
NABLA_SCALAR_FUNCTION(not_equal, NotEqual)
NABLA_SCALAR_FUNCTION(less, Less)
NABLA_SCALAR_FUNCTION(less_equal, LessEqual)
NABLA_SCALAR_FUNCTION(greater, Greater)
NABLA_SCALAR_FUNCTION(greater_equal, GreaterEqual)
NABLA_SCALAR_FUNCTION(logical_and, LogicalAnd)
NABLA_SCALAR_FUNCTION(logical_or, LogicalOr)
#undef NABLA_SCALAR_FUNCTION

// where with a number for either choice: the arithmetic rule beside the other
// choice (NumPy's where casts such a number silently; nabla refuses one that
// does not fit).
template <Scalar S>
Tensor where(const Tensor& cond, const Tensor& a, S b) { return where(cond, a, scalar_operand(a, WeakScalar(b), "where")); }
template <Scalar S>
Tensor where(const Tensor& cond, S a, const Tensor& b) { return where(cond, scalar_operand(b, WeakScalar(a), "where"), b); }

// --- operators ---
Tensor operator-(const Tensor& x);
Tensor operator!(const Tensor& x);
#define NABLA_BINARY_OPERATOR(OP, FN)                                                  \
    inline Tensor operator OP(const Tensor& a, const Tensor& b) { return FN(a, b); }  \
    template <Scalar S>                                                                \
    Tensor operator OP(const Tensor& a, S b) { return FN(a, b); }                      \
    template <Scalar S>                                                                \
    Tensor operator OP(S a, const Tensor& b) { return FN(a, b); }
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
// a += b): the result is cast to a's dtype and must have a's shape. As
// NumPy's casting='same_kind' (and PyTorch), a result of another kind is a
// DTypeError: int /= 2 (float), uint8 += int32, int += 1.5. Not recorded on
// a tape.
Tensor& operator+=(Tensor& a, const Tensor& b);
Tensor& operator-=(Tensor& a, const Tensor& b);
Tensor& operator*=(Tensor& a, const Tensor& b);
Tensor& operator/=(Tensor& a, const Tensor& b);
// A number follows the arithmetic rule (x += 300 on uint8 is OverflowError);
// /= divides by the number in the division's dtype (float64 for integers).
template <Scalar S> Tensor& operator+=(Tensor& a, S b) { return a += as_operand(a, b); }
template <Scalar S> Tensor& operator-=(Tensor& a, S b) { return a -= as_operand(a, b); }
template <Scalar S> Tensor& operator*=(Tensor& a, S b) { return a *= as_operand(a, b); }
Tensor divide_operand(const Tensor& like, const WeakScalar& s);
template <Scalar S> Tensor& operator/=(Tensor& a, S b) { return a /= divide_operand(a, WeakScalar(b)); }

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
