// The fused convolution + max pooling of a convnet's first layer
// (ops/conv_pool.hpp) against the unfused path it stands for: the reference
// convolution, its activation, max pooling, and their gradients. The data
// are small multiples of powers of two, so every sum is exact in float in
// any order: both paths must agree bit for bit, genuine ties included (the
// first maximum of a window takes the gradient), at every CPU level and on
// one and two threads.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "nabla/core/cpu.hpp"
#include "nabla/core/threading.hpp"
#include "ops/conv_kernels.hpp"
#include "ops/conv_pool.hpp"

using namespace nabla;
namespace conv = nabla::detail::conv;

namespace {

struct Case {
    std::string name;
    std::int64_t n, h, w, c, kh, kw, o;
    Size2 strides, dilation;
    Padding padding;
    Size2 pool, pool_strides;
    bool relu, bias;
};

std::vector<Case> cases() {
    const Padding valid = Padding::Valid, same = Padding::Same;
    return {
        {"book_first_layer", 3, 28, 28, 1, 3, 3, 32, 1, 1, valid, 2, 2, true, true},
        {"odd_size_drops_last_row", 2, 11, 12, 1, 3, 3, 16, 1, 1, valid, 2, 2, true, true},
        {"rgb_same_padding", 2, 9, 8, 3, 3, 3, 48, 1, 1, same, 2, 2, true, false},
        {"five_by_five_linear", 2, 12, 12, 1, 5, 5, 64, 1, 1, valid, 2, 2, false, true},
        {"strided_wide_pool", 2, 17, 19, 2, 3, 2, 16, {2, 1}, 1, valid, {2, 3}, {2, 3}, true, true},
        {"dilated", 2, 15, 14, 1, 3, 3, 32, 1, {2, 3}, valid, 2, 2, true, true},
        {"pool_three_with_gaps", 2, 14, 14, 1, 3, 3, 80, 1, 1, same, 3, 4, true, true},
        {"many_channels_linear", 1, 8, 8, 4, 2, 2, 128, 1, 1, valid, 2, 2, false, false},
    };
}

struct Geometries {
    conv::Geometry conv, pool;
};

Geometries geometries(const Case& c) {
    Geometries g;
    g.conv.n = c.n, g.conv.h = c.h, g.conv.w = c.w, g.conv.c = c.c;
    g.conv.kh = c.kh, g.conv.kw = c.kw, g.conv.o = c.o;
    conv::plan(g.conv, c.strides, c.padding, c.dilation, "conv2d");
    g.pool.n = c.n, g.pool.h = g.conv.oh, g.pool.w = g.conv.ow, g.pool.c = g.pool.o = c.o;
    g.pool.kh = c.pool.h, g.pool.kw = c.pool.w;
    conv::plan(g.pool, c.pool_strides, Padding::Valid, 1, "max_pool2d");
    return g;
}

// Multiples of 1/4 in [-2, 2] (with many repeats, so ties are common).
std::vector<float> quarters(std::int64_t n, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> d(-8, 8);
    std::vector<float> v(static_cast<std::size_t>(n));
    for (float& f : v) f = static_cast<float>(d(rng)) / 4;
    return v;
}

struct Unfused {
    std::vector<float> y, dk, db;
};

Unfused unfused(const Case& c, const Geometries& g, const std::vector<float>& x, const std::vector<float>& k,
                const std::vector<float>& b, const std::vector<float>& dy) {
    std::vector<float> z(static_cast<std::size_t>(g.conv.out_size()));
    conv::conv_reference_forward<float>(g.conv, x.data(), k.data(), c.bias ? b.data() : nullptr, z.data());
    if (c.relu)
        for (float& v : z) v = v > 0 ? v : 0.0f;
    Unfused u;
    u.y.resize(static_cast<std::size_t>(g.pool.out_size()));
    conv::max_pool_forward<float>(g.pool, z.data(), u.y.data());
    std::vector<float> dz(z.size());
    conv::max_pool_backward<float>(g.pool, z.data(), u.y.data(), dy.data(), dz.data(), c.relu);
    u.dk.resize(k.size());
    u.db.resize(static_cast<std::size_t>(c.o));
    conv::conv_reference_backward_weights<float>(g.conv, x.data(), dz.data(), u.dk.data(), u.db.data());
    return u;
}

void expect_equal(const std::vector<float>& a, const std::vector<float>& b, const std::string& what) {
    ASSERT_EQ(a.size(), b.size()) << what;
    for (std::size_t i = 0; i < a.size(); ++i) ASSERT_EQ(a[i], b[i]) << what << " at " << i;
}

TEST(ConvPool, EqualsConvolutionActivationAndPoolingAtEveryLevelAndThreadCount) {
    const int before = get_num_threads();
    unsigned seed = 1;
    for (const Case& c : cases()) {
        const Geometries g = geometries(c);
        ASSERT_TRUE(conv::ConvPool::fits(g.conv, g.pool)) << c.name;
        const auto x = quarters(g.conv.in_size(), seed++), k = quarters(c.kh * c.kw * c.c * c.o, seed++);
        const auto b = quarters(c.o, seed++), dy = quarters(g.pool.out_size(), seed++);
        const Unfused want = unfused(c, g, x, k, b, dy);
        EXPECT_GT(std::count(want.y.begin(), want.y.end(), 0.0f), 0) << c.name << ": no ties at 0 tested";
        for (CpuLevel level : supported_cpu_levels())
            for (int threads : {1, 2}) {
                set_num_threads(threads);
                const std::string what = c.name + " at " + std::string(cpu_level_name(level)) + ", " +
                                         std::to_string(threads) + " threads: ";
                conv::ConvPool fused(g.conv, g.pool, c.relu, *detail::kernels::float_kernels_for(level));
                std::vector<float> y(want.y.size(), -9.f), dk(k.size(), -9.f), db(b.size(), -9.f);
                fused.forward(c.n, x.data(), k.data(), c.bias ? b.data() : nullptr, y.data());
                expect_equal(y, want.y, what + "pooled output");
                fused.backward_weights(c.n, x.data(), dy.data(), dk.data(), c.bias ? db.data() : nullptr);
                expect_equal(dk, want.dk, what + "kernel gradient");
                if (c.bias) expect_equal(db, want.db, what + "bias gradient");
            }
    }
    set_num_threads(before);
}

// A later, smaller batch reuses the buffers of a larger one.
TEST(ConvPool, SmallerBatchAfterLargerOne) {
    const Case c = cases()[2];  // padded: the copy's borders must stay zero
    Geometries big = geometries(c);
    conv::ConvPool fused(big.conv, big.pool, c.relu);
    const auto x = quarters(big.conv.in_size(), 7), k = quarters(c.kh * c.kw * c.c * c.o, 8);
    const auto dy = quarters(big.pool.out_size(), 9);
    std::vector<float> y(static_cast<std::size_t>(big.pool.out_size())), dk(k.size());
    fused.forward(c.n, x.data(), k.data(), nullptr, y.data());
    Case one = c;
    one.n = 1;
    const Geometries small = geometries(one);
    const std::vector<float> x1(x.begin() + big.conv.in_size() / c.n, x.end());  // the second image
    const std::vector<float> dy1(dy.begin(), dy.begin() + small.pool.out_size());
    const Unfused want = unfused(one, small, x1, k, {}, dy1);
    fused.forward(1, x1.data(), k.data(), nullptr, y.data());
    y.resize(want.y.size());
    expect_equal(y, want.y, "pooled output");
    fused.backward_weights(1, x1.data(), dy1.data(), dk.data(), nullptr);
    expect_equal(dk, want.dk, "kernel gradient");
}

TEST(ConvPool, FitsOnlySmallConvolutionsUnderPoolingThatDoesNotOverlap) {
    Case c = cases()[0];
    Geometries g = geometries(c);
    EXPECT_TRUE(conv::ConvPool::fits(g.conv, g.pool));
    Geometries wide = g;
    wide.conv.c = 4;  // 36 taps
    EXPECT_FALSE(conv::ConvPool::fits(wide.conv, wide.pool));
    Geometries odd = g;
    odd.conv.o = odd.pool.c = odd.pool.o = 24;  // not a multiple of 16
    EXPECT_FALSE(conv::ConvPool::fits(odd.conv, odd.pool));
    c.pool_strides = 1;  // overlapping windows
    g = geometries(c);
    EXPECT_FALSE(conv::ConvPool::fits(g.conv, g.pool));
    c = cases()[0];
    g = geometries(c);
    conv::plan(g.pool, 2, Padding::Same, 1, "max_pool2d");  // 26 -> 13: no padding needed, fits
    EXPECT_TRUE(conv::ConvPool::fits(g.conv, g.pool));
    g.pool.h = g.pool.w = 25;  // no longer the convolution's output
    EXPECT_FALSE(conv::ConvPool::fits(g.conv, g.pool));
}

}  // namespace
