// Tensors from C++ numbers and lists of them take PyTorch's dtypes:
// Tensor(12) and Tensor{12, 3, 6} are int64, Tensor(0.5) float32,
// Tensor(true) bool; Variable(0.) is a 0-d float32 variable (issue 13, item 17).
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "nabla/autodiff/variable.hpp"
#include "nabla/core/tensor.hpp"
#include "nabla/ops/elementwise.hpp"
#include "support/requirements.hpp"
#include "support/run_command.hpp"

using namespace nabla;

TEST(TensorFromNumbers, ScalarsTakePyTorchsDtypes) {
    // np.array(12) / torch.tensor(12): a 0-d int64 (the book's first tensor).
    EXPECT_EQ(Tensor(12).dtype(), int64);
    EXPECT_EQ(Tensor(12).ndim(), 0);
    EXPECT_EQ(Tensor(12).item<std::int64_t>(), 12);
    EXPECT_EQ(Tensor::scalar(12).dtype(), int64);
    EXPECT_EQ(Tensor::scalar(12).ndim(), 0);
    EXPECT_EQ(Tensor(std::int64_t{-3}).dtype(), int64);
    EXPECT_EQ(Tensor(7u).dtype(), int64);
    EXPECT_EQ(Tensor(true).dtype(), bool_);
    EXPECT_EQ(Tensor::scalar(false).dtype(), bool_);
    EXPECT_EQ(Tensor(0.5).dtype(), float32);  // torch.tensor(0.5): the default float
    EXPECT_EQ(Tensor(0.5f).dtype(), float32);
    EXPECT_EQ(Tensor::scalar(0.5).dtype(), float32);
    EXPECT_EQ(Tensor(0.5).item(), 0.5);
}

TEST(TensorFromNumbers, ExplicitDtypesStillWin) {
    EXPECT_EQ(Tensor(12, float64).dtype(), float64);
    EXPECT_EQ(Tensor::scalar(12, int64).dtype(), int64);
    EXPECT_EQ(Tensor::scalar(1, float32).dtype(), float32);
    EXPECT_EQ(Tensor::scalar(2.5, float64).item(), 2.5);
    EXPECT_EQ(Tensor({1, 2}, float32).dtype(), float32);
    EXPECT_EQ(Tensor({1, 2}, float64).dtype(), float64);
    EXPECT_EQ(Tensor({1.5, 2.5}, float64).dtype(), float64);
    EXPECT_EQ(Tensor({{1, 2}, {3, 4}}, uint8).dtype(), uint8);
    EXPECT_EQ(Tensor({0, 3}, bool_).to_vector<int>(), (std::vector<int>{0, 1}));
}

TEST(TensorFromNumbers, IntegerListsAreInt64) {
    Tensor v{12, 3, 6, 14, 7};
    EXPECT_EQ(v.dtype(), int64);
    EXPECT_EQ(v.shape(), (Shape{5}));
    Tensor m{{5, 78, 2, 34, 0}, {6, 79, 3, 35, 1}, {7, 80, 4, 36, 2}};
    EXPECT_EQ(m.dtype(), int64);
    EXPECT_EQ(m.shape(), (Shape{3, 5}));
    EXPECT_EQ(m.at<std::int64_t>({2, 1}), 80);
    Tensor c{{{1, 2}, {3, 4}}, {{5, 6}, {7, 8}}};
    EXPECT_EQ(c.dtype(), int64);
    EXPECT_EQ(c.shape(), (Shape{2, 2, 2}));
    EXPECT_EQ(c.at<std::int64_t>({1, 0, 1}), 6);
    EXPECT_EQ((Tensor{true, false}).dtype(), bool_);
    Tensor one{12};  // a list of one: 1-d, unlike Tensor(12)
    EXPECT_EQ(one.shape(), (Shape{1}));
    EXPECT_EQ(one.dtype(), int64);
    Tensor column{{1}, {2}};  // one-element inner lists of integers are not ambiguous
    EXPECT_EQ(column.shape(), (Shape{2, 1}));
    EXPECT_EQ(column.dtype(), int64);
    Tensor copy_init = {1, 2};
    EXPECT_EQ(copy_init.dtype(), int64);
}

TEST(TensorFromNumbers, FloatingAndMixedListsAreFloat32) {
    EXPECT_EQ((Tensor{1.5, 2.}).dtype(), float32);
    EXPECT_EQ((Tensor{1.f, 2.f}).dtype(), float32);
    EXPECT_EQ((Tensor{{1., 2.}, {3., 4.}}).dtype(), float32);
    Tensor mixed{1, 2.5};  // torch.tensor([1, 2.5]) is float32
    EXPECT_EQ(mixed.dtype(), float32);
    EXPECT_EQ(mixed.to_vector<double>(), (std::vector<double>{1.0, 2.5}));
    EXPECT_EQ((Tensor{{1, 2}, {3, 4.5}}).dtype(), float32);
}

