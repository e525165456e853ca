#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "nabla/autodiff.hpp"
#include "nabla/core/random.hpp"
#include "nabla/core/threading.hpp"
#include "nabla/ops/elementwise.hpp"
#include "nabla/ops/reduce.hpp"

using namespace nabla;

TEST(Reduce, SumMeanMaxMinOverAxes) {
    Tensor x = arange(0, 24, 1, float32).reshape({2, 3, 4});
    EXPECT_EQ(sum(x).item<float>(), 276);
    EXPECT_EQ(sum(x, 0).shape(), (Shape{3, 4}));
    EXPECT_EQ(sum(x, {0, 2}).to_vector<float>(), (std::vector<float>{60, 92, 124}));
    EXPECT_EQ(sum(x, {-1}, true).shape(), (Shape{2, 3, 1}));
    EXPECT_EQ(mean(x, 1).to_vector<float>(), (std::vector<float>{4, 5, 6, 7, 16, 17, 18, 19}));
    EXPECT_EQ(max(x, 2).to_vector<float>(), (std::vector<float>{3, 7, 11, 15, 19, 23}));
    EXPECT_EQ(min(x, {0, 1}).to_vector<float>(), (std::vector<float>{0, 1, 2, 3}));
    EXPECT_EQ(max(x).item<float>(), 23);
    EXPECT_EQ(sum(x, {0, 1, 2}, true).shape(), (Shape{1, 1, 1}));
}

TEST(Reduce, DtypesFollowNumPy) {
    EXPECT_EQ(sum(ones({3}, uint8)).dtype(), int64);
    EXPECT_EQ(sum(ones({300}, uint8)).item<int>(), 300);  // no uint8 overflow
    EXPECT_EQ(sum(ones({3}, bool_)).item<int>(), 3);
    EXPECT_EQ(mean(ones({3}, int32)).dtype(), float64);
    EXPECT_EQ(max(ones({3}, uint8)).dtype(), uint8);
}

TEST(Reduce, ArgmaxArgmin) {
    Tensor x{{1., 9., 3.}, {7., 2., 7.}};
    EXPECT_EQ(argmax(x).item<int>(), 1);
    EXPECT_EQ(argmax(x, 1).to_vector<int>(), (std::vector<int>{1, 0}));
    EXPECT_EQ(argmax(x, 0).to_vector<int>(), (std::vector<int>{1, 0, 1}));
    EXPECT_EQ(argmin(x, -1).to_vector<int>(), (std::vector<int>{0, 1}));
    EXPECT_EQ(argmax(x, 1, true).shape(), (Shape{2, 1}));
    EXPECT_EQ(argmax(x).dtype(), int64);
    EXPECT_EQ(argmax(x.transpose(), 0).to_vector<int>(), (std::vector<int>{1, 0}));  // strided
}

TEST(Reduce, StridedInputs) {
    Tensor x = arange(0, 12, 1, float32).reshape({3, 4});
    Tensor t = x.transpose();  // (4, 3)
    EXPECT_EQ(sum(t, 1).to_vector<float>(), (std::vector<float>{12, 15, 18, 21}));
    Tensor rev = x(Slice(None, None, -1), Slice(None, None, -2));  // (3, 2)
    EXPECT_EQ(sum(rev, 0).to_vector<float>(), (std::vector<float>{21, 15}));
}

TEST(Reduce, ErrorsNameTheProblem) {
    EXPECT_THROW(sum(zeros({2, 3}), 2), IndexError);
    EXPECT_THROW(sum(zeros({2, 3}), {0, 0}), ValueError);
    EXPECT_THROW(max(zeros({0, 3})), ValueError);
    EXPECT_THROW(argmax(zeros({0})), ValueError);
    EXPECT_EQ(sum(zeros({0, 3})).item<float>(), 0.0f);
    try {
        (void)max(zeros({3, 0}), 1);
        FAIL();
    } catch (const ValueError& e) {
        EXPECT_NE(std::string(e.what()).find("(3, 0)"), std::string::npos) << e.what();
    }
}

TEST(Reduce, LargeFullSumIsAccurateAndThreadIndependentEnough) {
    Tensor x = ones({1 << 22}, float32) * 0.5;
    set_num_threads(2);
    EXPECT_FLOAT_EQ(sum(x).item<float>(), float(1 << 21));
    set_num_threads(1);
    EXPECT_FLOAT_EQ(sum(x).item<float>(), float(1 << 21));
    set_num_threads(2);
}

