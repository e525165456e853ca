// Sequential's structure: construction, building, forward pass, weights, summary.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "nabla/layers.hpp"
#include "nabla/models/sequential.hpp"
#include "nabla/ops/reduce.hpp"

using namespace nabla;
using ::testing::HasSubstr;

namespace {

models::Sequential book_model() {
    return models::Sequential({
        layers::Dense(512, "relu", {.input_shape = {28 * 28}}),
        layers::Dense(10, "softmax"),
    });
}

}  // namespace

TEST(Sequential, BookModelSummaryShows407050) {
    layers::clear_session();
    auto model = book_model();
    EXPECT_TRUE(model.built());
    EXPECT_EQ(model.count_params(), 407050);
    const std::string expected =
        "Model: \"sequential\"\n"
        "_________________________________________________________________\n"
        "Layer (type)                 Output Shape              Param #\n"
        "=================================================================\n"
        "dense (Dense)                (None, 512)               401920\n"
        "_________________________________________________________________\n"
        "dense_1 (Dense)              (None, 10)                5130\n"
        "=================================================================\n"
        "Total params: 407,050\n"
        "Trainable params: 407,050\n"
        "Non-trainable params: 0\n"
        "_________________________________________________________________\n";
    EXPECT_EQ(model.summary_string(), expected);
}

TEST(Sequential, SummaryCountsFrozenLayersAsNonTrainable) {
    auto model = book_model();
    model.layers()[1]->set_trainable(false);
    const std::string s = model.summary_string();
    EXPECT_THAT(s, HasSubstr("Trainable params: 401,920\n"));
    EXPECT_THAT(s, HasSubstr("Non-trainable params: 5,130\n"));
    EXPECT_EQ(model.trainable_weights().size(), 2u);
}

TEST(Sequential, BuildsOnFirstUseWithoutInputShape) {
    models::Sequential model({layers::Dense(512, "relu"), layers::Dense(10, "softmax")});
    EXPECT_FALSE(model.built());
    EXPECT_TRUE(model.weights().empty());
    EXPECT_THAT([&] { model.summary_string(); }, ::testing::ThrowsMessage<ValueError>(HasSubstr("not yet been built")));
    Tensor probs = model(random::uniform({4, 784}));
    EXPECT_TRUE(model.built());
    EXPECT_EQ(probs.shape(), (Shape{4, 10}));
    EXPECT_EQ(model.input_shape(), (Shape{-1, 784}));
    EXPECT_EQ(model.output_shape(), (Shape{-1, 10}));
    EXPECT_EQ(model.count_params(), 407050);
    const auto rows = sum(probs, 1).to_vector<float>();
    for (float r : rows) EXPECT_NEAR(r, 1.0f, 1e-5f);
}

TEST(Sequential, ExplicitBuildAndInputLayer) {
    models::Sequential a;
    a.add(layers::Dense(8, "relu"));
    a.add(layers::Dense(3));
    a.build({-1, 5});
    EXPECT_EQ(a.count_params(), 5 * 8 + 8 + 8 * 3 + 3);

    models::Sequential b({layers::Input({28, 28}), layers::Flatten(), layers::Dense(10)});
    EXPECT_TRUE(b.built());
    EXPECT_EQ(b.output_shape(), (Shape{-1, 10}));
    EXPECT_THAT(b.summary_string(), ::testing::Not(HasSubstr("InputLayer")));
    EXPECT_THAT(b.summary_string(), HasSubstr("(None, 784)"));
}

TEST(Sequential, AddToBuiltModelBuildsTheNewLayer) {
    auto model = book_model();
    model.add(layers::Dense(4));
    EXPECT_EQ(model.output_shape(), (Shape{-1, 4}));
    EXPECT_EQ(model.layers().back()->count_params(), 10 * 4 + 4);
    model.pop();
    EXPECT_EQ(model.output_shape(), (Shape{-1, 10}));
    EXPECT_THROW(models::Sequential().pop(), ValueError);
}

TEST(Sequential, AddingAnIncompatibleLayerLeavesTheModelUnchanged) {
    models::Sequential model({layers::Dense(3, "relu", {.input_shape = {4}})});
    EXPECT_THROW(model.add(layers::Input({7})), ShapeError);
    EXPECT_EQ(model.layers().size(), 1u);
}

TEST(Sequential, SharedLayerHandlesSeeTheModelWeights) {
    auto hidden = std::make_shared<layers::Dense>(6, "tanh");
    models::Sequential model({hidden, layers::Dense(2)});
    model.build({-1, 3});
    EXPECT_TRUE(hidden->built());
    EXPECT_EQ(model.get_layer(hidden->name()), hidden);
    EXPECT_EQ(model.get_layer(-1)->name(), model.layers()[1]->name());
    EXPECT_THROW(model.get_layer("nope"), ValueError);
    EXPECT_THROW(model.get_layer(5), IndexError);
}

TEST(Sequential, DuplicateNamesAreRefused) {
    models::Sequential model({layers::Dense(3, "relu", {.name = "a"})});
    EXPECT_THROW(model.add(layers::Dense(3, "relu", {.name = "a"})), ValueError);
}

TEST(Sequential, WrongInputShapeNamesTheLayer) {
    auto model = book_model();
    EXPECT_THAT([&] { model(zeros({128, 28, 28})); },
                ::testing::ThrowsMessage<ShapeError>(HasSubstr("add layers::Flatten() first")));
    EXPECT_THROW(models::Sequential()(zeros({1, 2})), ValueError);
}

TEST(Sequential, GetAndSetWeightsRoundTrip) {
    auto a = book_model();
    auto b = book_model();
    b.set_weights(a.get_weights());
    Tensor x = random::uniform({5, 784});
    EXPECT_EQ(a(x).to_vector<float>(), b(x).to_vector<float>());
    auto w = a.get_weights();
    ASSERT_EQ(w.size(), 4u);
    w[3] = zeros({11});
    EXPECT_THROW(b.set_weights(w), ShapeError);
    w.pop_back();
    EXPECT_THROW(b.set_weights(w), ValueError);
}

TEST(Sequential, SeedControlsInitialWeights) {
    auto make = [](std::uint64_t seed) {
        models::Sequential m({layers::Dense(16, "relu"), layers::Dense(4)});
        m.set_seed(seed);
        m.build({-1, 8});
        return m.get_weights();
    };
    auto w1 = make(5), w2 = make(5), w3 = make(6);
    for (std::size_t i = 0; i < w1.size(); i += 2) {
        EXPECT_EQ(w1[i].to_vector<float>(), w2[i].to_vector<float>());
        EXPECT_NE(w1[i].to_vector<float>(), w3[i].to_vector<float>());
    }
    // The global seed controls models constructed after it.
    random::seed(77);
    auto m1 = book_model();
    random::seed(77);
    auto m2 = book_model();
    EXPECT_EQ(m1.get_weights()[0].to_vector<float>(), m2.get_weights()[0].to_vector<float>());
}
