// The book's custom training step (§2.5 / ch. 7) written literally:
// tape.gradient(loss, model.trainable_weights()) and
// optimizer.apply_gradients(zip(grads, model.trainable_weights)) (issue 13
// item 18 a, b).
#include <gtest/gtest.h>

#include <vector>

#include "nabla/autodiff.hpp"
#include "nabla/layers.hpp"
#include "nabla/models/sequential.hpp"
#include "nabla/ops/elementwise.hpp"
#include "nabla/ops/nn.hpp"
#include "nabla/ops/reduce.hpp"
#include "nabla/training/optimizers.hpp"

using namespace nabla;

namespace {
models::Sequential small_model() {
    models::Sequential model({layers::Dense(5, "relu"), layers::Dense(3, "softmax")});
    model.set_seed(7);
    model.build({-1, 4});
    return model;
}

const Tensor kX{{0.5, -1.0, 2.0, 0.1}, {1.5, 0.2, -0.3, 0.7}};
const Tensor kY({2, 0}, int64);

Tensor loss_of(models::Sequential& model) {
    return mean(sparse_categorical_crossentropy(kY, model(kX, true)));
}
}  // namespace

TEST(BookTrainingLoop, GradientTakesModelWeights) {
    auto model = small_model();
    GradientTape tape(/*persistent=*/true);
    Tensor loss = loss_of(model);
    // The book: tape.gradient(loss, model.weights) with a std::vector<Variable>.
    std::vector<Tensor> grads = tape.gradient(loss, model.trainable_weights());
    const std::vector<Variable> weights = model.trainable_weights();
    ASSERT_EQ(grads.size(), weights.size());
    std::vector<Tensor> as_tensors(weights.begin(), weights.end());
    const std::vector<Tensor> want = tape.gradient(loss, as_tensors);
    for (std::size_t i = 0; i < grads.size(); ++i) {
        EXPECT_EQ(grads[i].shape(), weights[i].shape());
        EXPECT_TRUE(array_equal(grads[i], want[i])) << weights[i].name();
        EXPECT_TRUE(any(not_equal(grads[i], 0.0)).item<bool>()) << weights[i].name();
    }
    // A braced list of Variables still picks the Tensor list.
    const Variable &k = weights[0], &b = weights[1];
    const std::vector<Tensor> braced = tape.gradient(loss, {k, b});
    EXPECT_TRUE(array_equal(braced[0], want[0]));
    EXPECT_TRUE(array_equal(braced[1], want[1]));
}

TEST(BookTrainingLoop, ApplyGradientsReachesTheModelsWeights) {
    auto model = small_model();
    optimizers::SGD sgd({.learning_rate = 0.5});
    const std::vector<Tensor> before = model.get_weights();
    std::vector<Tensor> grads;
    {
        GradientTape tape;
        grads = tape.gradient(loss_of(model), model.trainable_weights());
    }
    sgd.apply_gradients(grads, model.trainable_weights());  // the book's zip
    const std::vector<Tensor> after = model.get_weights();
    ASSERT_EQ(after.size(), grads.size());
    for (std::size_t i = 0; i < after.size(); ++i)
        EXPECT_TRUE(allclose(after[i], before[i] - 0.5 * grads[i], 1e-6, 1e-7)) << i;
    EXPECT_EQ(sgd.iterations(), 1);
}

TEST(BookTrainingLoop, ApplyGradientsListsMatchPairsIncludingSlots) {
    // Adam's moments are keyed by the variable: two steps through the list
    // overload (fresh handle copies each call) equal two steps through pairs.
    auto a = small_model(), b = small_model();
    optimizers::Adam adam_a({.learning_rate = 0.01}), adam_b({.learning_rate = 0.01});
    for (int step = 0; step < 2; ++step) {
        std::vector<Tensor> ga, gb;
        {
            GradientTape tape;
            ga = tape.gradient(loss_of(a), a.trainable_weights());
        }
        {
            GradientTape tape;
            gb = tape.gradient(loss_of(b), b.trainable_weights());
        }
        adam_a.apply_gradients(ga, a.trainable_weights());
        std::vector<Variable> wb = b.trainable_weights();
        std::vector<optimizers::GradientAndVariable> pairs;
        for (std::size_t i = 0; i < wb.size(); ++i) pairs.push_back({gb[i], &wb[i]});
        adam_b.apply_gradients(pairs);
    }
    const auto wa = a.get_weights(), wb = b.get_weights();
    for (std::size_t i = 0; i < wa.size(); ++i) EXPECT_TRUE(array_equal(wa[i], wb[i])) << i;
}

TEST(BookTrainingLoop, ApplyGradientsRefusesMismatchedLists) {
    auto model = small_model();
    optimizers::SGD sgd;
    const std::vector<Tensor> one{zeros({4, 5})};
    EXPECT_THROW(sgd.apply_gradients(one, model.trainable_weights()), ValueError);
    EXPECT_EQ(sgd.iterations(), 0);
}
