// C++ numbers as operands: NumPy 2's weak-scalar rule with integers kept
// exact (the rule itself is documented at WeakScalar in
// nabla/ops/elementwise.hpp). Each number becomes a 0-d tensor that the
// ordinary broadcasting kernels take, so no kernel branches per element.
#include <cstdint>
#include <iterator>
#include <iomanip>
#include <sstream>

#include "core/dispatch.hpp"
#include "elementwise_impl.hpp"
#include "nabla/ops/elementwise.hpp"

namespace nabla {
inline namespace ops {

std::string WeakScalar::to_string() const {
    if (kind == Kind::Signed) return std::to_string(i);
    if (kind == Kind::Unsigned) return std::to_string(u);
    std::ostringstream os;
    os << std::setprecision(17) << f;
    return os.str();
}

namespace {

// Where the integer s lies against integer dtype dt's range: -1 below, 0
// inside, +1 above.
int range_side(const WeakScalar& s, DType dt) {
    if (s.kind == WeakScalar::Kind::Unsigned) return 1;  // above INT64_MAX: above every dtype
    std::int64_t lo = INT64_MIN, hi = INT64_MAX;
    if (dt == uint8) lo = 0, hi = 255;
    if (dt == int32) lo = INT32_MIN, hi = INT32_MAX;
    return s.i < lo ? -1 : s.i > hi ? 1 : 0;
}

// s as a 0-d tensor of dtype dt, converted from its exact value (no double
// in between for integers).
Tensor exact_scalar(const WeakScalar& s, DType dt) {
    Tensor t = Tensor::uninitialized({}, dt);
    detail::dispatch(dt, [&]<typename T>() {
        T* p = static_cast<T*>(t.raw_data());
        if (s.kind == WeakScalar::Kind::Floating) *p = static_cast<T>(s.f);
        else if (s.kind == WeakScalar::Kind::Unsigned) *p = static_cast<T>(s.u);
        else *p = static_cast<T>(s.i);
    });
    return t;
}

// The dtype a number takes beside a tensor of dtype dt.
DType weak_dtype(const WeakScalar& s, DType dt) {
    if (!s.is_integer()) return is_floating(dt) ? dt : float64;
    return dt == bool_ ? int64 : dt;
}

// x op s with s's value outside x's integer range: every element compares
// the same way.
bool out_of_range_answer(BinaryOp op, int side) {
    switch (op) {
        case BinaryOp::Equal: return false;
        case BinaryOp::NotEqual: return true;
        case BinaryOp::Less:
        case BinaryOp::LessEqual: return side > 0;
        default: return side < 0;  // Greater, GreaterEqual
    }
}

BinaryOp mirrored(BinaryOp op) {  // s op x == x mirrored(op) s
    switch (op) {
        case BinaryOp::Less: return BinaryOp::Greater;
        case BinaryOp::LessEqual: return BinaryOp::GreaterEqual;
        case BinaryOp::Greater: return BinaryOp::Less;
        case BinaryOp::GreaterEqual: return BinaryOp::LessEqual;
        default: return op;
    }
}

using BinaryFn = Tensor (*)(const Tensor&, const Tensor&);
struct BinaryEntry {
    const char* name;
    BinaryFn fn;
};
// Indexed by BinaryOp.
const BinaryEntry kBinary[] = {
    {"add", add}, {"subtract", subtract}, {"multiply", multiply}, {"divide", divide}, {"maximum", maximum},
    {"minimum", minimum}, {"power", power}, {"equal", equal}, {"not_equal", not_equal}, {"less", less},
    {"less_equal", less_equal}, {"greater", greater}, {"greater_equal", greater_equal},
    {"logical_and", logical_and}, {"logical_or", logical_or}};

static_assert(std::size(kBinary) == static_cast<std::size_t>(BinaryOp::LogicalOr) + 1, "one entry per BinaryOp, in order");

bool is_comparison(BinaryOp op) { return op >= BinaryOp::Equal && op <= BinaryOp::GreaterEqual; }

}  // namespace

Tensor scalar_operand(const Tensor& like, const WeakScalar& s, const char* op) {
    detail::require_defined(like, op);
    const DType dt = weak_dtype(s, like.dtype());
    if (s.is_integer() && !is_floating(dt) && range_side(s, dt) != 0)
        throw OverflowError(std::string(op) + ": the C++ integer " + s.to_string() + " is out of bounds for " +
                            std::string(name(dt)) + (like.dtype() == bool_ ? " (the dtype a number takes beside bool)" : "") +
                            ": a number takes the tensor's dtype (NumPy 2's rule); cast the " +
                            std::string(name(like.dtype())) + " tensor first, e.g. x.astype(int64)");
    return exact_scalar(s, dt);
}

Tensor divide_operand(const Tensor& like, const WeakScalar& s) {
    detail::require_defined(like, "divide");
    return exact_scalar(s, is_floating(like.dtype()) ? like.dtype() : float64);  // true division's dtype
}

Tensor apply_scalar(BinaryOp op, const Tensor& t, const WeakScalar& s, bool scalar_first) {
    const BinaryEntry& e = kBinary[static_cast<std::size_t>(op)];
    detail::require_defined(t, e.name);
    Tensor operand;
    if (is_comparison(op)) {
        const DType dt = weak_dtype(s, t.dtype());
        const int side = s.is_integer() && !is_floating(dt) ? range_side(s, dt) : 0;
        if (side != 0) return full(t.shape(), out_of_range_answer(scalar_first ? mirrored(op) : op, side), bool_);
        operand = exact_scalar(s, dt);
    } else if (op == BinaryOp::LogicalAnd || op == BinaryOp::LogicalOr) {
        const bool truth = s.kind == WeakScalar::Kind::Floating ? s.f != 0 : (s.i != 0 || s.u != 0);
        operand = exact_scalar(WeakScalar(truth), bool_);
    } else if (op == BinaryOp::Divide) {
        operand = divide_operand(t, s);
    } else {
        operand = scalar_operand(t, s, e.name);
    }
    return scalar_first ? e.fn(operand, t) : e.fn(t, operand);
}

}  // namespace ops
}  // namespace nabla
