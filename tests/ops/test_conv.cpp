// conv2d, max_pool2d, avg_pool2d, batch_norm: finite-difference gradients in
// float64 (the direct-loop path), the float32 oneDNN path against the
// float64 reference, hand-computed values, and the error messages. The
// PyTorch oracle cases are in tests/autodiff/test_torch_oracle.cpp.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "nabla/autodiff.hpp"
#include "nabla/core/threading.hpp"
#include "nabla/core/random.hpp"
#include "nabla/ops/conv.hpp"
#include "nabla/ops/elementwise.hpp"
#include "nabla/ops/reduce.hpp"
#include "ops/conv_kernels.hpp"

using namespace nabla;
using ::testing::HasSubstr;

namespace {

random::Generator& gen() {
    static random::Generator g(515);
    return g;
}
Tensor rn(const Shape& s, DType dt = float64) { return random::normal(s, 0.0, 1.0, gen(), dt); }

struct ConvCase {
    const char* name;
    Shape x, k;
    Conv2DParams p;
    bool bias;
};

std::vector<ConvCase> conv_cases() {
    return {
        {"valid", {2, 5, 6, 3}, {3, 3, 3, 4}, {}, true},
        {"same", {2, 5, 6, 3}, {3, 3, 3, 4}, {.padding = Padding::Same}, true},
        {"same_even_kernel", {1, 5, 5, 2}, {2, 4, 2, 3}, {.padding = Padding::Same}, false},
        {"strides", {2, 7, 6, 2}, {3, 2, 2, 3}, {.strides = {2, 3}}, true},
        {"strides_same", {2, 7, 6, 2}, {3, 3, 2, 3}, {.strides = 2, .padding = Padding::Same}, true},
        {"dilation", {1, 7, 8, 2}, {3, 3, 2, 2}, {.dilation = {2, 3}}, true},
        {"dilation_same", {1, 6, 6, 2}, {3, 2, 2, 2}, {.padding = Padding::Same, .dilation = 2}, false},
        {"one_by_one", {2, 3, 3, 4}, {1, 1, 4, 5}, {}, true},
    };
}

TEST(Conv2D, GradientsMatchFiniteDifferencesInFloat64) {
    for (const auto& c : conv_cases()) {
        std::vector<Tensor> inputs{rn(c.x), rn(c.k)};
        if (c.bias) inputs.push_back(rn({c.k[3]}));
        const Conv2DParams p = c.p;
        Tensor w;
        const auto f = [&](const std::vector<Tensor>& in) {
            Tensor y = conv2d(in[0], in[1], in.size() > 2 ? in[2] : Tensor(), p);
            if (!w.defined()) w = rn(y.shape());
            return sum(y * w);
        };
        const auto r = check_gradients(f, inputs);
        EXPECT_LT(r.max_rel_error, 1e-6) << c.name << ": " << r.report;
    }
}

// The float32 path (oneDNN) against the float64 direct loops, value and
// gradients.
// With several threads the float32 batch is split over nabla's team (one
// single-threaded oneDNN primitive per chunk; the kernel gradient's partials
// added in chunk order): the same values as one thread, within rounding,
// for an uneven split (5 images on 2 and 3 threads).
TEST(Conv2D, TheBatchSplitOverThreadsGivesOneThreadsResults) {
    const Tensor x = rn({5, 9, 8, 3}, float32), k = rn({3, 3, 3, 4}, float32), b = rn({4}, float32);
    const Conv2DParams p{.padding = Padding::Same};
    const int saved = get_num_threads();
    auto run = [&](int threads) {
        set_num_threads(threads);
        GradientTape tape;
        tape.watch(x), tape.watch(k), tape.watch(b);
        Tensor y = conv2d(x, k, b, p);
        Tensor loss = sum(y * y);
        auto g = tape.gradient(loss, std::vector<Tensor>{x, k, b});
        g.insert(g.begin(), y);
        return g;
    };
    const auto one = run(1);
    for (int threads : {2, 3}) {
        const auto many = run(threads);
        for (std::size_t i = 0; i < one.size(); ++i) {
            const auto a = one[i].to_vector<float>(), c = many[i].to_vector<float>();
            ASSERT_EQ(a.size(), c.size());
            for (std::size_t j = 0; j < a.size(); ++j)
                ASSERT_NEAR(a[j], c[j], 1e-4 * (1 + std::abs(a[j]))) << threads << " threads, output " << i << "[" << j << "]";
        }
    }
    set_num_threads(saved);
}

TEST(Conv2D, OneDnnFloat32MatchesTheFloat64Reference) {
    for (const auto& c : conv_cases()) {
        const Tensor x = rn(c.x, float32), k = rn(c.k, float32), b = c.bias ? rn({c.k[3]}, float32) : Tensor();
        const auto run = [&](DType dt) {
            const Tensor xd = x.astype(dt), kd = k.astype(dt), bd = b.defined() ? b.astype(dt) : Tensor();
            GradientTape tape;
            tape.watch(xd);
            tape.watch(kd);
            if (bd.defined()) tape.watch(bd);
            Tensor y = conv2d(xd, kd, bd, c.p);
            const Tensor w = arange(0.0, static_cast<double>(y.size())).reshape(y.shape()).astype(dt) * 0.01;
            std::vector<Tensor> srcs{xd, kd};
            if (bd.defined()) srcs.push_back(bd);
            std::vector<Tensor> out = tape.gradient(sum(y * w), srcs);
            out.insert(out.begin(), y);
            return out;
        };
        const auto f32 = run(float32), f64 = run(float64);
        ASSERT_EQ(f32.size(), f64.size());
        for (std::size_t i = 0; i < f32.size(); ++i) {
            EXPECT_EQ(f32[i].dtype(), float32);
            EXPECT_TRUE(allclose(f32[i].astype(float64), f64[i], 1e-4, 1e-4))
                << c.name << " result " << i << "\n" << f32[i].to_string() << "\n" << f64[i].to_string();
        }
    }
}

TEST(Conv2D, ValuesByHand) {
    // A 3x3 image of 1..9, a 2x2 kernel of ones, one channel: window sums.
    const Tensor x = arange(1.0, 10.0).reshape({1, 3, 3, 1});
    const Tensor k = ones({2, 2, 1, 1});
    EXPECT_EQ(conv2d(x, k).to_vector<double>(), (std::vector<double>{12, 16, 24, 28}));
    // "same": out 3x3, padding 0 before, 1 after (TensorFlow's split).
    EXPECT_EQ(conv2d(x, k, Conv2DParams{.padding = Padding::Same}).to_vector<double>(),
              (std::vector<double>{12, 16, 9, 24, 28, 15, 15, 17, 9}));
    EXPECT_EQ(conv2d(x, k, Tensor(std::vector<double>{0.5}, {1}), {.strides = 2}).to_vector<double>(),
              (std::vector<double>{12.5}));
}

TEST(Conv2D, ShapeErrorsNameBothShapes) {
    const Tensor k = zeros({3, 3, 1, 32});
    try {
        conv2d(zeros({128, 784}), k);
        FAIL();
    } catch (const ShapeError& e) {
        EXPECT_THAT(e.what(), HasSubstr("expects (batch, height, width, channels); got (128, 784)"));
        EXPECT_THAT(e.what(), HasSubstr("reshape to (128, 28, 28, 1)"));
    }
    EXPECT_THROW(
        {
            try {
                conv2d(zeros({2, 28, 28, 3}), k);
            } catch (const ShapeError& e) {
                EXPECT_THAT(e.what(), HasSubstr("(2, 28, 28, 3) has 3 channels but the kernel (3, 3, 1, 32)"));
                throw;
            }
        },
        ShapeError);
    EXPECT_THROW(conv2d(zeros({2, 2, 2, 1}), k), ShapeError);  // 3x3 window in a 2x2 image, "valid"
    EXPECT_NO_THROW(conv2d(zeros({2, 2, 2, 1}), k, Conv2DParams{.padding = Padding::Same}));
    EXPECT_THROW(conv2d(zeros({2, 5, 5, 1}), k, zeros({31}), {}), ShapeError);
    EXPECT_THROW(conv2d(zeros({2, 5, 5, 1}), k, Conv2DParams{.strides = 0}), ValueError);
    EXPECT_THROW(conv2d(zeros({2, 5, 5, 1}), k, Conv2DParams{.strides = 2, .dilation = 2}), ValueError);
    EXPECT_THROW(conv2d(zeros({2, 5, 5, 1}, int32), k), DTypeError);
    EXPECT_THROW(padding_from_name("full"), ValueError);
    EXPECT_EQ(padding_from_name("SAME"), Padding::Same);
}

TEST(Conv2D, EmptyBatch) {
    GradientTape tape;
    const Tensor x = zeros({0, 5, 5, 2}), k = rn({3, 3, 2, 4}, float32);
    tape.watch(x);
    const Tensor y = conv2d(x, k);
    EXPECT_EQ(y.shape(), (Shape{0, 3, 3, 4}));
    const auto g = tape.gradient(sum(y), std::vector<Tensor>{k});
    EXPECT_EQ(g[0].shape(), k.shape());
    EXPECT_EQ(g[0].to_vector<double>(), std::vector<double>(72, 0.0));
}

TEST(Conv2D, SecondOrderIsRefused) {
    const Tensor x = rn({1, 4, 4, 1}), k = rn({2, 2, 1, 1});
    GradientTape outer;
    outer.watch(k);
    GradientTape inner;
    inner.watch(k);
    const Tensor y = sum(conv2d(x, k));
    EXPECT_THROW(inner.gradient(y, {k}), ValueError);
}

struct PoolCase {
    const char* name;
    Shape x;
    Pool2DParams p;
};

std::vector<PoolCase> pool_cases() {
    return {
        {"2x2", {2, 6, 4, 3}, {}},
        {"odd_valid", {2, 5, 7, 2}, {}},
        {"same", {2, 5, 7, 2}, {.padding = Padding::Same}},
        {"overlapping", {1, 6, 6, 2}, {.pool_size = 3, .strides = 1}},
        {"overlapping_same", {1, 5, 6, 2}, {.pool_size = {3, 2}, .strides = {2, 1}, .padding = Padding::Same}},
        // Two blocks of 16 channels and 3 left over (max_pool_backward's two paths).
        {"channel_blocks", {2, 4, 4, 35}, {}},
        {"channel_blocks_overlapping_same", {1, 5, 5, 17}, {.pool_size = 3, .strides = 2, .padding = Padding::Same}},
    };
}

// Equal values in a window: the gradient goes to its first position
// (row-major), in every channel, as TensorFlow and PyTorch do.
TEST(Pooling, MaxPoolTiesGoToTheFirstMaximumInEveryChannel) {
    for (DType dt : {float32, float64}) {
        const Tensor x = zeros({1, 4, 4, 21}, dt);
        GradientTape tape;
        tape.watch(x);
        Tensor y = max_pool2d(x);
        const std::vector<double> g = tape.gradient(sum(y), x).to_vector<double>();
        for (std::int64_t r = 0; r < 4; ++r)
            for (std::int64_t col = 0; col < 4; ++col)
                for (std::int64_t ch = 0; ch < 21; ++ch)
                    EXPECT_EQ(g[static_cast<std::size_t>((r * 4 + col) * 21 + ch)], r % 2 == 0 && col % 2 == 0 ? 1.0 : 0.0)
                        << r << "," << col << "," << ch;
    }
}

TEST(Pooling, GradientsMatchFiniteDifferencesInFloat64) {
    for (const auto& c : pool_cases())
        for (bool is_max : {true, false}) {
            const Pool2DParams p = c.p;
            Tensor w;
            const auto f = [&](const std::vector<Tensor>& in) {
                Tensor y = is_max ? max_pool2d(in[0], p) : avg_pool2d(in[0], p);
                if (!w.defined()) w = rn(y.shape());
                return sum(y * w);
            };
            const auto r = check_gradients(f, {rn(c.x)});
            EXPECT_LT(r.max_rel_error, 1e-6) << c.name << (is_max ? " max: " : " avg: ") << r.report;
        }
}

TEST(Pooling, ValuesByHand) {
    const Tensor x = arange(1.0, 10.0).reshape({1, 3, 3, 1});
    EXPECT_EQ(max_pool2d(x).to_vector<double>(), (std::vector<double>{5}));
    EXPECT_EQ(avg_pool2d(x).to_vector<double>(), (std::vector<double>{3}));
    // "same": 2x2 outputs; the last row/column windows hold only real pixels.
    EXPECT_EQ(max_pool2d(x, {.padding = Padding::Same}).to_vector<double>(), (std::vector<double>{5, 6, 8, 9}));
    EXPECT_EQ(avg_pool2d(x, {.padding = Padding::Same}).to_vector<double>(),
              (std::vector<double>{3, 4.5, 7.5, 9}));
    EXPECT_EQ(max_pool2d(x.astype(float32), {.pool_size = 2, .strides = 1}).to_vector<double>(),
              (std::vector<double>{5, 6, 8, 9}));
    EXPECT_THROW(max_pool2d(zeros({1, 1, 1, 1})), ShapeError);
    EXPECT_THROW(max_pool2d(zeros({4, 4})), ShapeError);
    EXPECT_THROW(avg_pool2d(zeros({1, 4, 4, 1}), {.pool_size = 0}), ValueError);
}

TEST(BatchNorm, InferenceValuesByHand) {
    const Tensor x = Tensor(std::vector<double>{1, 2, 3, 4, 5, 6}, {3, 2});
    const Tensor m(std::vector<double>{1, 2}, {2}), v(std::vector<double>{4, 0.25}, {2});
    const Tensor g(std::vector<double>{2, 1}, {2}), b(std::vector<double>{0, 1}, {2});
    const Tensor y = batch_norm(x, m, v, g, b, 1e-3);
    std::vector<double> expected;
    for (int r = 0; r < 3; ++r) {
        expected.push_back((1 + 2.0 * r - 1) / std::sqrt(4 + 1e-3) * 2 + 0);
        expected.push_back((2 + 2.0 * r - 2) / std::sqrt(0.25 + 1e-3) * 1 + 1);
    }
    const auto got = y.to_vector<double>();
    for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], expected[i], 1e-12);
    EXPECT_THROW(batch_norm(x, zeros({3}), v, g, b), ShapeError);
    EXPECT_THROW(batch_norm(x, m, v, g, b, 0.0), ValueError);
}

