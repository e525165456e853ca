#include <gtest/gtest.h>

#include "nabla/autodiff.hpp"
#include "nabla/core/random.hpp"
#include "nabla/ops/elementwise.hpp"
#include "nabla/ops/reduce.hpp"
#include "nabla/ops/shape_ops.hpp"

using namespace nabla;

TEST(ShapeOps, ConcatenateAndStack) {
    Tensor a{{1, 2}, {3, 4}}, b{{5, 6}};
    Tensor c = concatenate({a, b});
    EXPECT_EQ(c.shape(), (Shape{3, 2}));
    EXPECT_EQ(c.to_vector<float>(), (std::vector<float>{1, 2, 3, 4, 5, 6}));
    Tensor d = concatenate({a, b.transpose()}, 1);
    EXPECT_EQ(d.to_vector<float>(), (std::vector<float>{1, 2, 5, 3, 4, 6}));
    EXPECT_EQ(concatenate({a, ones({1, 2}, float64)}).dtype(), float64);
    Tensor s = stack({Tensor{1, 2}, Tensor{3, 4}}, 1);
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
    Tensor b{1, 2, 3};
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
