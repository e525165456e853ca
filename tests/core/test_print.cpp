// Tensor printing against NumPy's str(): the expected strings in
// print_cases.inc were produced by numpy 1.24 (tests/core/print_cases.py).
#include <gtest/gtest.h>

#include <climits>
#include <cmath>
#include <cstdint>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "nabla/core/tensor.hpp"

using namespace nabla;

namespace {

template <typename T>
Tensor formula(const Shape& shape, const std::function<T(std::int64_t)>& f) {
    std::vector<T> v;
    for (std::int64_t i = 0; i < numel(shape); ++i) v.push_back(f(i));
    return Tensor(v, shape);
}
Tensor formula_i64(const Shape& shape, const std::function<std::int64_t(std::int64_t)>& f) {
    return formula<std::int64_t>(shape, f);
}
Tensor formula_f64(const Shape& shape, const std::function<double(std::int64_t)>& f) {
    return formula<double>(shape, f);
}
Tensor formula_bool(const Shape& shape, const std::function<bool(std::int64_t)>& f) {
    return formula<bool>(shape, f);
}

struct PrintCase {
    const char* name;
    std::function<Tensor()> build;
    const char* expected;
};

const std::vector<PrintCase>& print_cases() {
    static const std::vector<PrintCase> cases = {
#include "print_cases.inc"
    };
    return cases;
}

}  // namespace

TEST(Print, MatchesNumpyStr) {
    ASSERT_GE(print_cases().size(), 70u);
    for (const auto& c : print_cases()) {
        SCOPED_TRACE(c.name);
        EXPECT_EQ(c.build().to_string(), c.expected);
    }
}

TEST(Print, BriefExamples) {
    EXPECT_EQ(Tensor({0.1, 0.5, 1.0}).to_string(), "[0.1 0.5 1. ]");
    EXPECT_EQ((Tensor{{1, 2}, {3, 4}}).to_string(), "[[1. 2.]\n [3. 4.]]");
    EXPECT_EQ(Tensor({1e-5, 1.0}, float64).to_string(), "[1.e-05 1.e+00]");
}

TEST(Print, StreamOperatorWritesToString) {
    Tensor t = arange(6).reshape({2, 3});
    std::ostringstream os;
    os << "x = " << t << ";";
    EXPECT_EQ(os.str(), "x = [[0 1 2]\n [3 4 5]];");
}

TEST(Print, UndefinedTensor) {
    EXPECT_EQ(Tensor().to_string(), "<undefined Tensor>");
    std::ostringstream os;
    os << Tensor();
    EXPECT_EQ(os.str(), "<undefined Tensor>");
}

TEST(Print, SummaryKeepsThreeEdgeItemsPerAxis) {
    const std::string s = arange(1001).to_string();
    EXPECT_EQ(s, "[   0    1    2 ...  998  999 1000]");
    const std::string m = zeros({7, 1000}, int32).to_string();
    EXPECT_EQ(m, "[[0 0 0 ... 0 0 0]\n [0 0 0 ... 0 0 0]\n [0 0 0 ... 0 0 0]\n ...\n"
                 " [0 0 0 ... 0 0 0]\n [0 0 0 ... 0 0 0]\n [0 0 0 ... 0 0 0]]");
}

TEST(Print, BroadcastViewPrintsRepeatedValues) {
    // A zero-stride view reads the same element for every index.
    Tensor row = arange(3);
    Tensor b = Tensor::from_storage(row.storage(), int64, {2, 3}, {0, 1}, 0);
    EXPECT_EQ(b.to_string(), "[[0 1 2]\n [0 1 2]]");
}
