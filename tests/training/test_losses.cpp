#include <gtest/gtest.h>

#include "nabla/autodiff/gradient_tape.hpp"
#include "nabla/ops/elementwise.hpp"
#include "nabla/ops/nn.hpp"
#include "nabla/training/losses.hpp"

using namespace nabla;

// Reference numbers: tests/training/reference/losses_metrics.py (Keras's
// formulas in NumPy, torch where the libraries agree).
namespace {

const Tensor kOneHot({{0, 1, 0, 0}, {1, 0, 0, 0}, {0, 0, 0, 1}}, float64);
const Tensor kLabels({1, 0, 3}, int64);
const Tensor kProbs({{0.2, 0.5, 0.2, 0.1}, {0.7, 0.1, 0.1, 0.1}, {0.3, 0.3, 0.3, 0.1}}, float64);
const Tensor kLogits({{1.0, 2.0, -1.0, 0.5}, {3.0, -2.0, 0.0, 1.0}, {0.1, 0.2, 0.3, -4.0}}, float64);

}  // namespace

TEST(Losses, CategoricalCrossentropyFromProbabilitiesRenormalises) {
    // Rows scaled by 2, 0.5, 3: Keras divides by the row sum first.
    const Tensor unnorm = kProbs * Tensor(std::vector<double>{2.0, 0.5, 3.0}, {3, 1});
    const losses::CategoricalCrossentropy loss;
    const Tensor per = loss.per_sample(kOneHot, unnorm);
    EXPECT_EQ(per.shape(), (Shape{3}));
    EXPECT_NEAR(per.at({0}), 0.6931471805599451, 1e-12);
    EXPECT_NEAR(per.at({2}), 2.3025850929940455, 1e-12);
    const Tensor v = loss.call(kOneHot, unnorm);
    EXPECT_EQ(v.ndim(), 0);
    EXPECT_NEAR(v.item(), 1.1174690724975742, 1e-12);
    EXPECT_NEAR(loss(kOneHot, unnorm).item(), 1.1174690724975742, 1e-12);
}

TEST(Losses, FromLogitsMatchesTorch) {
    EXPECT_NEAR(losses::CategoricalCrossentropy(true).call(kOneHot, kLogits).item(), 1.9925365485719355, 1e-12);
    EXPECT_NEAR(losses::SparseCategoricalCrossentropy(true).call(kLabels, kLogits).item(), 1.9925365485719355, 1e-12);
    const Tensor bt({{1, 0}, {0, 0}, {1, 1}}, float64);
    const Tensor bl({{2.0, -1.0}, {0.5, -3.0}, {0.0, 4.0}}, float64);
    EXPECT_NEAR(losses::BinaryCrossentropy(true).call(bt, bl).item(), 0.36235852379879985, 1e-12);
    EXPECT_TRUE(losses::BinaryCrossentropy(true).from_logits());
    EXPECT_FALSE(losses::BinaryCrossentropy().from_logits());
}

TEST(Losses, BinaryCrossentropyClipsProbabilities) {
    const Tensor bt({{1, 0}, {0, 0}, {1, 1}}, float64);
    const Tensor bp({{0.9, 0.2}, {0.4, 0.0}, {0.6, 1.0}}, float64);
    EXPECT_NEAR(losses::BinaryCrossentropy().call(bt, bp).item(), 0.22502591908400457, 1e-12);
}

TEST(Losses, MeanSquaredError) {
    const Tensor t({{1.0, 2.0}, {3.0, 4.0}}), p({{1.5, 1.0}, {2.0, 6.0}});
    const Tensor v = losses::MeanSquaredError().call(t, p);
    EXPECT_EQ(v.dtype(), float32);
    EXPECT_FLOAT_EQ(v.item<float>(), 1.5625f);
}

TEST(Losses, SampleWeightsDivideByTheBatchSize) {
    // Keras's sum_over_batch_size: sum(w * l) / 3, not / sum(w).
    const losses::SparseCategoricalCrossentropy loss;
    EXPECT_NEAR(loss.call(kLabels, kProbs, Tensor({1.0, 0.0, 2.0}, float64)).item(), 1.7661057888493454, 1e-12);
    EXPECT_NEAR(loss.call(kLabels, kProbs, Tensor(std::vector<double>{1.0, 0.0, 2.0}, {3, 1})).item(), 1.7661057888493454, 1e-12);
    EXPECT_NEAR(loss.call(kLabels, kProbs, Tensor()).item(), loss.call(kLabels, kProbs).item(), 1e-15);
    EXPECT_THROW(loss.call(kLabels, kProbs, Tensor({1.0, 2.0}, float64)), ShapeError);
    EXPECT_THROW(loss.call(kLabels, kProbs, Tensor({{1.0, 2.0, 3.0}}, float64)), ShapeError);
}

TEST(Losses, AreDifferentiable) {
    // d mean(CCE(logits)) / d logits = (softmax(logits) - onehot) / batch.
    const Tensor x = kLogits.copy();
    GradientTape tape;
    tape.watch(x);
    const Tensor l = losses::CategoricalCrossentropy(true).call(kOneHot, x);
    const Tensor g = tape.gradient(l, x);
    const Tensor want = (softmax(kLogits) - kOneHot) / 3.0;
    const auto gv = g.to_vector<double>(), wv = want.to_vector<double>();
    for (std::size_t i = 0; i < gv.size(); ++i) EXPECT_NEAR(gv[i], wv[i], 1e-12) << i;
}

TEST(Losses, GetByKerasName) {
    EXPECT_EQ(losses::get("categorical_crossentropy")->name(), "categorical_crossentropy");
    EXPECT_EQ(losses::get("sparse_categorical_crossentropy")->name(), "sparse_categorical_crossentropy");
    EXPECT_EQ(losses::get("SparseCategoricalCrossentropy")->name(), "sparse_categorical_crossentropy");
    EXPECT_EQ(losses::get("binary_crossentropy")->name(), "binary_crossentropy");
    EXPECT_EQ(losses::get("mse")->name(), "mean_squared_error");
    EXPECT_EQ(losses::get("mean_squared_error")->name(), "mean_squared_error");
    // From names, probabilities are expected (from_logits = false).
    EXPECT_NEAR(losses::get("categorical_crossentropy")->call(kOneHot, kProbs).item(),
                losses::CategoricalCrossentropy().call(kOneHot, kProbs).item(), 1e-15);
    try {
        losses::get("hinge");
        FAIL() << "expected ValueError";
    } catch (const ValueError& e) {
        const std::string m = e.what();
        EXPECT_NE(m.find("'hinge'"), std::string::npos) << m;
        EXPECT_NE(m.find("'sparse_categorical_crossentropy'"), std::string::npos) << m;
        EXPECT_NE(m.find("'mse'"), std::string::npos) << m;
    }
}

TEST(Losses, ErrorsFromTheOpsPropagate) {
    EXPECT_THROW(losses::SparseCategoricalCrossentropy().call(Tensor({1, 0, 4}, int64), kProbs), ValueError);
    EXPECT_THROW(losses::CategoricalCrossentropy().call(kOneHot, kProbs(Slice(0, 2))), ShapeError);
}