TEST(BatchNorm, TrainingUsesBatchStatistics) {
    const Tensor x = rn({4, 3, 3, 2});
    const auto r = batch_norm_training(x, Tensor(), Tensor(), 1e-3);
    EXPECT_TRUE(allclose(r.mean, mean(x, {0, 1, 2}), 1e-12, 1e-12));
    EXPECT_TRUE(allclose(r.variance, mean(square(x - mean(x, {0, 1, 2})), {0, 1, 2}), 1e-12, 1e-12));
    // Normalised: zero mean, unit (biased) variance up to epsilon.
    EXPECT_TRUE(allclose(mean(r.y, {0, 1, 2}), zeros({2}, float64), 1e-9, 1e-9));
    EXPECT_TRUE(allclose(mean(square(r.y), {0, 1, 2}), r.variance / (r.variance + 1e-3), 1e-9, 1e-9));
}

TEST(BatchNorm, GradientsMatchFiniteDifferencesInFloat64) {
    const Tensor w = rn({3, 2, 2, 3});
    auto r = check_gradients(
        [&](const std::vector<Tensor>& in) {
            return sum(batch_norm_training(in[0], in[1], in[2], 1e-3).y * w);
        },
        {rn({3, 2, 2, 3}), rn({3}), rn({3})});
    EXPECT_LT(r.max_rel_error, 1e-6) << r.report;
    r = check_gradients(
        [&](const std::vector<Tensor>& in) {
            return sum(batch_norm(in[0], in[1], exp(in[2]), in[3], in[4], 1e-3) * w);
        },
        {rn({3, 2, 2, 3}), rn({3}), rn({3}), rn({3}), rn({3})});
    EXPECT_LT(r.max_rel_error, 1e-6) << r.report;
}

