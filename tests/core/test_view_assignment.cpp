// Assignment through views (issue 13, item 1): assigning to a temporary
// (what indexing returns) writes into the viewed elements, as NumPy's
// x[i, j] = v; assigning to a named Tensor rebinds the handle.
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "nabla/core/random.hpp"
#include "nabla/core/tensor.hpp"
#include "nabla/ops/elementwise.hpp"
#include "nabla/ops/reduce.hpp"

using namespace nabla;

namespace {

// The book's §2.3.1 loops, written as a NumPy user writes them.
Tensor naive_relu(Tensor x) {
    EXPECT_EQ(x.ndim(), 2);
    x = x.copy();  // a named tensor: rebinds to the copy
    for (std::int64_t i = 0; i < x.shape(0); ++i)
        for (std::int64_t j = 0; j < x.shape(1); ++j) x(i, j) = std::max(x(i, j).item(), 0.0);
    return x;
}

Tensor naive_add(Tensor x, const Tensor& y) {
    EXPECT_EQ(x.shape(), y.shape());
    x = x.copy();
    for (std::int64_t i = 0; i < x.shape(0); ++i)
        for (std::int64_t j = 0; j < x.shape(1); ++j) x(i, j) += y(i, j);
    return x;
}

}  // namespace

TEST(ViewAssignment, BookNaiveReluAndAddMatchTheOps) {
    random::Generator gen(7);
    Tensor x = random::normal({20, 30}, 0.0, 1.0, gen);
    Tensor y = random::normal({20, 30}, 0.0, 1.0, gen);
    Tensor r = naive_relu(x);
    EXPECT_EQ(r.to_vector<float>(), relu(x).to_vector<float>());
    EXPECT_GT(sum(x < 0.0).item(), 0);  // x has negatives, so relu changed something
    EXPECT_NE(r.to_vector<float>(), x.to_vector<float>());
    EXPECT_EQ(naive_add(x, y).to_vector<float>(), add(x, y).to_vector<float>());
}

TEST(ViewAssignment, ScalarTensorIntoElement) {
    Tensor x = zeros({2, 3});
    x(1, 2) = Tensor::scalar(5.0);
    x(0, 0) = 2.5;
    x(-1, 0) = 7;
    EXPECT_EQ(x.to_vector<float>(), (std::vector<float>{2.5f, 0, 0, 7, 0, 5}));
}

TEST(ViewAssignment, RowFromTensorBroadcastsAndConverts) {
    Tensor a = zeros({3, 3}, int32);
    a[1] = ones({3});                          // float32 source, converted
    a(Slice(), 0) = Tensor({9, 8, 7}, int64);  // a column
    a[2] = Tensor::scalar(4.0);                // broadcast, over the 7
    EXPECT_EQ(a.to_vector<int>(), (std::vector<int>{9, 0, 0, 8, 1, 1, 4, 4, 4}));
    EXPECT_THROW(a[0] = ones({2}), ShapeError);
}

TEST(ViewAssignment, NamedTensorAssignmentRebinds) {
    Tensor a = zeros({3});
    Tensor b = a;
    Tensor c = ones({3});
    b = c;  // rebinding: a untouched, b names c
    EXPECT_EQ(b.id(), c.id());
    EXPECT_EQ(a.to_vector<float>(), (std::vector<float>{0, 0, 0}));
    b = std::move(a);
    EXPECT_EQ(c.to_vector<float>(), (std::vector<float>{1, 1, 1}));
}

TEST(ViewAssignment, CompoundAssignmentOnTemporaries) {
    Tensor x = zeros({2, 2});
    Tensor y = Tensor{{1., 2.}, {3., 4.}}.astype(float32);
    x(0, 1) += y(1, 1);
    x[1] += y[0];
    x[1] *= 3;
    x(0, 0) -= 0.5;
    x(Slice(), 1) /= 2.0;
    EXPECT_EQ(x.to_vector<float>(), (std::vector<float>{-0.5f, 2, 3, 3}));
}

TEST(ViewAssignment, OverlappingViewsReadBeforeWriting) {
    Tensor a = arange(5);
    a(Slice(1, None)) = a(Slice(None, -1));  // NumPy: a[1:] = a[:-1]
    EXPECT_EQ(a.to_vector<std::int64_t>(), (std::vector<std::int64_t>{0, 0, 1, 2, 3}));
}

TEST(ViewAssignment, IntegerScalarsAreExactAndRangeChecked) {
    Tensor a = zeros({2}, int64);
    a[0] = 9007199254740993LL;  // 2^53 + 1: not a double
    EXPECT_EQ(a.at<std::int64_t>({0}), 9007199254740993LL);
    Tensor u = zeros({2}, uint8);
    u[1] = 255;
    EXPECT_EQ(u.at<int>({1}), 255);
    EXPECT_THROW(u[0] = 300, OverflowError);  // NumPy 2: out of bounds for uint8
    EXPECT_THROW(u[0] = -1, OverflowError);
    Tensor f = zeros({1});
    f[0] = true;
    EXPECT_EQ(f.at<float>({0}), 1.0f);
}

TEST(ViewAssignment, StdContainersStillRebind) {
    std::vector<Tensor> v{zeros({2}), ones({2})};
    std::swap(v[0], v[1]);
    EXPECT_EQ(v[0].to_vector<float>(), (std::vector<float>{1, 1}));
    v[1] = full({3}, 2.0);  // vector element: an lvalue, so a rebind
    EXPECT_EQ(v[1].shape(), (Shape{3}));
    std::optional<Tensor> o;
    o = zeros({4});
    o = ones({1});
    EXPECT_EQ(o->shape(), (Shape{1}));
    std::sort(v.begin(), v.end(), [](const Tensor& p, const Tensor& q) { return p.size() < q.size(); });
    EXPECT_EQ(v[0].shape(), (Shape{2}));
}
