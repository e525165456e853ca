// Keras -> nabla: files written by real Keras after real training
// (tests/saving/fixtures, made by make_keras_fixtures.py). nabla predicts
// what Keras predicted, and one more train_on_batch lands on the weights
// Keras had after its next step: the optimizer state really resumes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "saving_fixtures.hpp"

namespace nabla {
namespace {

const std::string kDir = std::string(NABLA_SOURCE_DIR) + "/tests/saving/fixtures/";

double max_abs_diff(const Tensor& a, const Tensor& b) {
    EXPECT_EQ(a.shape(), b.shape());
    const Tensor ca = a.astype(float64), cb = b.astype(float64);
    double m = 0;
    for (std::int64_t i = 0; i < ca.size(); ++i) m = std::max(m, std::abs(ca.data<double>()[i] - cb.data<double>()[i]));
    return m;
}

double max_abs(const Tensor& a) {
    const Tensor c = a.astype(float64);
    double m = 0;
    for (std::int64_t i = 0; i < c.size(); ++i) m = std::max(m, std::abs(c.data<double>()[i]));
    return m;
}

struct Digits {
    std::map<std::string, Tensor> d = io::load_npz(kDir + "digits.npz");
};

void expect_predicts(models::Sequential& m, const std::map<std::string, Tensor>& expected, const Tensor& x) {
    EXPECT_LE(max_abs_diff(m.predict(x), expected.at("predictions")), 1e-6);
}

void expect_next_step(models::Sequential& m, const std::map<std::string, Tensor>& e, const Digits& digits) {
    m.train_on_batch(digits.d.at("x_next"), digits.d.at("y_next"));
    const auto w = m.get_weights();
    ASSERT_EQ(w.size(), 4u);
    double largest = 0;
    for (int i = 0; i < 4; ++i) largest = std::max(largest, max_abs(e.at("next_w" + std::to_string(i))));
    for (int i = 0; i < 4; ++i)
        EXPECT_LE(max_abs_diff(w[i], e.at("next_w" + std::to_string(i))), 1e-6 * largest) << "weight " << i;
}

class KerasOptimizerFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(KerasOptimizerFixture, PredictsAndTrainsOnAsKeras) {
    const Digits digits;
    const auto e = io::load_npz(kDir + GetParam() + ".expected.npz");
    models::Sequential m = models::load_model(kDir + GetParam() + ".keras");
    ASSERT_TRUE(m.compiled());
    EXPECT_EQ(m.optimizer()->iterations(), e.at("iterations").item<std::int64_t>());
    expect_predicts(m, e, digits.d.at("x_pred"));
    const auto ev = m.evaluate(digits.d.at("x_pred"), digits.d.at("y_pred"), {.batch_size = 32, .verbose = 0});
    EXPECT_NEAR(ev.loss, e.at("eval_loss").item<double>(), 1e-6);
    EXPECT_NEAR(ev["accuracy"], e.at("eval_accuracy").item<double>(), 1e-9);
    expect_next_step(m, e, digits);
}

INSTANTIATE_TEST_SUITE_P(SavingFixtures, KerasOptimizerFixture,
                         ::testing::Values("rmsprop", "rmsprop_centered", "adam", "adam_amsgrad", "sgd_momentum",
                                           "sgd_nesterov", "adagrad"));

models::Sequential mlp(const std::string& first = "", const std::string& second = "") {
    return models::Sequential({layers::Dense(8, "relu", {.input_shape = {784}, .name = first}),
                               layers::Dense(10, "softmax", {.name = second})});
}

TEST(SavingFixtures, WeightsH5RestoresOptimizerIntoACompiledModel) {
    const Digits digits;
    const auto e = io::load_npz(kDir + "rmsprop.expected.npz");
    models::Sequential m = mlp();
    m.compile(optimizers::RMSprop({.learning_rate = 0.01}), "sparse_categorical_crossentropy", {"accuracy"});
    m.load_weights(kDir + "rmsprop.weights.h5");
    EXPECT_EQ(m.optimizer()->iterations(), 20);
    expect_predicts(m, e, digits.d.at("x_pred"));
    expect_next_step(m, e, digits);
}

TEST(SavingFixtures, LayersModelWithNamesAndNoBias) {
    const Digits digits;
    const auto e = io::load_npz(kDir + "layers.expected.npz");
    models::Sequential m = models::load_model(kDir + "layers.keras");
    EXPECT_EQ(m.name(), "digits_net");
    EXPECT_NO_THROW(m.get_layer("hidden"));
    EXPECT_NO_THROW(m.get_layer("logits"));
    const Tensor x = digits.d.at("x_pred").reshape({32, 28, 28});
    expect_predicts(m, e, x);
    EXPECT_FALSE(models::load_model(kDir + "layers.keras", {.compile = false}).compiled());
    models::Sequential w = models::model_from_json(m.to_json());  // fresh initial weights
    w.load_weights(kDir + "layers.weights.h5");
    expect_predicts(w, e, x);
}

class LegacyFixture : public ::testing::TestWithParam<std::pair<std::string, std::string>> {};

TEST_P(LegacyFixture, LoadsWeightsByLayerOrder) {
    const Digits digits;
    const auto [file, expected] = GetParam();
    const auto e = io::load_npz(kDir + expected + ".expected.npz");
    models::Sequential m = mlp("a", "b");  // other names: legacy files load by order
    m.load_weights(kDir + file);
    expect_predicts(m, e, digits.d.at("x_pred"));
}

INSTANTIATE_TEST_SUITE_P(SavingFixtures, LegacyFixture,
                         ::testing::Values(std::pair<std::string, std::string>{"k2_model.h5", "k2"},
                                           std::pair<std::string, std::string>{"k2_weights.h5", "k2"},
                                           std::pair<std::string, std::string>{"k2_weights_fixed_strings.h5", "k2"},
                                           std::pair<std::string, std::string>{"k2_weights_chunked.h5", "k2"},
                                           std::pair<std::string, std::string>{"k3_legacy_rmsprop.h5", "rmsprop"}));

TEST(SavingFixtures, LegacyLayerCountMismatchIsAnError) {
    models::Sequential m({layers::Dense(8, "relu", {.input_shape = {784}}), layers::Dense(10, "relu"),
                          layers::Dense(10, "softmax")});
    const auto before = m.get_weights();
    EXPECT_THROW(m.load_weights(kDir + "k2_weights.h5"), ValueError);
    const auto after = m.get_weights();
    for (std::size_t i = 0; i < before.size(); ++i) EXPECT_TRUE(testing_saving::same_bits(before[i], after[i]));
}

}  // namespace
}  // namespace nabla