// The fused step folds relu's derivative into max pooling's backward pass
// (relu_below): it must equal the pass followed by relu's own derivative,
// on relu outputs full of tied zeros, for windows that overlap and that
// do not, with and without positions outside every window.
TEST(Pooling, MaxPoolBackwardWithReluBelowEqualsThePassThenRelusDerivative) {
    random::Generator gen(5);
    for (const PoolCase& c : pool_cases()) {
        const Tensor x = relu(random::normal(c.x, 0.0, 1.0, gen));  // about half zeros
        const Tensor y = max_pool2d(x, c.p);
        const Tensor dy = random::normal(y.shape(), 0.0, 1.0, gen);
        detail::conv::Geometry g;
        g.n = c.x[0], g.h = c.x[1], g.w = c.x[2], g.c = g.o = c.x[3];
        g.kh = c.p.pool_size.h, g.kw = c.p.pool_size.w;
        const Size2 strides{c.p.strides.h == 0 ? g.kh : c.p.strides.h, c.p.strides.w == 0 ? g.kw : c.p.strides.w};
        detail::conv::plan(g, strides, c.p.padding, 1, "max_pool2d");
        std::vector<float> plain(static_cast<std::size_t>(x.size()), -1.f), folded = plain;
        detail::conv::max_pool_backward(g, x.data<float>(), y.data<float>(), dy.data<float>(), plain.data());
        detail::conv::max_pool_backward(g, x.data<float>(), y.data<float>(), dy.data<float>(), folded.data(), true);
        const std::vector<float> xs = x.to_vector<float>();
        int kept = 0;
        for (std::size_t i = 0; i < xs.size(); ++i) {
            const float want = xs[i] > 0 ? plain[i] : 0.0f;
            ASSERT_EQ(folded[i], want) << c.name << " at " << i;
            kept += want != 0.0f;
        }
        EXPECT_GT(kept, 0) << c.name;
    }
}

}  // namespace
