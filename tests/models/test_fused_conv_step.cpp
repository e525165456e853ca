// The fused step of layer stacks with convolutions and pooling must train
// exactly like the tape step (float rounding apart). As in
// test_fused_step.cpp, a trailing Activation("linear") layer sends a model
// down the tape path; two models with the same weights, one on each path,
// are stepped side by side and compared.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>

#include "close_tensors.hpp"
#include "nabla/nabla.hpp"
#include "ops/conv_kernels.hpp"
#include "ops/conv_pool.hpp"

namespace {

using namespace nabla;
using testing_fit::expect_trains_alike;

struct Config {
    std::string name;
    Shape input;  // without the batch axis
    std::function<std::vector<layers::LayerHandle>()> hidden;  // fresh layers on each call
    const char* output_activation = "softmax";
    bool sparse = true;
    int threads = 1;
    bool conv_pool = false;  // the first convolution and its pooling run fused (ops/conv_pool.hpp)
};

Shape batch_of(const Shape& sample) {
    Shape s{-1};
    s.insert(s.end(), sample.begin(), sample.end());
    return s;
}

models::Sequential make_model(const Config& c, bool tape_path) {
    models::Sequential m;
    m.add(layers::Input(c.input));
    for (auto& l : c.hidden()) m.add(l);
    m.add(layers::Dense(5, c.output_activation));
    if (tape_path) m.add(layers::Activation("linear"));
    const bool logits = std::string(c.output_activation) == "linear";
    m.compile("rmsprop",
              c.sparse ? models::LossArg(std::make_shared<losses::SparseCategoricalCrossentropy>(logits))
                       : models::LossArg(std::make_shared<losses::CategoricalCrossentropy>(logits)),
              {"accuracy"});
    return m;
}

void PrintTo(const Config& c, std::ostream* os) { *os << c.name; }

class FusedConvStep : public ::testing::TestWithParam<Config> {};

TEST_P(FusedConvStep, TrainsLikeTheTape) {
    const Config c = GetParam();
    const int saved_threads = get_num_threads();
    set_num_threads(c.threads);
    random::Generator gen(11);
    Shape xs = batch_of(c.input);
    xs[0] = 37;
    const Tensor x = random::normal(xs, 0.0, 1.0, gen);
    const Tensor ids = random::randint(0, 5, {37}, gen);
    const Tensor y = c.sparse ? ids.astype(uint8) : utils::to_categorical(ids, 5);

    models::Sequential fused = make_model(c, false), tape = make_model(c, true);
    tape.set_weights(fused.get_weights());
    std::int64_t tape_runs = 0, fused_runs = 0;
    // The fused step calls the kernels itself, never the tape's conv2d gradient.
    expect_trains_alike(fused, tape, x, y, 5e-5, [&](int step, bool after) {
        if (!after) {
            tape_runs = detail::conv::backward_data_runs();
            fused_runs = detail::conv::conv_pool_runs();
            return;
        }
        EXPECT_EQ(detail::conv::backward_data_runs(), tape_runs) << "step " << step << " went down the tape";
        EXPECT_EQ(detail::conv::conv_pool_runs(), fused_runs + (c.conv_pool ? 1 : 0)) << "step " << step;
    });
    set_num_threads(saved_threads);
}

std::vector<layers::LayerHandle> book_like() {
    return {layers::Conv2D(4, 3, "relu"), layers::MaxPooling2D(2), layers::Conv2D(6, 2, "relu"),
            layers::Flatten()};
}

std::vector<layers::LayerHandle> strided_same_average() {
    return {layers::Conv2D(4, 3, {.strides = 2, .padding = "same", .activation = "relu", .use_bias = false}),
            layers::AveragePooling2D(2, {.padding = "same"}), layers::Conv2D(3, 2, "tanh"),
            layers::Flatten(), layers::Dense(6, "relu")};
}

std::vector<layers::LayerHandle> reshaped_dilated() {
    return {layers::Reshape({6, 6, 1}), layers::Conv2D(3, 2, {.dilation_rate = 2, .activation = "relu"}),
            layers::Conv2D(2, 1, "sigmoid"), layers::Flatten()};
}

// A first convolution of 16 or 32 filters under a max pooling: fused.
std::vector<layers::LayerHandle> fused_first_layer() {
    return {layers::Conv2D(16, 3, "relu"), layers::MaxPooling2D(2), layers::Conv2D(4, 3, "relu"),
            layers::Flatten()};
}

std::vector<layers::LayerHandle> fused_linear_same() {
    return {layers::Conv2D(32, 3, {.padding = "same"}), layers::MaxPooling2D(3), layers::Flatten()};
}

std::vector<layers::LayerHandle> pooling_first() {
    return {layers::MaxPooling2D(2, {.strides = 1}), layers::Conv2D(4, 2, "relu"),
            layers::MaxPooling2D({2, 3}), layers::Flatten()};
}

INSTANTIATE_TEST_SUITE_P(
    Configs, FusedConvStep,
    ::testing::Values(Config{"book_like", {8, 8, 2}, book_like},
                      Config{"book_like_two_threads", {8, 8, 2}, book_like, "softmax", true, 2},
                      Config{"strided_same_average_one_hot", {9, 9, 1}, strided_same_average, "softmax", false},
                      Config{"reshaped_dilated_logits", {36}, reshaped_dilated, "linear"},
                      Config{"pooling_first_two_threads", {8, 9, 3}, pooling_first, "softmax", false, 2},
                      Config{"fused_first_layer", {12, 12, 1}, fused_first_layer, "softmax", true, 1, true},
                      Config{"fused_linear_same_one_hot_two_threads", {9, 9, 2}, fused_linear_same, "softmax", false,
                             2, true}),
    [](const auto& info) { return info.param.name; });

// Layers the fused step does not do (Dropout, BatchNormalization) keep the
// model on the tape, which still trains it.
TEST(FusedConvStep, DropoutAndBatchNormalizationStayOnTheTape) {
    models::Sequential m({layers::Input({6, 6, 1}), layers::Conv2D(3, 3, "relu"), layers::BatchNormalization(),
                          layers::Conv2D(2, 2, "relu"), layers::Flatten(), layers::Dropout(0.5), layers::Dense(5, "softmax")});
    m.compile("rmsprop", "sparse_categorical_crossentropy");
    random::Generator gen(3);
    const Tensor x = random::normal({8, 6, 6, 1}, 0.0, 1.0, gen);
    const Tensor y = random::randint(0, 5, {8}, gen).astype(uint8);
    const std::int64_t runs = detail::conv::backward_data_runs();
    const auto before = m.get_weights()[0].to_vector<float>();
    const auto r = m.train_on_batch(x, y);
    EXPECT_TRUE(std::isfinite(r.loss));
    EXPECT_NE(m.get_weights()[0].to_vector<float>(), before);
    // The tape ran the second convolution's input gradient (the fused step never counts one).
    EXPECT_EQ(detail::conv::backward_data_runs(), runs + 1);
}

}  // namespace
