#include <gtest/gtest.h>

#include <limits>

#include "nabla/autodiff.hpp"
#include "nabla/core/random.hpp"
#include "nabla/core/threading.hpp"
#include "nabla/ops/elementwise.hpp"
#include "nabla/ops/linalg.hpp"
#include "nabla/ops/reduce.hpp"

using namespace nabla;

namespace {
// Reference 2-D product with plain loops in double.
std::vector<double> naive(const Tensor& a, const Tensor& b) {
    const auto m = a.shape(0), k = a.shape(1), n = b.shape(1);
    std::vector<double> c(static_cast<std::size_t>(m * n));
    for (std::int64_t i = 0; i < m; ++i)
        for (std::int64_t j = 0; j < n; ++j)
            for (std::int64_t p = 0; p < k; ++p) c[i * n + j] += a.at<double>({i, p}) * b.at<double>({p, j});
    return c;
}
void expect_near(const std::vector<double>& want, const Tensor& got, double tol) {
    auto g = got.to_vector<double>();
    ASSERT_EQ(g.size(), want.size());
    for (std::size_t i = 0; i < g.size(); ++i) EXPECT_NEAR(g[i], want[i], tol * std::max(1.0, std::abs(want[i]))) << i;
}
}  // namespace

TEST(Linalg, MatrixProductMatchesNaiveLoopsIncludingStridedViews) {
    random::Generator gen(1);
    Tensor a = random::uniform({37, 53}, -1, 1, gen), b = random::uniform({53, 29}, -1, 1, gen);
    expect_near(naive(a, b), dot(a, b), 1e-5);
    expect_near(naive(a, b), matmul(a, b), 1e-5);
    Tensor at = random::uniform({53, 37}, -1, 1, gen).transpose();  // column-major view
    expect_near(naive(at, b), dot(at, b), 1e-5);
    Tensor big = random::uniform({40, 60}, -1, 1, gen);
    Tensor rev = big(Slice(None, None, -1), Slice(0, 53));  // negative row stride
    expect_near(naive(rev(Slice(0, 37)), b), dot(rev(Slice(0, 37)), b), 1e-5);
    Tensor a64 = a.astype(float64), bi = b.astype(int32);
    EXPECT_EQ(dot(a64, bi).dtype(), float64);
    expect_near(naive(a64, bi.astype(float64)), dot(a64, bi), 1e-12);
}

TEST(Linalg, BookShapesAndNumPyDotRules) {
    EXPECT_EQ(dot(ones({2, 3, 4, 5}), ones({5})).shape(), (Shape{2, 3, 4}));
    EXPECT_EQ(dot(ones({2, 3, 4, 5}), ones({5, 6})).shape(), (Shape{2, 3, 4, 6}));
    EXPECT_EQ(dot(ones({2, 3}), ones({4, 3, 5})).shape(), (Shape{2, 4, 5}));
    EXPECT_EQ(dot(Tensor{1., 2., 3.}, Tensor{4., 5., 6.}).item<float>(), 32.0f);
    EXPECT_EQ(dot(Tensor{1., 2., 3.}, Tensor{4., 5., 6.}).ndim(), 0);
    EXPECT_EQ(dot(Tensor::scalar(2.0), Tensor{1., 2.}).to_vector<float>(), (std::vector<float>{2, 4}));
    EXPECT_EQ(dot(Tensor{{1., 2.}, {3., 4.}}, Tensor{1., 1.}).to_vector<float>(), (std::vector<float>{3, 7}));
    EXPECT_EQ(dot(Tensor{{1, 2}, {3, 4}}, Tensor{{1, 0}, {0, 1}}).to_vector<int>(),
              (std::vector<int>{1, 2, 3, 4}));
}

TEST(Linalg, MatmulBroadcastsBatchAxes) {
    random::Generator gen(2);
    Tensor a = random::uniform({2, 1, 3, 4}, -1, 1, gen), b = random::uniform({5, 4, 6}, -1, 1, gen);
    Tensor c = matmul(a, b);
    EXPECT_EQ(c.shape(), (Shape{2, 5, 3, 6}));
    expect_near(naive(a[1][0], b[3]), c[1][3], 1e-5);
    EXPECT_EQ(matmul(ones({3}), ones({2, 3, 4})).shape(), (Shape{2, 4}));
    EXPECT_EQ(matmul(ones({2, 3, 4}), ones({4})).shape(), (Shape{2, 3}));
    EXPECT_EQ(matmul(ones({4}), ones({4})).ndim(), 0);
}

