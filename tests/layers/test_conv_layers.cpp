// The image layers: Keras's shapes, parameter counts and summary lines,
// shape errors, BatchNormalization's training/inference behaviour and
// moving-average rule, Reshape's -1.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "nabla/nabla.hpp"

using namespace nabla;
using ::testing::HasSubstr;

namespace {

models::Sequential book_convnet() {
    return models::Sequential({layers::Input({28, 28, 1}), layers::Conv2D(32, 3, "relu"), layers::MaxPooling2D(2),
                               layers::Conv2D(64, 3, "relu"), layers::MaxPooling2D(2), layers::Conv2D(128, 3, "relu"),
                               layers::Flatten(), layers::Dense(10, "softmax")});
}

TEST(ConvLayers, SummaryShowsKerasShapesAndCounts) {
    layers::clear_session();
    models::Sequential m = book_convnet();
    const std::string s = m.summary_string();
    // The book's listing 8.1 output (Keras 3 layer names).
    EXPECT_THAT(s, HasSubstr("conv2d (Conv2D)"));
    EXPECT_THAT(s, HasSubstr("(None, 26, 26, 32)"));
    EXPECT_THAT(s, HasSubstr("max_pooling2d (MaxPooling2D)"));
    EXPECT_THAT(s, HasSubstr("(None, 13, 13, 32)"));
    EXPECT_THAT(s, HasSubstr("(None, 11, 11, 64)"));
    EXPECT_THAT(s, HasSubstr("(None, 5, 5, 64)"));
    EXPECT_THAT(s, HasSubstr("(None, 3, 3, 128)"));
    EXPECT_THAT(s, HasSubstr("(None, 1152)"));
    EXPECT_THAT(s, HasSubstr("Total params: 104,202"));
    const auto& ls = m.layers();
    EXPECT_EQ(ls[1]->count_params(), 320);
    EXPECT_EQ(ls[3]->count_params(), 18496);
    EXPECT_EQ(ls[5]->count_params(), 73856);
    EXPECT_EQ(ls[7]->count_params(), 11530);
}

TEST(ConvLayers, ShapeErrorSaysHowToReshape) {
    models::Sequential m({layers::Conv2D(32, 3, "relu"), layers::Flatten(), layers::Dense(10, "softmax")});
    try {
        m.predict(zeros({128, 784}));
        FAIL();
    } catch (const ShapeError& e) {
        EXPECT_THAT(e.what(), HasSubstr("expects (batch, height, width, channels); got (128, 784)"));
        EXPECT_THAT(e.what(), HasSubstr("reshape to (128, 28, 28, 1)"));
    }
    layers::Conv2D c(8, 3);
    c(zeros({1, 5, 5, 2}));
    EXPECT_THROW(c(zeros({1, 5, 5, 3})), ShapeError);
    EXPECT_THROW(layers::Conv2D(8, 7)(zeros({1, 5, 5, 2})), ShapeError);
    EXPECT_THROW(layers::MaxPooling2D(2)(zeros({4, 10})), ShapeError);
    EXPECT_THROW(layers::Conv2D(0, 3), ValueError);
    EXPECT_THROW(layers::Conv2D(4, 3, {.padding = "full"}), ValueError);
    EXPECT_THROW(layers::Conv2D(4, 3, "swish"), ValueError);
}

TEST(ConvLayers, OptionsAndOutputShapes) {
    EXPECT_EQ(layers::Conv2D(4, {3, 2}, {.strides = 2, .padding = "same"}).compute_output_shape({-1, 7, 7, 1}),
              (Shape{-1, 4, 4, 4}));
    EXPECT_EQ(layers::Conv2D(4, 3, {.dilation_rate = 2}).compute_output_shape({-1, 9, 9, 1}), (Shape{-1, 5, 5, 4}));
    layers::MaxPooling2D p(3);
    EXPECT_EQ(p.strides(), ops::Size2(3));  // strides default to the pool size
    EXPECT_EQ(p.compute_output_shape({-1, 10, 10, 2}), (Shape{-1, 3, 3, 2}));
    EXPECT_EQ(layers::AveragePooling2D(2, {.strides = 1, .padding = "same"}).compute_output_shape({-1, 5, 5, 2}),
              (Shape{-1, 5, 5, 2}));
    EXPECT_EQ(layers::GlobalAveragePooling2D().compute_output_shape({-1, 5, 5, 7}), (Shape{-1, 7}));
    const Tensor x = arange(0.0, 8.0).reshape({1, 2, 2, 2});
    EXPECT_EQ(layers::GlobalAveragePooling2D()(x).to_vector<double>(), (std::vector<double>{3, 4}));
    layers::Conv2D nb(3, 1, {.use_bias = false});
    nb(zeros({1, 2, 2, 2}));
    EXPECT_EQ(nb.weights().size(), 1u);
    EXPECT_EQ(nb.kernel().shape(), (Shape{1, 1, 2, 3}));
}

TEST(ConvLayers, ReshapeInfersMinusOne) {
    layers::Reshape r({-1, 4});
    EXPECT_EQ(r.compute_output_shape({-1, 2, 6}), (Shape{-1, 3, 4}));
    EXPECT_EQ(r(zeros({5, 12})).shape(), (Shape{5, 3, 4}));
    EXPECT_EQ(layers::Reshape({28, 28, 1})(zeros({2, 784})).shape(), (Shape{2, 28, 28, 1}));
    EXPECT_THROW(layers::Reshape({5, 5})(zeros({2, 784})), ShapeError);
    EXPECT_THROW(layers::Reshape({-1, 5})(zeros({2, 12})), ShapeError);
    EXPECT_THROW(layers::Reshape({-1, -1}), ValueError);
}

TEST(ConvLayers, BatchNormalizationTrainsWithBatchStatisticsAndInfersWithMovingOnes) {
    layers::BatchNormalization bn({.momentum = 0.9});
    random::Generator g(7);
    const Tensor x = random::normal({6, 3, 3, 2}, 2.0, 3.0, g, float32);
    bn(x);  // inference builds: moving statistics stay 0 and 1
    ASSERT_EQ(bn.weights().size(), 4u);
    EXPECT_EQ(bn.trainable_weights().size(), 2u);
    EXPECT_EQ(bn.non_trainable_weights().size(), 2u);
    EXPECT_TRUE(allclose(bn.moving_mean().value(), zeros({2})));
    const Tensor y = bn(x, /*training=*/true);
    // Normalised with the batch's statistics.
    EXPECT_TRUE(allclose(mean(y, {0, 1, 2}), zeros({2}), 1e-5, 1e-5));
    // Keras's rule: moving = moving * momentum + batch * (1 - momentum).
    const Tensor bm = mean(x, {0, 1, 2}), bv = mean(square(x - bm), {0, 1, 2});
    EXPECT_TRUE(allclose(bn.moving_mean().value(), bm * 0.1f, 1e-5, 1e-6));
    EXPECT_TRUE(allclose(bn.moving_variance().value(), bv * 0.1f + 0.9f, 1e-5, 1e-6));
    // Inference: the stored moving statistics, by hand.
    const Tensor inf = bn(x);
    const std::vector<double> xs = x.to_vector<double>(), got = inf.to_vector<double>();
    const std::vector<double> mm = bn.moving_mean().value().to_vector<double>(),
                              mv = bn.moving_variance().value().to_vector<double>();
    for (std::size_t i = 0; i < xs.size(); ++i) {
        const std::size_t c = i % 2;
        EXPECT_NEAR(got[i], (xs[i] - mm[c]) / std::sqrt(mv[c] + 1e-3), 1e-5) << i;
    }
    // A frozen layer runs in inference mode, even in training.
    bn.set_trainable(false);
    EXPECT_TRUE(allclose(bn(x, true), inf));
    EXPECT_THROW(layers::BatchNormalization({.axis = 1}), ValueError);
}

}  // namespace