TEST(Reduce, UnbroadcastSumsBackToAShape) {
    Tensor g = ones({4, 3, 5});
    EXPECT_EQ(unbroadcast(g, {3, 1}).to_vector<float>(), (std::vector<float>{20, 20, 20}));
    EXPECT_EQ(unbroadcast(g, {5}).shape(), (Shape{5}));
    EXPECT_THROW(unbroadcast(g, {2, 5}), ShapeError);
}

TEST(ReduceGradients, MatchFiniteDifferences) {
    random::Generator gen(3);
    Tensor x = random::uniform({3, 4, 5}, -1, 1, gen, float64);
    using Fn = std::function<Tensor(const std::vector<Tensor>&)>;
    const std::vector<std::pair<const char*, Fn>> cases = {
        {"sum", [](auto& v) { return square(sum(v[0], {0, 2})); }},
        {"sum_keepdims", [](auto& v) { return v[0] * sum(v[0], {1}, true); }},
        {"mean", [](auto& v) { return square(mean(v[0], -1)); }},
        {"max", [](auto& v) { return max(v[0], {1}) * 3.0; }},
        {"min_all", [](auto& v) { return min(v[0]) * 2.0; }},
    };
    for (const auto& [name, f] : cases) {
        auto res = check_gradients(f, {x});
        EXPECT_LT(res.max_rel_error, 1e-6) << name << ": " << res.report;
    }
}

TEST(ReduceGradients, MaxTiesSplitTheGradient) {
    Variable x(Tensor{1., 3., 3.});
    GradientTape tape;
    Tensor g = tape.gradient(max(x.value()), x);
    EXPECT_EQ(g.to_vector<float>(), (std::vector<float>{0, 0.5, 0.5}));
}

// Issue 13 item 2: each thread's partial of a full max/min started at
// lowest()/max(), so max over -inf gave -FLT_MAX with 2 threads.
TEST(Reduce, ParallelMaxMinOfInfinitiesAndNaNMatchTheSerialPath) {
    const float inf = std::numeric_limits<float>::infinity();
    for (int threads : {1, 2}) {
        set_num_threads(threads);
        EXPECT_EQ(max(full({70000}, -inf)).item<float>(), -inf) << threads << " threads";
        EXPECT_EQ(min(full({70000}, inf)).item<float>(), inf) << threads << " threads";
        EXPECT_EQ(max(full({70000}, -inf, float64)).item<double>(), -std::numeric_limits<double>::infinity());
        Tensor x = full({70000}, -inf);
        x[69999].fill(std::nan(""));  // NaN in the last thread's chunk propagates (NumPy)
        EXPECT_TRUE(std::isnan(max(x).item<float>())) << threads << " threads";
        EXPECT_TRUE(std::isnan(min(x).item<float>())) << threads << " threads";
        EXPECT_EQ(argmax(x).item<int>(), 69999);
        EXPECT_EQ(argmin(x).item<int>(), 69999);
        x[69999].fill(-inf);
        x[40000].fill(3);
        EXPECT_EQ(max(x).item<float>(), 3);
        EXPECT_EQ(argmax(x).item<int>(), 40000);
        EXPECT_EQ(argmin(x).item<int>(), 0);
        EXPECT_EQ(max(full({70000}, 7, int64)).item<std::int64_t>(), 7);
        EXPECT_EQ(sum(ones({70000}, int32)).item<std::int64_t>(), 70000);
    }
    set_num_threads(2);
}

// Integer sums wrap as NumPy's do (np.sum([INT64_MAX, 1]) == INT64_MIN),
// with defined (unsigned) arithmetic on every thread count.
TEST(Reduce, IntegerSumsWrapLikeNumPy) {
    const std::int64_t hi = std::numeric_limits<std::int64_t>::max();
    Tensor x(std::vector<std::int64_t>{hi, 1}, {2});
    EXPECT_EQ(sum(x).item<std::int64_t>(), std::numeric_limits<std::int64_t>::min());
    std::vector<std::int64_t> many(70000, hi);
    for (int threads : {1, 2}) {
        set_num_threads(threads);
        // 70000 * INT64_MAX mod 2^64 == -70000 mod 2^64 (NumPy gives the same)
        EXPECT_EQ(sum(Tensor(many, {70000})).item<std::int64_t>(), -70000) << threads << " threads";
    }
    set_num_threads(2);
}