TEST(Linalg, Tensordot) {
    random::Generator gen(3);
    Tensor a = random::uniform({3, 4, 5}, -1, 1, gen), b = random::uniform({4, 5, 2}, -1, 1, gen);
    Tensor c = tensordot(a, b, 2);
    EXPECT_EQ(c.shape(), (Shape{3, 2}));
    expect_near(naive(a.reshape({3, 20}), b.reshape({20, 2})), c, 1e-5);
    Tensor d = tensordot(a, b, {1}, {0});
    EXPECT_EQ(d.shape(), (Shape{3, 5, 5, 2}));
    EXPECT_EQ(tensordot(ones({2}), ones({3}), 0).shape(), (Shape{2, 3}));  // outer product
}

TEST(Linalg, ErrorsNameBothShapes) {
    try {
        (void)dot(ones({3, 4}), ones({5, 6}));
        FAIL();
    } catch (const ShapeError& e) {
        EXPECT_STREQ(e.what(), "dot: shapes (3, 4) and (5, 6) not aligned: 4 (dim 1) != 5 (dim 0)");
    }
    EXPECT_THROW(matmul(ones({3, 4}), ones({5, 6})), ShapeError);
    EXPECT_THROW(matmul(ones({2, 3, 4}), ones({3, 4, 5})), ShapeError);  // batch 2 vs 3
    EXPECT_THROW(matmul(Tensor::scalar(1.0), ones({2})), ValueError);
    EXPECT_THROW(tensordot(ones({3, 4}), ones({5}), {1}, {0}), ShapeError);
}

TEST(Linalg, ThreadCountDoesNotChangeResults) {
    random::Generator gen(4);
    Tensor a = random::uniform({128, 784}, -1, 1, gen), b = random::uniform({784, 512}, -1, 1, gen);
    set_num_threads(1);
    Tensor one = dot(a, b);
    set_num_threads(2);
    Tensor two = dot(a, b);
    expect_near(one.to_vector<double>(), two, 1e-5);
}

TEST(LinalgGradients, EveryRankCombination) {
    random::Generator gen(5);
    auto r = [&](Shape s) { return random::uniform(s, -1, 1, gen, float64); };
    using Fn = std::function<Tensor(const std::vector<Tensor>&)>;
    const std::vector<std::tuple<const char*, Fn, Shape, Shape>> cases = {
        {"dot 1x1", [](auto& v) { return dot(v[0], v[1]); }, {4}, {4}},
        {"dot 2x1", [](auto& v) { return dot(v[0], v[1]); }, {3, 4}, {4}},
        {"dot 1x2", [](auto& v) { return dot(v[0], v[1]); }, {4}, {4, 2}},
        {"dot 2x2", [](auto& v) { return dot(v[0], v[1]); }, {3, 4}, {4, 2}},
        {"dot 3x3", [](auto& v) { return dot(v[0], v[1]); }, {2, 3, 4}, {3, 4, 2}},
        {"matmul batch", [](auto& v) { return matmul(v[0], v[1]); }, {2, 1, 3, 4}, {3, 4, 2}},
        {"matmul 1xN", [](auto& v) { return matmul(v[0], v[1]); }, {4}, {2, 4, 3}},
        {"tensordot", [](auto& v) { return tensordot(v[0], v[1], 2); }, {2, 3, 4}, {3, 4, 2}},
        {"transposed", [](auto& v) { return matmul(v[0].transpose(), v[1]); }, {4, 3}, {4, 2}},
    };
    for (const auto& [name, f, sa, sb] : cases) {
        auto res = check_gradients([&](const std::vector<Tensor>& v) { return square(f(v)); }, {r(sa), r(sb)});
        EXPECT_LT(res.max_rel_error, 1e-6) << name << ": " << res.report;
    }
}

TEST(LinalgGradients, SecondOrderThroughMatmul) {
    // d/dx of sum((x·W)²) is 2·(x·W)·Wᵀ; its gradient with respect to W is checked numerically.
    random::Generator gen(6);
    Tensor x = random::uniform({2, 3}, -1, 1, gen, float64);
    auto res = check_gradients(
        [&](const std::vector<Tensor>& v) {
            GradientTape inner;
            inner.watch(x);
            Tensor y = sum(square(matmul(x, v[0])));
            return sum(square(inner.gradient(y, x)));
        },
        {random::uniform({3, 2}, -1, 1, gen, float64)});
    EXPECT_LT(res.max_rel_error, 1e-6) << res.report;
}

