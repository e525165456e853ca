// softmax passes as an activation function like relu (issue 13 item 18 c):
// std::function<Tensor(const Tensor&)>, layers::Dense(10, softmax), and
// softmax(x, axis) still works.
#include <gtest/gtest.h>

#include <functional>

#include "nabla/layers.hpp"
#include "nabla/ops/elementwise.hpp"
#include "nabla/ops/nn.hpp"
#include "nabla/ops/reduce.hpp"

using namespace nabla;

namespace {
Tensor square_fn(const Tensor& x) { return x * x; }
}  // namespace

TEST(SoftmaxActivation, ConvertsToStdFunction) {
    const Tensor x{{1.0, 2.0, 3.0}, {0.0, 0.0, 0.0}};
    std::function<Tensor(const Tensor&)> f = softmax, g = relu;
    EXPECT_TRUE(array_equal(f(x), softmax(x, -1)));
    EXPECT_TRUE(array_equal(g(x), relu(x)));
    EXPECT_TRUE(allclose(sum(f(x), 1), ones({2})));
    // The axis form is unchanged.
    EXPECT_TRUE(allclose(sum(softmax(x, 0), 0), ones({3})));
}

TEST(SoftmaxActivation, DenseTakesTheFunctions) {
    layers::Dense out(10, softmax), hidden(512, relu), s(3, sigmoid), t(3, nabla::tanh);
    EXPECT_EQ(out.activation(), Activation::Softmax);
    EXPECT_EQ(hidden.activation(), Activation::ReLU);
    EXPECT_EQ(s.activation(), Activation::Sigmoid);
    EXPECT_EQ(t.activation(), Activation::Tanh);
    EXPECT_EQ(out.units(), 10);
    // A function without a Keras name cannot be a Dense activation.
    EXPECT_THROW(layers::Dense(3, square_fn), ValueError);
}
