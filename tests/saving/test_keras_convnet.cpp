// Keras -> nabla for the image layers: a convnet with BatchNormalization
// written by real Keras 3.15.1 after real training
// (tests/saving/make_keras_convnet_fixture.py). nabla loads the .keras and
// the .weights.h5, predicts what Keras predicted, and round-trips both
// formats.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "nabla/nabla.hpp"
#include "support/temp_dir.hpp"

namespace nabla {
namespace {

const std::string kDir = std::string(NABLA_SOURCE_DIR) + "/tests/saving/fixtures/";

double max_abs_diff(const Tensor& a, const Tensor& b) {
    EXPECT_EQ(a.shape(), b.shape());
    const std::vector<double> x = a.to_vector<double>(), y = b.to_vector<double>();
    double m = 0;
    for (std::size_t i = 0; i < x.size() && i < y.size(); ++i) m = std::max(m, std::abs(x[i] - y[i]));
    return m;
}

models::Sequential keras_convnet() {
    return models::Sequential({layers::Input({784}), layers::Reshape({28, 28, 1}), layers::Conv2D(4, 3, "relu"),
                               layers::BatchNormalization(), layers::MaxPooling2D(2),
                               layers::Conv2D(6, 3, {.strides = 2, .padding = "same", .activation = "relu"}),
                               layers::AveragePooling2D(2, {.padding = "same"}), layers::Flatten(),
                               layers::Dense(10, "softmax")});
}

TEST(SavingConvnet, LoadsKerasFilePredictsAsKeras) {
    const auto e = io::load_npz(kDir + "convnet.expected.npz");
    const auto digits = io::load_npz(kDir + "digits.npz");
    models::Sequential m = models::load_model(kDir + "convnet.keras");
    ASSERT_EQ(m.layers().size(), 9u);
    EXPECT_EQ(m.layers()[2]->class_name(), "Conv2D");
    EXPECT_EQ(m.layers()[3]->class_name(), "BatchNormalization");
    EXPECT_LE(max_abs_diff(m.predict(digits.at("x_pred")), e.at("predictions")), 1e-5);
    const auto ev = m.evaluate(digits.at("x_pred"), digits.at("y_pred"), {.batch_size = 32, .verbose = 0});
    EXPECT_NEAR(ev.loss, e.at("eval_loss").item<double>(), 1e-5);
    EXPECT_NEAR(ev["accuracy"], e.at("eval_accuracy").item<double>(), 1e-9);
    // gamma, beta, moving_mean, moving_variance in Keras's order; the
    // moving statistics are non-trainable.
    const auto bn = m.layers()[3]->get_weights();
    ASSERT_EQ(bn.size(), 4u);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(max_abs_diff(bn[i], e.at("bn" + std::to_string(i))), 0.0) << i;
    EXPECT_EQ(m.layers()[3]->trainable_weights().size(), 2u);
    EXPECT_EQ(m.layers()[3]->non_trainable_weights().size(), 2u);
    const std::string s = m.summary_string();
    EXPECT_NE(s.find("(None, 26, 26, 4)"), std::string::npos) << s;
    EXPECT_NE(s.find("Non-trainable params: 8"), std::string::npos) << s;
}

TEST(SavingConvnet, WeightsH5LoadsIntoTheSameArchitecture) {
    const auto e = io::load_npz(kDir + "convnet.expected.npz");
    const auto digits = io::load_npz(kDir + "digits.npz");
    models::Sequential m = keras_convnet();
    m.load_weights(kDir + "convnet.weights.h5");
    EXPECT_LE(max_abs_diff(m.predict(digits.at("x_pred")), e.at("predictions")), 1e-5);
}

TEST(SavingConvnet, RoundTripsThroughKerasAndWeightsH5) {
    const auto digits = io::load_npz(kDir + "digits.npz");
    models::Sequential m = models::load_model(kDir + "convnet.keras");
    m.fit(digits.at("x_next"), digits.at("y_next"), {.epochs = 1, .batch_size = 32, .verbose = 0});
    const Tensor before = m.predict(digits.at("x_pred"));
    test::TempDir dir;
    m.save((dir / "c.keras").string());
    m.save_weights((dir / "c.weights.h5").string());
    models::Sequential again = models::load_model((dir / "c.keras").string());
    EXPECT_EQ(max_abs_diff(again.predict(digits.at("x_pred")), before), 0.0);
    models::Sequential fresh = keras_convnet();
    fresh.load_weights((dir / "c.weights.h5").string());
    EXPECT_EQ(max_abs_diff(fresh.predict(digits.at("x_pred")), before), 0.0);
    // The config carries every option.
    const auto* conv = dynamic_cast<const layers::Conv2D*>(again.layers()[5].get());
    ASSERT_NE(conv, nullptr);
    EXPECT_EQ(conv->strides(), ops::Size2(2));
    EXPECT_EQ(conv->padding(), ops::Padding::Same);
    EXPECT_EQ(conv->activation(), ops::Activation::ReLU);
    const auto* pool = dynamic_cast<const layers::AveragePooling2D*>(again.layers()[6].get());
    ASSERT_NE(pool, nullptr);
    EXPECT_EQ(pool->padding(), ops::Padding::Same);
}

}  // namespace
}  // namespace nabla
