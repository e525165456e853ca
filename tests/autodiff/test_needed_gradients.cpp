// graph::needs_gradient: the tape tells each backward rule which inputs lead
// to a requested gradient, so the rules skip the others (an input image's
// gradient in conv2d, a first dense layer's input product) — and still
// compute them when a tape watches the input, asks for it, or an outer tape
// differentiates through it.
#include <gtest/gtest.h>

#include "nabla/autodiff.hpp"
#include "nabla/core/graph.hpp"
#include "nabla/core/random.hpp"
#include "nabla/ops/conv.hpp"
#include "nabla/ops/elementwise.hpp"
#include "nabla/ops/linalg.hpp"
#include "nabla/ops/nn.hpp"
#include "nabla/ops/reduce.hpp"
#include "ops/conv_kernels.hpp"  // internal: the backward-data counter

using namespace nabla;

namespace {

random::Generator& gen() {
    static random::Generator g(1515);
    return g;
}
Tensor rn(const Shape& s, DType dt = float32) { return random::normal(s, 0.0, 1.0, gen(), dt); }

Tensor from(const std::vector<double>& v, const Shape& s, DType dt) {
    return Tensor(v, s).astype(dt);
}

// y = a * b (computed outside the tape) recorded by hand as one node; the
// closure notes what the tape said it needs.
Tensor probe(const Tensor& a, const Tensor& b, std::vector<bool>& seen) {
    std::vector<double> v = a.to_vector<double>();
    const std::vector<double> bv = b.to_vector<double>();
    for (std::size_t i = 0; i < v.size(); ++i) v[i] *= bv[i];
    Tensor y = from(v, a.shape(), a.dtype());
    graph::record("probe", {a, b}, y, [a, b, &seen](const Tensor& g) {
        seen = {graph::needs_gradient(0), graph::needs_gradient(1)};
        return std::vector<Tensor>{g * b, g * a};
    });
    return y;
}

}  // namespace

TEST(NeededGradients, EveryInputOutsideATape) {
    EXPECT_TRUE(graph::needs_gradient(0));
    EXPECT_TRUE(graph::needs_gradient(7));
}

TEST(NeededGradients, TheTapeMarksConstantsNotNeeded) {
    const Tensor x{1.f, 2.f};
    Variable w(Tensor{3.f, 4.f});
    std::vector<bool> seen;
    GradientTape tape;
    Tensor loss = sum(probe(x, w.value(), seen));
    EXPECT_EQ(tape.gradient(loss, w).to_vector<float>(), (std::vector<float>{1, 2}));
    EXPECT_EQ(seen, (std::vector<bool>{false, true}));
    EXPECT_TRUE(graph::needs_gradient(0));  // the scope ended with the call
}

TEST(NeededGradients, WatchedOrRequestedInputsAreNeeded) {
    const Tensor x{1.f, 2.f};
    Variable w(Tensor{3.f, 4.f});
    std::vector<bool> seen;
    {
        GradientTape tape;
        tape.watch(x);
        Tensor loss = sum(probe(x, w.value(), seen));
        EXPECT_EQ(tape.gradient(loss, x).to_vector<float>(), (std::vector<float>{3, 4}));
        EXPECT_EQ(seen, (std::vector<bool>{true, true}));
    }
    {
        // Not watched but asked for: the gradient is still returned.
        GradientTape tape;
        Tensor loss = sum(probe(x, w.value(), seen));
        const auto g = tape.gradient(loss, std::vector<Tensor>{x, w.value()});
        EXPECT_EQ(g[0].to_vector<float>(), (std::vector<float>{3, 4}));
        EXPECT_EQ(seen, (std::vector<bool>{true, true}));
    }
    {
        // An intermediate result is needed (it is a recorded op's output).
        GradientTape tape;
        Tensor h = x * w.value();
        Tensor loss = sum(probe(h, x, seen));
        tape.gradient(loss, w);
        EXPECT_EQ(seen, (std::vector<bool>{true, false}));
    }
}

