// C++ numbers beside tensors: NumPy 2's weak-scalar rule, with integers kept
// exact (issue 13 items 4 and 17). The expected values were checked with
// NumPy 2.2.6 (python3 -m venv; pip install numpy==2.2.6): Debian's NumPy
// 1.24 has the old value-based rules and gives different answers for the
// out-of-range cases, so these are explicit expectations, not oracle runs.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "nabla/autodiff.hpp"
#include "nabla/ops/elementwise.hpp"
#include "nabla/ops/reduce.hpp"

using namespace nabla;

namespace {
constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();

Tensor i64(std::int64_t v) { return Tensor(std::vector<std::int64_t>{v}, {1}); }
Tensor u8(std::uint8_t v) { return Tensor(std::vector<std::uint8_t>{v}, {1}); }
std::int64_t one(const Tensor& t) { return t.to_vector<std::int64_t>().at(0); }
bool truth(const Tensor& t) {
    EXPECT_EQ(t.dtype(), bool_);
    return t.to_vector<bool>().at(0);
}

template <typename F>
void expect_overflow(F f, const std::string& needle) {
    try {
        (void)f();
        ADD_FAILURE() << "no OverflowError (wanted one naming " << needle << ")";
    } catch (const OverflowError& e) {
        EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
}
}  // namespace

// NumPy 2: np.array([5]) + 9007199254740993 == [9007199254740998] (exact);
// x <= INT64_MAX is True; x * INT64_MAX wraps to 9223372036854775803.
TEST(WeakScalars, IntegersStayExactAndWrapLikeNumPyInt64) {
    Tensor x = i64(5);
    EXPECT_EQ(one(x + 9007199254740993LL), 9007199254740998LL);
    EXPECT_EQ((x + 9007199254740993LL).dtype(), int64);
    EXPECT_TRUE(truth(x <= kMax));
    EXPECT_FALSE(truth(x > kMax));
    EXPECT_TRUE(truth(x == 5));
    EXPECT_EQ(one(x * kMax), 9223372036854775803LL);
    EXPECT_EQ(one(x - kMin), -9223372036854775803LL);  // NumPy: x - (-2**63)
    EXPECT_EQ(one(x + kMin), -9223372036854775803LL);
    EXPECT_EQ(one(i64(kMax) + 1), kMin);                // wraps, no UB
    EXPECT_EQ(one(kMax - i64(-1)), kMin);
    EXPECT_EQ(one(9007199254740993LL - i64(0)), 9007199254740993LL);
    Tensor y = i64(1);
    y += 9007199254740992LL;
    EXPECT_EQ(one(y), 9007199254740993LL);
}

// NumPy 2: uint8 + 300 raises OverflowError "Python integer 300 out of bounds
// for uint8"; so do -, *, maximum, power, += and a negative number.
TEST(WeakScalars, ArithmeticRefusesANumberOutsideTheTensorsDtype) {
    Tensor u = u8(5);
    expect_overflow([&] { return u + 300; }, "300");
    expect_overflow([&] { return u + 300; }, "uint8");
    expect_overflow([&] { return 300 + u; }, "uint8");
    expect_overflow([&] { return u - 300; }, "uint8");
    expect_overflow([&] { return 300 - u; }, "uint8");
    expect_overflow([&] { return u * -1; }, "-1");
    expect_overflow([&] { return u + (-1); }, "uint8");
    expect_overflow([&] { return maximum(u, 300); }, "maximum");
    expect_overflow([&] { return maximum(u, -1); }, "uint8");
    expect_overflow([&] { return power(u, 300); }, "power");
    expect_overflow([&] { return u += 300; }, "uint8");
    expect_overflow([&] { return ones({2}, int32) + 2147483648LL; }, "int32");
    expect_overflow([&] { return i64(5) + (std::uint64_t{1} << 63); }, "9223372036854775808");
    expect_overflow([&] { return minimum(i64(5), std::uint64_t{1} << 63); }, "int64");
    // A bool tensor takes int64: True + 300 == 301, but 2**63 does not fit.
    EXPECT_EQ(one(ones({1}, bool_) + 300), 301);
    EXPECT_EQ((ones({1}, bool_) + 300).dtype(), int64);
    expect_overflow([&] { return ones({1}, bool_) + (std::uint64_t{1} << 63); }, "int64");
    // In range: dtype kept, wrapping arithmetic (NumPy: uint8 [5] + 255 == [4]).
    EXPECT_EQ(one(u + 255), 4);
    EXPECT_EQ((u + 255).dtype(), uint8);
    EXPECT_EQ(one(power(2, u)), 32);
    EXPECT_EQ(power(2, u).dtype(), uint8);
    // A float number beside an integer tensor makes float64, as before.
    EXPECT_EQ((u + 1.5).dtype(), float64);
    EXPECT_EQ((ones({1}, float32) * 300).dtype(), float32);
}

// NumPy 2: comparisons with an out-of-range Python int give the mathematical
// answer: uint8 < -1 is False, uint8 > -1 True, uint8 == 300 False.
TEST(WeakScalars, ComparisonsWithOutOfRangeNumbersAreMathematicallyRight) {
    Tensor u = u8(5);
    EXPECT_FALSE(truth(u < -1));
    EXPECT_FALSE(truth(u <= -1));
    EXPECT_TRUE(truth(u > -1));
    EXPECT_TRUE(truth(u >= -1));
    EXPECT_FALSE(truth(u == 300));
    EXPECT_TRUE(truth(u != 300));
    EXPECT_TRUE(truth(u < 300));
    EXPECT_TRUE(truth(-1 < u));     // the number on the left
    EXPECT_FALSE(truth(300 <= u));
    EXPECT_TRUE(truth(less(ones({3}, int32), std::int64_t{1} << 40)));
    EXPECT_FALSE(truth(i64(5) == (std::uint64_t{1} << 63)));
    EXPECT_TRUE(truth(i64(5) < (std::uint64_t{1} << 63)));
    EXPECT_FALSE(truth(ones({1}, bool_) < -1));
    EXPECT_TRUE(truth(u < 300.5));  // a float number compares in float64
    EXPECT_FALSE(truth(u < -1.0));
    EXPECT_EQ((u8(5) < -1).shape(), (Shape{1}));
    EXPECT_EQ((zeros({2, 3}, uint8) > 256).shape(), (Shape{2, 3}));
}

// NumPy 2: uint8 / 300 == 5/300 in float64 (the number is not cast to uint8).
TEST(WeakScalars, DivisionByAnIntegerUsesTheDivisionsDtype) {
    Tensor q = u8(5) / 300;
    EXPECT_EQ(q.dtype(), float64);
    EXPECT_DOUBLE_EQ(q.to_vector<double>()[0], 5.0 / 300.0);
    EXPECT_DOUBLE_EQ((600 / u8(5)).to_vector<double>()[0], 120.0);
    EXPECT_DOUBLE_EQ((i64(1) / 9007199254740993LL).to_vector<double>()[0], 1.0 / 9007199254740993.0);
    EXPECT_EQ((ones({2}, float32) / 255).dtype(), float32);  // x / 255 stays float32
    Tensor f = ones({2}, float64);
    f /= 300;
    EXPECT_DOUBLE_EQ(f.to_vector<double>()[0], 1.0 / 300.0);
}

// Issue 13 item 17: every binary function takes a C++ number on either side,
// by the operators' rule (maximum(z, 0.) is the book's relu).
TEST(WeakScalars, EveryBinaryFunctionTakesANumberOnEitherSide) {
    Tensor z{-1.5, 0, 2};
    EXPECT_EQ(maximum(z, 0.).to_vector<float>(), (std::vector<float>{0, 0, 2}));
    EXPECT_EQ(maximum(z, 0.).dtype(), float32);
    EXPECT_EQ(maximum(0, z).to_vector<float>(), (std::vector<float>{0, 0, 2}));
    EXPECT_EQ(minimum(z, 1).to_vector<float>(), (std::vector<float>{-1.5f, 0, 1}));
    EXPECT_EQ(add(z, 1).to_vector<float>(), (std::vector<float>{-0.5f, 1, 3}));
    EXPECT_EQ(add(1, z).to_vector<float>(), (std::vector<float>{-0.5f, 1, 3}));
    EXPECT_EQ(subtract(1, z).to_vector<float>(), (std::vector<float>{2.5f, 1, -1}));
    EXPECT_EQ(subtract(z, 1).to_vector<float>(), (std::vector<float>{-2.5f, -1, 1}));
    EXPECT_EQ(multiply(z, 2).to_vector<float>(), (std::vector<float>{-3, 0, 4}));
    EXPECT_EQ(divide(z, 2).to_vector<float>(), (std::vector<float>{-0.75f, 0, 1}));
    EXPECT_EQ(divide(3, Tensor{1., 2.}).to_vector<float>(), (std::vector<float>{3, 1.5f}));
    EXPECT_EQ(power(z, 2).to_vector<float>(), (std::vector<float>{2.25f, 0, 4}));
    EXPECT_EQ(power(2, Tensor{1., 3.}).to_vector<float>(), (std::vector<float>{2, 8}));
    EXPECT_EQ(equal(z, 0).to_vector<bool>(), (std::vector<bool>{false, true, false}));
    EXPECT_EQ(not_equal(0, z).to_vector<bool>(), (std::vector<bool>{true, false, true}));
    EXPECT_EQ(less(z, 0).to_vector<bool>(), (std::vector<bool>{true, false, false}));
    EXPECT_EQ(less_equal(z, 0).to_vector<bool>(), (std::vector<bool>{true, true, false}));
    EXPECT_EQ(greater(0, z).to_vector<bool>(), (std::vector<bool>{true, false, false}));
    EXPECT_EQ(greater_equal(z, 0.).to_vector<bool>(), (std::vector<bool>{false, true, true}));
    EXPECT_EQ(logical_and(z, 1).to_vector<bool>(), (std::vector<bool>{true, false, true}));
    EXPECT_EQ(logical_or(0, z).to_vector<bool>(), (std::vector<bool>{true, false, true}));
    EXPECT_EQ(logical_and(u8(5), 300).to_vector<bool>(), (std::vector<bool>{true}));  // NumPy 2: True
    EXPECT_EQ(where(greater(z, 0), z, 0).to_vector<float>(), (std::vector<float>{0, 0, 2}));
    EXPECT_EQ(where(greater(z, 0), 1, z).to_vector<float>(), (std::vector<float>{-1.5f, 0, 1}));
    expect_overflow([&] { return where(ones({1}, bool_), u8(5), 300); }, "where");
    // Differentiable through the number's side too.
    Variable v(Tensor{-1., 2.});
    GradientTape tape;
    Tensor g = tape.gradient(sum(maximum(v.value(), 0.) * 3 + subtract(1, v.value())), v);
    EXPECT_EQ(g.to_vector<float>(), (std::vector<float>{-1, 2}));
}
