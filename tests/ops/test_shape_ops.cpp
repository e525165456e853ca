#include <gtest/gtest.h>

#include <cmath>

#include "nabla/autodiff.hpp"
#include "nabla/core/random.hpp"
#include "nabla/ops/elementwise.hpp"
#include "nabla/ops/reduce.hpp"
#include "nabla/ops/shape_ops.hpp"

using namespace nabla;

TEST(ShapeOps, ConcatenateAndStack) {
    Tensor a{{1., 2.}, {3., 4.}}, b{{5., 6.}};
    Tensor c = concatenate({a, b});
    EXPECT_EQ(c.shape(), (Shape{3, 2}));
    EXPECT_EQ(c.to_vector<float>(), (std::vector<float>{1, 2, 3, 4, 5, 6}));
    Tensor d = concatenate({a, b.transpose()}, 1);
    EXPECT_EQ(d.to_vector<float>(), (std::vector<float>{1, 2, 5, 3, 4, 6}));
    EXPECT_EQ(concatenate({a, ones({1, 2}, float64)}).dtype(), float64);
    Tensor s = stack({Tensor{1., 2.}, Tensor{3., 4.}}, 1);
    EXPECT_EQ(s.shape(), (Shape{2, 2}));
    EXPECT_EQ(s.to_vector<float>(), (std::vector<float>{1, 3, 2, 4}));
    EXPECT_EQ(stack({zeros({3}), zeros({3}), zeros({3})}).shape(), (Shape{3, 3}));
}

TEST(ShapeOps, ErrorsNameTheShapes) {
    try {
        (void)concatenate({zeros({2, 3}), zeros({2, 4})});
        FAIL();
    } catch (const ShapeError& e) {
        EXPECT_NE(std::string(e.what()).find("(2, 3)"), std::string::npos);
        EXPECT_NE(std::string(e.what()).find("(2, 4)"), std::string::npos);
    }
    EXPECT_THROW(stack({zeros({2}), zeros({3})}), ShapeError);
    EXPECT_THROW(concatenate({}), ValueError);
    EXPECT_THROW(concatenate({zeros({2})}, 1), IndexError);
}

TEST(ShapeOps, OneHot) {
    Tensor labels({3, 0, 2}, int64);
    Tensor oh = one_hot(labels, 4);
    EXPECT_EQ(oh.shape(), (Shape{3, 4}));
    EXPECT_EQ(oh.to_vector<float>(), (std::vector<float>{0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 1, 0}));
    try {
        (void)one_hot(Tensor({1, 7}, int64), 4);
        FAIL();
    } catch (const ValueError& e) {
        EXPECT_NE(std::string(e.what()).find("index 7"), std::string::npos) << e.what();
    }
    EXPECT_THROW(one_hot(Tensor{1.0, 2.0}, 3), DTypeError);
}

TEST(ShapeOps, BroadcastToIsAView) {
    Tensor b{1., 2., 3.};
    Tensor v = broadcast_to(b, {4, 3});
    EXPECT_TRUE(v.shares_storage(b));
    EXPECT_EQ(v.strides(), (Strides{0, 1}));
    EXPECT_THROW(broadcast_to(b, {4, 2}), ShapeError);
}

TEST(ShapeOpsGradients, MatchFiniteDifferences) {
    random::Generator gen(9);
    auto r = [&](Shape s) { return random::uniform(s, -1, 1, gen, float64); };
    auto c1 = check_gradients([](auto& v) { return square(concatenate({v[0], v[1]}, 1)); }, {r({2, 3}), r({2, 2})});
    EXPECT_LT(c1.max_rel_error, 1e-6) << c1.report;
    auto c2 = check_gradients([](auto& v) { return square(stack({v[0], v[1]}, 2)); }, {r({2, 3}), r({2, 3})});
    EXPECT_LT(c2.max_rel_error, 1e-6) << c2.report;
    auto c3 = check_gradients([](auto& v) { return square(broadcast_to(v[0], {4, 2, 3})); }, {r({2, 1})});
    EXPECT_LT(c3.max_rel_error, 1e-6) << c3.report;
    auto c4 = check_gradients([](auto& v) { return square(v[0](Slice(None, None, -2), 1)) * 1.5; }, {r({5, 3})});
    EXPECT_LT(c4.max_rel_error, 1e-6) << c4.report;
}

namespace {
// Runs f and expects a ValueError whose message contains "too big" (NumPy's
// "array is too big").
template <typename F>
void expect_too_big(F f, const char* what) {
    try {
        f();
        ADD_FAILURE() << what << ": accepted";
    } catch (const ValueError& e) {
        EXPECT_NE(std::string(e.what()).find("too big"), std::string::npos) << what << ": " << e.what();
    }
}
}  // namespace

// Issue 13 item 3: shapes whose element count overflows 64 bits were accepted
// ((2^62+1)*4 wraps to 4), read past the buffer, or made sum() run forever.
TEST(ShapeOps, ShapesWhoseElementCountOverflowsAreRefused) {
    const std::int64_t big = (std::int64_t{1} << 62) + 1;
    expect_too_big([&] { (void)arange(4.0).reshape({big, 4}); }, "reshape");
    expect_too_big([&] { (void)arange(4.0).reshape({-1, big, 4}); }, "reshape with -1");
    expect_too_big([&] { (void)arange(0.0).reshape({0, big, 4}); }, "empty reshape (NumPy: too big)");
    expect_too_big([&] { (void)broadcast_to(Tensor::scalar(1.0), {big, 4}); }, "broadcast_to");
    // NumPy counts bytes: 2^62 float32 elements are 2^64 bytes.
    expect_too_big([&] { (void)broadcast_to(Tensor::scalar(1.0), {std::int64_t{1} << 31, std::int64_t{1} << 31}); },
                   "broadcast_to by bytes");
    expect_too_big([&] { (void)(ones({4}) + broadcast_to(ones({1}), {big, 4})); }, "binary op");
    expect_too_big([&] { (void)zeros({big, 4}); }, "zeros");
    expect_too_big([&] { (void)full({0, big, 4}, 1.0); }, "full with an empty axis");
    expect_too_big([&] { (void)arange(0.0, 1e300); }, "arange count");
    EXPECT_THROW((void)arange(0.0, std::nan("")), ValueError);
    const Tensor storage_owner = zeros({4});
    expect_too_big([&] { (void)Tensor::from_storage(storage_owner.storage(), float32, {big, 4}, {4, 1}, 0); },
                   "from_storage");
    EXPECT_THROW((void)Tensor::from_storage(storage_owner.storage(), float32, {std::int64_t{1} << 40, 2},
                                            {std::int64_t{1} << 40, 1}, 0), IndexError);
    const Tensor half = broadcast_to(Tensor::scalar(1, uint8), {std::int64_t{1} << 62});
    expect_too_big([&] { (void)concatenate({half, half}); }, "concatenate");
    // Sizes that fit still work, including -1 and empty axes.
    EXPECT_EQ(arange(12.0).reshape({-1, 4}).shape(), (Shape{3, 4}));
    EXPECT_EQ(zeros({0, 5}).reshape({5, 0}).shape(), (Shape{5, 0}));
    EXPECT_EQ(broadcast_to(Tensor::scalar(1.0), {std::int64_t{1} << 40, 4}).size(), std::int64_t{1} << 42);
}