TEST(NeededGradients, Conv2DSkipsTheImagesBackwardData) {
    const Tensor image = rn({2, 8, 8, 1});
    Variable k1(rn({3, 3, 1, 4})), b1(rn({4})), k2(rn({3, 3, 4, 3}));
    auto run = [&](bool watch_image) {
        GradientTape tape;
        if (watch_image) tape.watch(image);
        Tensor y = conv2d(relu(conv2d(image, k1.value(), b1.value())), k2.value());
        Tensor loss = sum(y * y);
        const auto before = detail::conv::backward_data_runs();
        auto g = tape.gradient(loss, std::vector<Tensor>{k1.value(), b1.value(), k2.value()});
        if (watch_image) g.push_back(Tensor());
        return std::pair{g, detail::conv::backward_data_runs() - before};
    };
    const auto [skipped, runs_skipped] = run(false);
    const auto [full, runs_full] = run(true);
    EXPECT_EQ(runs_skipped, 1);  // only the second layer's (its input is the first's output)
    EXPECT_EQ(runs_full, 2);
    for (std::size_t i = 0; i < 3; ++i)  // bit for bit: the skip changes nothing else
        EXPECT_EQ(skipped[i].to_vector<float>(), full[i].to_vector<float>()) << i;
}

TEST(NeededGradients, Conv2DStillGivesTheWatchedInputsGradient) {
    const Tensor x = rn({1, 5, 5, 2}, float64);
    const Tensor k = rn({3, 3, 2, 2}, float64);
    GradientTape tape;
    tape.watch(x);
    Tensor loss = sum(conv2d(x, k));
    const Tensor gx = tape.gradient(loss, x);
    // d sum(conv(x, k)) / dx at the centre pixel (every window covers it)
    // sums the kernel over its positions and filters, per input channel.
    const std::vector<double> kv = k.to_vector<double>(), g = gx.to_vector<double>();
    for (int c = 0; c < 2; ++c) {
        double expected = 0;
        for (int p = 0; p < 9; ++p)
            for (int o = 0; o < 2; ++o) expected += kv[static_cast<std::size_t>((p * 2 + c) * 2 + o)];
        EXPECT_NEAR(g[static_cast<std::size_t>((2 * 5 + 2) * 2 + c)], expected, 1e-12) << c;
    }
}

TEST(NeededGradients, DenseFirstLayerGradientsAreUnchanged) {
    const Tensor x = rn({5, 7});
    Variable W(rn({7, 3})), b(rn({3}));
    auto grads = [&](bool watch) {
        GradientTape tape;
        if (watch) tape.watch(x);
        Tensor loss = sum(square(dense(x, W.value(), b.value(), Activation::Tanh)));
        return tape.gradient(loss, std::vector<Tensor>{W.value(), b.value()});
    };
    const auto skipped = grads(false), full = grads(true);
    EXPECT_EQ(skipped[0].to_vector<float>(), full[0].to_vector<float>());
    EXPECT_EQ(skipped[1].to_vector<float>(), full[1].to_vector<float>());
}

// The inner tape does not need x's gradient, yet the outer one differentiates
// the inner gradient (dW = xᵀ·g) with respect to x: its ops are recorded.
TEST(NeededGradients, AnOuterTapeStillDifferentiatesThroughTheInput) {
    const Tensor x = rn({4, 3}, float64);
    Variable W(rn({3, 2}, float64));
    auto inner_norm = [&](const Tensor& xv, GradientTape* outer) {
        if (outer) outer->watch(xv);
        GradientTape inner;
        Tensor loss = sum(square(dense(xv, W.value(), Tensor(), Activation::Tanh)));
        const Tensor dW = inner.gradient(loss, W);
        return sum(square(dW));
    };
    GradientTape outer;
    const Tensor z = inner_norm(x, &outer);
    const Tensor gx = outer.gradient(z, x);
    ASSERT_EQ(gx.shape(), x.shape());
    // Central differences of the same function, element by element.
    const std::vector<double> xs = x.to_vector<double>(), g = gx.to_vector<double>();
    const double h = 1e-6;
    for (std::size_t i = 0; i < xs.size(); ++i) {
        std::vector<double> up = xs, down = xs;
        up[i] += h, down[i] -= h;
        const double fu = inner_norm(from(up, x.shape(), float64), nullptr).item<double>();
        const double fd = inner_norm(from(down, x.shape(), float64), nullptr).item<double>();
        EXPECT_NEAR(g[i], (fu - fd) / (2 * h), 1e-6 * (1 + std::abs(g[i]))) << i;
    }
}
