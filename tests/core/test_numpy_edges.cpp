// Lower-severity NumPy differences in the core (issue 13 item 26): assignment
// from a source with extra leading length-1 axes, and slice steps near
// +-2^63. Expected values from NumPy (1.24 and 2.2 agree on these).
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "nabla/core/tensor.hpp"

using namespace nabla;

// NumPy: z = zeros(3); z[...] = ones((1, 1, 3)) works (leading 1s dropped);
// ones((2, 3)) into (3,) still fails.
TEST(NumPyEdges, AssignDropsExtraLeadingLengthOneAxes) {
    Tensor z = zeros({3});
    z.assign(ones({1, 1, 3}));
    EXPECT_EQ(z.to_vector<float>(), (std::vector<float>{1, 1, 1}));
    Tensor m = zeros({2, 3});
    m[0].assign(full({1, 1, 3}, 2.0));
    EXPECT_EQ(m.to_vector<float>(), (std::vector<float>{2, 2, 2, 0, 0, 0}));
    m.assign(full({1, 1, 1}, 5.0));
    EXPECT_EQ(m.to_vector<float>(), (std::vector<float>(6, 5.0f)));
    Tensor s = Tensor::scalar(0.0);
    s.assign(full({1, 1}, 7.0));
    EXPECT_EQ(s.item<float>(), 7);
    EXPECT_THROW(z.assign(ones({2, 3})), ShapeError);
    EXPECT_THROW(z.assign(ones({1, 2})), ShapeError);
}

// NumPy: a = arange(10); a[::2**63-1] == [0], a[::-2**63] == [9],
// a[3::2**63-2] == [3], a[-2**63:2**63-1:2**62] == [0].
TEST(NumPyEdges, SliceStepsNearTheInt64LimitsHaveTheRightLength) {
    constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
    constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
    Tensor a = arange(10, int64);
    auto values = [](const Tensor& t) { return t.to_vector<std::int64_t>(); };
    using V = std::vector<std::int64_t>;
    EXPECT_EQ(values(a(Slice(None, None, kMax))), V{0});
    EXPECT_EQ(values(a(Slice(None, None, kMin))), V{9});
    EXPECT_EQ(values(a(Slice(None, None, kMin + 1))), V{9});
    EXPECT_EQ(values(a(Slice(3, None, kMax - 1))), V{3});
    EXPECT_EQ(values(a(Slice(kMin, kMax, std::int64_t{1} << 62))), V{0});
    EXPECT_EQ(values(a(Slice(kMax, kMin, -(std::int64_t{1} << 62)))), V{9});
    EXPECT_EQ(values(a(Slice(kMax, kMin, kMin))), V{9});
    EXPECT_EQ(a(Slice(5, 5, kMax)).size(), 0);
    EXPECT_EQ(values(a(Slice(None, None, 4))), (V{0, 4, 8}));
    EXPECT_EQ(values(a(Slice(None, None, -4))), (V{9, 5, 1}));
}
