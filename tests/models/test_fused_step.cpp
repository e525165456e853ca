// The fused Dense-stack training step must train exactly like the tape step.
// A trailing Activation("linear") layer (the identity) sends a model down
// the tape path, so two models with the same weights, one on each path, are
// stepped side by side and compared.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "close_tensors.hpp"
#include "nabla/nabla.hpp"

namespace {

using namespace nabla;
using testing_fit::expect_close;
using testing_fit::expect_trains_alike;

struct Config {
    std::string name;
    std::vector<std::int64_t> hidden;
    const char* hidden_activation = "relu";
    bool sparse = false;
    bool from_logits = false;
    bool use_bias = true;
    const char* optimizer = "rmsprop";
};

models::Sequential make_model(const Config& c, bool tape_path) {
    models::Sequential m;
    std::int64_t in = 20;
    for (std::int64_t units : c.hidden) {
        m.add(layers::Dense(units, c.hidden_activation, {.input_shape = {in}, .use_bias = c.use_bias}));
        in = units;
    }
    m.add(layers::Dense(5, c.from_logits ? "linear" : "softmax", {.input_shape = {in}, .use_bias = c.use_bias}));
    if (tape_path) m.add(layers::Activation("linear"));
    m.compile(c.optimizer,
              c.sparse ? models::LossArg(std::make_shared<losses::SparseCategoricalCrossentropy>(c.from_logits))
                       : models::LossArg(std::make_shared<losses::CategoricalCrossentropy>(c.from_logits)),
              {"accuracy"});
    return m;
}

void PrintTo(const Config& c, std::ostream* os) { *os << c.name; }

class FusedStep : public ::testing::TestWithParam<Config> {};

TEST_P(FusedStep, TrainsLikeTheTape) {
    const Config c = GetParam();
    random::Generator gen(7);
    const Tensor x = random::normal({37, 20}, 0.0, 1.0, gen);
    const Tensor ids = random::randint(0, 5, {37}, gen);
    const Tensor y = c.sparse ? ids.astype(uint8) : utils::to_categorical(ids, 5);

    models::Sequential fused = make_model(c, false), tape = make_model(c, true);
    tape.set_weights(fused.get_weights());
    expect_trains_alike(fused, tape, x, y, 2e-5);
}

INSTANTIATE_TEST_SUITE_P(
    Configs, FusedStep,
    ::testing::Values(Config{"book", {32}}, Config{"sparse", {32}, "relu", true},
                      Config{"logits", {32}, "relu", false, true}, Config{"sparse_logits", {16}, "relu", true, true},
                      Config{"deep_tanh", {16, 12}, "tanh"}, Config{"sigmoid_nobias", {16}, "sigmoid", false, false, false},
                      Config{"no_hidden", {}}, Config{"adam", {32}, "relu", false, false, true, "adam"},
                      Config{"sgd_linear", {8}, "linear", true, false, true, "sgd"}),
    [](const auto& info) { return info.param.name; });

TEST(FusedStepErrors, BadLabelsStillGetTheTapesMessage) {
    models::Sequential m = make_model(Config{"book", {8}, "relu", true}, false);
    const Tensor x = zeros({4, 20});
    const Tensor y(std::vector<std::int64_t>{0, 1, 7, 2}, {4});
    try {
        m.train_on_batch(x, y);
        FAIL() << "no error for a label out of range";
    } catch (const ValueError& e) {
        EXPECT_NE(std::string(e.what()).find("out of range"), std::string::npos) << e.what();
    }
}

TEST(FusedStepErrors, NonFiniteLossLeavesWeightsAlone) {
    models::Sequential m = make_model(Config{"book", {8}}, false);
    const auto before = m.get_weights();
    Tensor x = zeros({4, 20});
    x.data<float>()[3] = NAN;
    const auto r = m.train_on_batch(x, utils::to_categorical(Tensor(std::vector<std::int64_t>{0, 1, 2, 3}, {4}), 5));
    EXPECT_TRUE(std::isnan(r.loss));
    const auto after = m.get_weights();
    for (std::size_t i = 0; i < before.size(); ++i) expect_close(after[i], before[i], 0, "weight");
}

}  // namespace