// Issue 13 item 5: a 1-D·1-D integer/bool dot was sum(multiply): int64 and no
// wraparound. NumPy: int32 [2^31-1, 2]·[2, 1] == int32 0; bool·bool is bool.
TEST(Linalg, IntegerAndBoolVectorDotKeepsTheDtypeAndWraps) {
    Tensor a(std::vector<std::int32_t>{2147483647, 2}, {2}), b(std::vector<std::int32_t>{2, 1}, {2});
    Tensor d = dot(a, b);
    EXPECT_EQ(d.dtype(), int32);
    EXPECT_EQ(d.ndim(), 0);
    EXPECT_EQ(d.item<std::int32_t>(), 0);
    Tensor t(std::vector<bool>{true, true}, {2}), f(std::vector<bool>{false, true}, {2});
    EXPECT_EQ(dot(t, t).dtype(), bool_);
    EXPECT_TRUE(dot(t, t).item<bool>());
    EXPECT_FALSE(dot(t, Tensor(std::vector<bool>{false, false}, {2})).item<bool>());
    EXPECT_TRUE(dot(t, f).item<bool>());
    Tensor u(std::vector<std::uint8_t>{200, 100}, {2}), v(std::vector<std::uint8_t>{2, 1}, {2});
    EXPECT_EQ(dot(u, v).dtype(), uint8);
    EXPECT_EQ(dot(u, v).item<int>(), 244);  // 500 mod 256
    const std::int64_t big = std::numeric_limits<std::int64_t>::max();
    Tensor w(std::vector<std::int64_t>{big, 1}, {2}), z(std::vector<std::int64_t>{2, 1}, {2});
    EXPECT_EQ(dot(w, z).item<std::int64_t>(), -1);  // NumPy: 2*INT64_MAX + 1 wraps to -1
    // Matrix products of integers wrap the same way (int32, as NumPy).
    Tensor m = matmul(a.reshape({1, 2}), b.reshape({2, 1}));
    EXPECT_EQ(m.dtype(), int32);
    EXPECT_EQ(m.to_vector<std::int32_t>(), (std::vector<std::int32_t>{0}));
    EXPECT_EQ(dot(Tensor{1.5, 2.}, Tensor{2., 1.}).item<float>(), 5);  // floats unchanged
}

// Issue 13 item 26: a zero-length contracted axis threw (reshape of -1 over
// 0). NumPy: dot(zeros((2,0)), zeros((0,3))) is a (2, 3) zero matrix.
TEST(Linalg, ZeroLengthContractedAxisGivesZeros) {
    auto expect_zeros = [](const Tensor& t, const Shape& shape, DType dt) {
        EXPECT_EQ(t.shape(), shape);
        EXPECT_EQ(t.dtype(), dt);
        for (double v : t.to_vector<double>()) EXPECT_EQ(v, 0);
    };
    expect_zeros(dot(zeros({2, 0}), zeros({0, 3})), {2, 3}, float32);
    expect_zeros(matmul(zeros({2, 0}), zeros({0, 3})), {2, 3}, float32);
    expect_zeros(tensordot(zeros({2, 0}), zeros({0, 3}), 1), {2, 3}, float32);
    expect_zeros(tensordot(zeros({2, 0, 3}), zeros({0, 3, 4}), 2), {2, 4}, float32);
    expect_zeros(dot(zeros({0}), zeros({0})), {}, float32);
    expect_zeros(dot(zeros({2, 0}, int32), zeros({0}, int32)), {2}, int32);
    expect_zeros(dot(zeros({0}, int64), zeros({0}, int64)), {}, int64);
    expect_zeros(dot(zeros({2, 2, 0}), zeros({3, 0, 4})), {2, 2, 3, 4}, float32);
    expect_zeros(matmul(zeros({0}), zeros({0})), {}, float32);
    expect_zeros(matmul(zeros({5, 2, 0}, float64), zeros({5, 0, 3}, float64)), {5, 2, 3}, float64);
    expect_zeros(matmul(zeros({5, 2, 0}), zeros({0, 3})), {5, 2, 3}, float32);
}