TEST(TensorFromNumbers, IntegersAreExactAndRangeChecked) {
    // Beyond 2^53 a trip through double would round 2^53 + 1 to 2^53.
    const std::int64_t big = (std::int64_t{1} << 53) + 1;
    EXPECT_EQ(Tensor(big).item<std::int64_t>(), big);
    EXPECT_EQ((Tensor{big, -big}).to_vector<std::int64_t>(), (std::vector<std::int64_t>{big, -big}));
    EXPECT_EQ(Tensor::scalar(INT64_MAX).item<std::int64_t>(), INT64_MAX);
    // NumPy 2: np.array([300], dtype=np.uint8) is OverflowError.
    EXPECT_THROW(Tensor({300}, uint8), OverflowError);
    EXPECT_THROW(Tensor(-1, uint8), OverflowError);
    EXPECT_THROW(Tensor::scalar(std::int64_t{1} << 40, int32), OverflowError);
    EXPECT_THROW(Tensor(18446744073709551615ull), OverflowError);  // does not fit int64
    EXPECT_EQ(Tensor({255, 0}, uint8).to_vector<int>(), (std::vector<int>{255, 0}));
    try {
        Tensor({1, 300}, uint8);
        FAIL() << "no exception";
    } catch (const OverflowError& e) {
        EXPECT_NE(std::string(e.what()).find("300 is out of bounds for uint8"), std::string::npos) << e.what();
    }
}

TEST(TensorFromNumbers, RaggedListsAreShapeErrors) {
    EXPECT_THROW((Tensor{{1, 2}, {3}}), ShapeError);
    EXPECT_THROW((Tensor{{1., 2.}, {3.}}), ShapeError);
    EXPECT_THROW((Tensor{{{1, 2}}, {{3}}}), ShapeError);
    EXPECT_THROW((Tensor{{{1, 2}}, {{3, 4}, {5, 6}}}), ShapeError);
}

TEST(TensorFromNumbers, VariableFromANumber) {
    Variable v(0.);
    EXPECT_EQ(v.dtype(), float32);
    EXPECT_EQ(v.shape(), Shape{});
    EXPECT_TRUE(v.value().is_variable());
    Variable counter(3, "step", false);  // an integer: int64, not trainable
    EXPECT_EQ(counter.dtype(), int64);
    EXPECT_THROW(Variable(3), DTypeError);  // a trainable variable must be floating
}

TEST(TensorFromNumbers, BinaryFunctionsTakeNumbers) {
    // np.maximum(z, 0.) as the book writes relu, and the same with an integer.
    Tensor z{-1.5f, 0.f, 2.f};
    EXPECT_EQ(maximum(z, 0.).to_vector<float>(), (std::vector<float>{0.f, 0.f, 2.f}));
    EXPECT_EQ(maximum(z, 0.).dtype(), float32);
    EXPECT_EQ(maximum(z, 0).dtype(), float32);
    EXPECT_EQ(minimum(1, z).to_vector<float>(), (std::vector<float>{-1.5f, 0.f, 1.f}));
}

// The same literals through torch.tensor, whose dtypes nabla follows.
TEST(TensorFromNumbers, AgreesWithPyTorch) {
    const std::string python = NABLA_PYTHON;
    using test::run_command;
    if (run_command(python + " -c 'import torch'").status != 0) NABLA_SKIP_OR_FAIL("PyTorch not importable by " << python);
    const auto [rc, out] = run_command(
        python +
        " -c 'import torch\n"
        "for v in (12, 12., True, [12, 3, 6], [[1, 2], [3, 4]], [[[1, 2]], [[3, 4]]], [1.5, 2.], [1, 2.5], "
        "[True, False]):\n"
        "    t = torch.tensor(v); print(str(t.dtype).replace(\"torch.\", \"\"), tuple(t.shape))'");
    ASSERT_EQ(rc, 0) << out;
    std::ostringstream ours;
    for (const Tensor& t : {Tensor(12), Tensor(12.), Tensor(true), Tensor{12, 3, 6}, Tensor{{1, 2}, {3, 4}},
                            Tensor{{{1, 2}}, {{3, 4}}}, Tensor{1.5, 2.}, Tensor{1, 2.5}, Tensor{true, false}}) {
        std::string shape = to_string(t.shape());
        ours << name(t.dtype()) << " " << shape << "\n";
    }
    EXPECT_EQ(ours.str(), out);
}
