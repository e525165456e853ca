// a op= b writes into a: a result a's dtype cannot hold by NumPy's
// casting='same_kind' rule is a DTypeError, as NumPy's UFuncTypeError and
// PyTorch's "result type Float can't be cast to the desired output type".
#include <gtest/gtest.h>

#include <array>
#include <sstream>
#include <string>

#include "nabla/core/dtype.hpp"
#include "nabla/core/tensor.hpp"
#include "nabla/ops/elementwise.hpp"
#include "support/requirements.hpp"
#include "support/run_command.hpp"

using namespace nabla;

namespace {
constexpr std::array kDTypes{bool_, uint8, int32, int64, float32, float64};

bool refused(const auto& op) {
    try {
        op();
        return false;
    } catch (const DTypeError&) {
        return true;
    }
}
}  // namespace

TEST(CompoundCasting, IntegerDividedInPlaceIsRefusedWithBothDtypes) {
    Tensor i = Tensor{3, 8};
    try {
        i /= 2;
        FAIL() << "int64 /= 2 was accepted";
    } catch (const DTypeError& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("divide (/=)"), std::string::npos) << what;
        EXPECT_NE(what.find("float64 to int64"), std::string::npos) << what;
    }
    EXPECT_EQ(i.to_vector<std::int64_t>(), (std::vector<std::int64_t>{3, 8}));  // nothing was written
    Tensor u = zeros({2}, uint8);
    EXPECT_THROW(u += ones({2}, int32), DTypeError);
    EXPECT_THROW(i += 1.5, DTypeError);
    Tensor f = zeros({2}, float32);
    f += ones({2}, float64);  // same kind: float64 -> float32 is allowed
    EXPECT_EQ(f.dtype(), float32);
    i += ones({2}, int32);
    EXPECT_EQ(i.to_vector<std::int64_t>(), (std::vector<std::int64_t>{4, 9}));
}

// Every pair of dtypes, += and /=, against what NumPy does for a += b.
TEST(CompoundCasting, RefusesExactlyWhatNumPyRefuses) {
    const std::string python = NABLA_PYTHON;
    if (test::run_command(python + " -c 'import numpy'").status != 0)
        NABLA_SKIP_OR_FAIL("NumPy not importable by " << python);
    const auto [rc, numpy] = test::run_command(
        python +
        " -c 'import numpy as np\n"
        "ts = [np.bool_, np.uint8, np.int32, np.int64, np.float32, np.float64]\n"
        "for op in (np.add, np.true_divide):\n"
        "    for a in ts:\n"
        "        for b in ts:\n"
        "            x = np.ones(2, a)\n"
        "            try:\n"
        "                op(x, np.ones(2, b), out=x); print(0, end=\"\")\n"
        "            except TypeError:\n"
        "                print(1, end=\"\")\n"
        "    print()'");
    ASSERT_EQ(rc, 0) << numpy;
    std::ostringstream ours;
    for (int op = 0; op < 2; ++op) {
        for (DType a : kDTypes) {
            for (DType b : kDTypes) {
                Tensor x = ones({2}, a);
                const Tensor y = ones({2}, b);
                ours << (op == 0 ? refused([&] { x += y; }) : refused([&] { x /= y; }));
            }
        }
        ours << "\n";
    }
    EXPECT_EQ(ours.str(), numpy) << "rows: +=, /=; a's dtype major, b's minor, order bool uint8 int32 int64 "
                                    "float32 float64; 1 = refused";
}
