// Tensor printing against NumPy's str(): the expected strings in
// print_cases.inc were produced by numpy 1.24 (tests/core/print_cases.py).
#include <gtest/gtest.h>

#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "nabla/core/tensor.hpp"
#include "nabla/io/file.hpp"
#include "nabla/io/npy.hpp"
#include "support/temp_dir.hpp"

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
#include "support/requirements.hpp"
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
    EXPECT_EQ((Tensor{{1., 2.}, {3., 4.}}).to_string(), "[[1. 2.]\n [3. 4.]]");
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

// Randomised differential test: NumPy draws arrays from many regimes (every
// dtype, magnitudes 1e-12..1e12, NaN/inf, rounding edges, summarised sizes),
// stores them in an .npz with str() of each, and nabla must print the same.
TEST(Print, MatchesNumpyOnRandomArrays) {
    if (std::system(NABLA_PYTHON " -c 'import numpy' >/dev/null 2>&1") != 0)
        NABLA_SKIP_OR_FAIL(NABLA_PYTHON " with numpy not found");
    nabla::test::TempDir dir;
    std::ofstream(dir / "gen.py") << R"PY(
import sys, os
import numpy as np
d = sys.argv[1]
rng = np.random.default_rng(20240611)
def values(n, dtype):
    if dtype == 'bool':
        return rng.random(n) < 0.5
    if dtype in ('uint8', 'int32', 'int64'):
        hi = {'uint8': 255, 'int32': 2**31 - 1, 'int64': 2**63 - 1}[dtype]
        mag = min(hi, 10 ** int(rng.integers(1, 19)))
        lo = 0 if dtype == 'uint8' else -mag
        return rng.integers(lo, mag, n, endpoint=True).astype(dtype)
    kind = rng.integers(0, 6)
    if kind == 0:
        x = rng.normal(size=n) * 10.0 ** rng.integers(-12, 13)
    elif kind == 1:
        x = rng.integers(-1000, 1000, n).astype(float) / 10 ** rng.integers(0, 4)
    elif kind == 2:
        x = np.round(rng.random(n) * 10 ** rng.integers(0, 8), int(rng.integers(0, 10)))
    elif kind == 3:
        x = rng.random(n) * 10.0 ** rng.integers(-5, 9, n)
    elif kind == 4:
        x = rng.choice([0.0, -0.0, 1.0, 0.5, 1e-4, 9.99999999e-5, 1e8, 99999999.99, 0.1, 1 / 3], n)
    else:
        x = rng.normal(size=n)
    x = x.astype(dtype)
    if rng.random() < 0.2:
        x[rng.integers(0, n, max(1, n // 5))] = rng.choice([np.nan, np.inf, -np.inf])
    return x
arrays, texts = {}, []
for i in range(400):
    dtype = rng.choice(['bool', 'uint8', 'int32', 'int64', 'float32', 'float64', 'float64'])
    if rng.random() < 0.08:
        shape = [(1200,), (40, 30), (11, 10, 12), (2, 600)][rng.integers(0, 4)]
    else:
        shape = tuple(int(s) for s in rng.integers(1, 9, rng.integers(0, 5)))
    a = values(int(np.prod(shape)), str(dtype)).reshape(shape)
    arrays['a%d' % i] = a
    texts.append(str(a))
np.savez(os.path.join(d, 'arrays.npz'), **arrays)
with open(os.path.join(d, 'expected.txt'), 'w') as f:
    f.write('\0'.join(texts))
)PY";
    const std::string cmd = std::string(NABLA_PYTHON) + " " + (dir / "gen.py").string() + " " +
                            dir.path().string();
    ASSERT_EQ(std::system(cmd.c_str()), 0);
    const auto arrays = io::load_npz(dir / "arrays.npz");
    const auto bytes = io::read_file(dir / "expected.txt");
    const std::string all(bytes.begin(), bytes.end());
    std::vector<std::string> expected;
    for (std::size_t start = 0;;) {
        const std::size_t end = all.find('\0', start);
        expected.push_back(all.substr(start, end - start));
        if (end == std::string::npos) break;
        start = end + 1;
    }
    ASSERT_EQ(expected.size(), 400u);
    int mismatches = 0;
    for (std::size_t i = 0; i < expected.size(); ++i) {
        std::string key = "a";  // not "a" + to_string(i): GCC 12 -Wrestrict false positive
        key += std::to_string(i);
        const Tensor& t = arrays.at(key);
        const std::string got = t.to_string();
        if (got != expected[i] && ++mismatches <= 5)
            ADD_FAILURE() << key << " (" << name(t.dtype()) << " " << to_string(t.shape())
                          << ")\nnabla:\n" << got << "\nnumpy:\n" << expected[i];
    }
    EXPECT_EQ(mismatches, 0);
}
