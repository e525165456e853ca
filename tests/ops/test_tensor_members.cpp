// Tensor's NumPy reduction methods (issue 13 item 16) and the free
// all/any/allclose/array_equal, against NumPy's documented results.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "nabla/ops/elementwise.hpp"
#include "nabla/ops/reduce.hpp"

using namespace nabla;

namespace {
void expect_same(const Tensor& got, const Tensor& want) {
    EXPECT_EQ(got.shape(), want.shape());
    EXPECT_EQ(got.dtype(), want.dtype());
    EXPECT_EQ(got.to_vector<double>(), want.to_vector<double>());
}
}  // namespace

TEST(TensorMembers, BookPredictionsArgmaxAndMatchesMean) {
    // The book: predictions[0].argmax() is the predicted digit;
    // matches.mean() the accuracy of a bool tensor.
    Tensor predictions{{0.1, 0.7, 0.2}, {0.6, 0.3, 0.1}};
    EXPECT_EQ(predictions[0].argmax().item<int>(), 1);
    EXPECT_EQ(predictions[1].argmax().item<int>(), 0);
    Tensor labels({1, 2}, int64);
    Tensor matches = equal(predictions.argmax(1), labels);
    EXPECT_EQ(matches.dtype(), bool_);
    EXPECT_DOUBLE_EQ(matches.mean().item<double>(), 0.5);
}

TEST(TensorMembers, EqualTheFreeFunctions) {
    Tensor x = arange(0, 24, 1, float32).reshape({2, 3, 4}) - 7.0;
    expect_same(x.sum(), sum(x));
    expect_same(x.sum(1), sum(x, 1));
    expect_same(x.sum({0, 2}, true), sum(x, {0, 2}, true));
    expect_same(x.mean(-1), mean(x, -1));
    expect_same(x.max(), max(x));
    expect_same(x.max(0, true), max(x, 0, true));
    expect_same(x.min({1}), min(x, {1}));
    expect_same(x.argmax(), argmax(x));
    expect_same(x.argmax(2), argmax(x, 2));
    expect_same(x.argmin(1, true), argmin(x, 1, true));
    expect_same(x.all(), all(x));
    expect_same(x.any(0), any(x, 0));
    EXPECT_EQ(x.max().item<float>(), 16);
    EXPECT_EQ(x.argmin().item<int>(), 0);
}

TEST(TensorMembers, AllAnyFollowNumPy) {
    Tensor m{{1., 0., 2.}, {3., 4., 5.}};
    EXPECT_FALSE(all(m).item<bool>());
    EXPECT_TRUE(any(m).item<bool>());
    EXPECT_EQ(all(m, 1).to_vector<int>(), (std::vector<int>{0, 1}));
    EXPECT_EQ(all(m, 0).to_vector<int>(), (std::vector<int>{1, 0, 1}));
    EXPECT_EQ(any(m, 0, true).shape(), (Shape{1, 3}));
    EXPECT_EQ(all(m).dtype(), bool_);
    // np.all([]) is True, np.any([]) False; NaN is nonzero.
    EXPECT_TRUE(zeros({0}).all().item<bool>());
    EXPECT_FALSE(zeros({0}).any().item<bool>());
    EXPECT_TRUE(Tensor({std::nan("")}).all().item<bool>());
    EXPECT_FALSE(zeros({2, 2}, int64).any().item<bool>());
}

TEST(TensorMembers, AllcloseFollowsNumPy) {
    const double inf = std::numeric_limits<double>::infinity(), nan = std::nan("");
    // NumPy's documented examples (checked with NumPy): False, True, False.
    EXPECT_FALSE(allclose(Tensor({1e10, 1e-7}, float64), Tensor({1.00001e10, 1e-8}, float64)));
    EXPECT_TRUE(allclose(Tensor({1e10, 1e-8}, float64), Tensor({1.00001e10, 1e-9}, float64)));
    EXPECT_FALSE(allclose(Tensor({1e10, 1e-8}, float64), Tensor({1.0001e10, 1e-9}, float64)));
    EXPECT_FALSE(allclose(Tensor({inf}), Tensor({1.0})));
    EXPECT_FALSE(allclose(Tensor({1.0}), Tensor({inf})));
    EXPECT_TRUE(allclose(Tensor({1.0, nan}), Tensor({1.0, nan}), 1e-5, 1e-8, true));
    EXPECT_FALSE(allclose(Tensor({1.0, nan}), Tensor({1.0, nan})));
    EXPECT_TRUE(allclose(Tensor({inf, -inf}), Tensor({inf, -inf})));
    EXPECT_FALSE(allclose(Tensor({inf}), Tensor({-inf})));
    EXPECT_FALSE(allclose(Tensor({inf}), Tensor({nan}), 1e-5, 1e-8, true));
    // Broadcasting, and asymmetric in b as NumPy: |a - b| <= atol + rtol|b|.
    EXPECT_TRUE(allclose(ones({2, 3}), Tensor({1.0})));
    EXPECT_TRUE(allclose(Tensor({100.0}), Tensor({101.0}), 0.0099999, 0.0));
    EXPECT_FALSE(allclose(Tensor({101.0}), Tensor({100.0}), 0.0099999, 0.0));
    EXPECT_TRUE(allclose(Tensor({1, 2}, int64), Tensor({1.0, 2.0})));
    EXPECT_THROW(allclose(ones({2}), ones({3})), ShapeError);
}

TEST(TensorMembers, ArrayEqualFollowsNumPy) {
    EXPECT_TRUE(array_equal(Tensor({1., 2.}), Tensor({1., 2.})));
    EXPECT_TRUE(array_equal(Tensor({1, 2}, int64), Tensor({1.0, 2.0})));
    EXPECT_FALSE(array_equal(Tensor({1., 2.}), Tensor({1., 3.})));
    EXPECT_FALSE(array_equal(ones({2}), ones({1, 2})));   // shapes differ: false, no broadcasting
    EXPECT_FALSE(array_equal(ones({2}), ones({3})));      // and no error
    EXPECT_FALSE(array_equal(Tensor({std::nan("")}), Tensor({std::nan("")})));
}
