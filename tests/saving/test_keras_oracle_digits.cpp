// (The SavingOracle tests in test_keras_oracle.cpp drive the same scripts on the
// committed digits; these train on the MNIST test set and cover every optimizer.)
// nabla -> Keras, with real Keras as the oracle.
//
// nabla trains on real MNIST digits, saves .keras and .weights.h5, and
// tests/saving/keras_check_load.py (keras 3.15.1 on its numpy backend, in the
// pinned .venv-oracle of scripts/install_deps.sh) loads both: predict within
// 1e-6 of nabla's, evaluate equal, the same layer names and parameter counts,
// the optimizer with nabla's iteration count, and no "Skipping variable
// loading for optimizer" warning. The Resume tests go further:
// tests/saving/keras_resume_check.py (Keras on JAX, which trains) continues
// from nabla's checkpoint and must land on the weights nabla reached with the
// same steps: nabla's optimizer state is the one Keras trains on.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "nabla/data/datasets.hpp"
#include "nabla/io/npy.hpp"
#include "nabla/layers.hpp"
#include "nabla/models/sequential.hpp"
#include "nabla/ops/elementwise.hpp"
#include "nabla/saving/saving.hpp"
#include "nabla/training/optimizers.hpp"
#include "support/requirements.hpp"
#include "support/run_command.hpp"
#include "support/temp_dir.hpp"

using namespace nabla;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const fs::path kMnist = fs::path(NABLA_SHARED_DATA_DIR) / "mnist";
const fs::path kScripts = fs::path(NABLA_SOURCE_DIR) / "tests" / "saving";
constexpr std::int64_t kTrain = 1024, kCheck = 256, kBatch = 64, kResumeSteps = 3;

using test::CommandResult;

// Skips (by hand) or fails (NABLA_REQUIRE_ALL) without the oracle or the
// digits. A venv that exists but cannot import keras fails in the script.
#define REQUIRE_ORACLE()                                                                        \
    do {                                                                                        \
        if (!fs::exists(NABLA_ORACLE_PYTHON))                                                   \
            NABLA_SKIP_OR_FAIL(NABLA_ORACLE_PYTHON " not found (the Keras oracle venv)");       \
        if (!fs::exists(kMnist / "t10k-images-idx3-ubyte.gz"))                                  \
            NABLA_SKIP_OR_FAIL("the MNIST test set is not in " + kMnist.string());              \
    } while (0)

// Images 0..kTrain train; the next kCheck are predicted and evaluated; the
// next kResumeSteps * kBatch are the steps after the checkpoint.
struct Digits {
    Tensor x, y;  // (10000, 784) float32 in [0, 1], (10000,) int64
};
const Digits& digits() {
    static const Digits d = [] {
        auto [images, labels] = datasets::mnist::load_subset(datasets::Subset::test, kMnist);
        return Digits{images.reshape({images.shape(0), 28 * 28}).astype(float32) / 255, labels.astype(int64)};
    }();
    return d;
}
Tensor rows(const Tensor& t, std::int64_t from, std::int64_t count) { return t(Slice(from, from + count)); }

struct Case {
    std::string label;
    std::function<std::shared_ptr<optimizers::Optimizer>()> optimizer;
    json keras_optimizer;  // the same optimizer in Keras's terms
    bool layers_model = false;
};
// ctest lists the case by its label, not as bytes.
void PrintTo(const Case& c, std::ostream* os) { *os << c.label; }

// The book's kind of MLP, small; or every layer kind nabla has, with names.
models::Sequential make_model(const Case& c, json& layer_specs) {
    if (!c.layers_model) {
        layer_specs = json::array({{{"class_name", "Dense"}, {"units", 16}, {"activation", "relu"}},
                                   {{"class_name", "Dense"}, {"units", 10}, {"activation", "softmax"}}});
        return models::Sequential({layers::Dense(16, "relu"), layers::Dense(10, "softmax")});
    }
    layer_specs = json::array({{{"class_name", "Flatten"}},
                               {{"class_name", "Dense"}, {"units", 16}, {"activation", "relu"}},
                               {{"class_name", "Dropout"}, {"rate", 0.25}},
                               {{"class_name", "Dense"}, {"units", 10}, {"use_bias", false}},
                               {{"class_name", "Activation"}, {"activation", "softmax"}}});
    return models::Sequential({layers::Flatten({.name = "flatten_in"}),
                               layers::Dense(16, "relu", {.name = "hidden"}), layers::Dropout(0.25, {.name = "drop"}),
                               layers::Dense(10, "linear", {.use_bias = false, .name = "logits"}),
                               layers::Activation("softmax", "probs")},
                              "digits_net");
}

// The model's input: (n, 784) or, for the layers model, (n, 28, 28).
Tensor input(const Case& c, const Tensor& x) { return c.layers_model ? x.reshape({x.shape(0), 28, 28}) : x; }

models::Sequential trained(const Case& c, json& layer_specs) {
    // Built after set_seed, so the initial weights do not depend on what ran
    // before in this process.
    auto model = make_model(c, layer_specs);
    model.set_seed(20261201);
    model.build(c.layers_model ? Shape{-1, 28, 28} : Shape{-1, 784});
    model.compile(c.optimizer(), "sparse_categorical_crossentropy", {"accuracy"});
    const auto& d = digits();
    model.fit(input(c, rows(d.x, 0, kTrain)), rows(d.y, 0, kTrain),
              {.epochs = 2, .batch_size = kBatch, .verbose = 0, .shuffle = false});
    for (std::size_t i = 0; i < model.layers().size(); ++i) {
        layer_specs[i]["name"] = model.layers()[i]->name();
        layer_specs[i]["params"] = model.layers()[i]->count_params();
    }
    return model;
}

void write_json(const fs::path& path, const json& j) { std::ofstream(path) << j.dump(2) << "\n"; }

std::string python(const char* script, const fs::path& spec) {
    return std::string(NABLA_ORACLE_PYTHON) + " " + (kScripts / script).string() + " " + spec.string();
}

class KerasOracleLoad : public ::testing::TestWithParam<Case> {};
class KerasOracleResume : public ::testing::TestWithParam<Case> {};

}  // namespace

// Keras loads nabla's .keras and .weights.h5 and agrees with nabla.
TEST_P(KerasOracleLoad, KerasLoadsNablasFilesAndAgrees) {
    REQUIRE_ORACLE();
    const Case& c = GetParam();
    test::TempDir dir;
    json layer_specs;
    auto model = trained(c, layer_specs);
    model.save((dir / "model.keras").string());
    model.save_weights((dir / "model.weights.h5").string());

    const auto& d = digits();
    const Tensor x = input(c, rows(d.x, kTrain, kCheck)), y = rows(d.y, kTrain, kCheck);
    const Tensor predictions = model.predict(x, {.batch_size = kCheck});
    const auto evaluation = model.evaluate(x, y, {.batch_size = kCheck, .verbose = 0});
    io::save_npz(dir / "data.npz", {{"x", x}, {"y", y}, {"predictions", predictions}});
    const json spec = {{"keras", (dir / "model.keras").string()},
                       {"weights", (dir / "model.weights.h5").string()},
                       {"npz", (dir / "data.npz").string()},
                       {"loss", evaluation.loss},
                       {"accuracy", evaluation["accuracy"]},
                       {"batch_size", kCheck},
                       {"iterations", model.optimizer()->iterations()},
                       {"input_shape", c.layers_model ? json::array({28, 28}) : json::array({784})},
                       {"layers", layer_specs},
                       {"optimizer", c.keras_optimizer},
                       {"loss_name", "sparse_categorical_crossentropy"},
                       {"metrics", json::array({"accuracy"})}};
    write_json(dir / "spec.json", spec);
    const CommandResult r = test::run_command(python("keras_check_load.py", dir / "spec.json"));
    EXPECT_EQ(r.status, 0) << r.output;
    EXPECT_NE(r.output.find("all checks passed"), std::string::npos) << r.output;
    std::cout << r.output;
}

// Keras on JAX continues from nabla's checkpoint, exactly as nabla does.
TEST_P(KerasOracleResume, KerasResumesTrainingFromNablasCheckpoint) {
    const Case& c = GetParam();
    REQUIRE_ORACLE();
    test::TempDir dir;
    json layer_specs;
    auto model = trained(c, layer_specs);
    model.save((dir / "ckpt.keras").string());
    const std::int64_t saved_at = model.optimizer()->iterations();

    const auto& d = digits();
    const std::int64_t first = kTrain + kCheck;
    for (std::int64_t s = 0; s < kResumeSteps; ++s)
        model.train_on_batch(rows(d.x, first + s * kBatch, kBatch), rows(d.y, first + s * kBatch, kBatch));
    std::map<std::string, Tensor> arrays = {
        {"x_steps", rows(d.x, first, kResumeSteps * kBatch).reshape({kResumeSteps, kBatch, 784})},
        {"y_steps", rows(d.y, first, kResumeSteps * kBatch).reshape({kResumeSteps, kBatch})}};
    const auto weights = model.get_weights();
    for (std::size_t i = 0; i < weights.size(); ++i) arrays["w" + std::to_string(i)] = weights[i];
    io::save_npz(dir / "steps.npz", arrays);
    write_json(dir / "spec.json", {{"keras", (dir / "ckpt.keras").string()},
                                   {"iterations", saved_at},
                                   {"npz", (dir / "steps.npz").string()}});
    const CommandResult r = test::run_command(python("keras_resume_check.py", dir / "spec.json"));
    EXPECT_EQ(r.status, 0) << r.output;
    EXPECT_NE(r.output.find("all checks passed"), std::string::npos) << r.output;
    std::cout << r.output;
}

namespace {
template <class O, class Options>
std::function<std::shared_ptr<optimizers::Optimizer>()> make(Options options) {
    return [options] { return std::make_shared<O>(options); };
}
json keras(const char* name, json config) { return {{"class_name", name}, {"config", std::move(config)}}; }

// Adam runs at its default 0.001: at 0.01 its m / sqrt(v) magnifies the
// float32 rounding of tiny gradients (rarely lit border pixels) so much that
// the two libraries' weights after 3 steps differ by 2-25e-7 depending on the
// seed, near the 1e-6 bound; at 0.001, by at most 3e-8 (seeds 1-6 measured).
// Centered RMSprop runs at 0.005 for the same margin on predict.
std::vector<Case> optimizer_cases() {
    return {
        Case{"RMSprop", make<optimizers::RMSprop>(optimizers::RMSpropOptions{.learning_rate = 0.01}),
             keras("RMSprop", {{"learning_rate", 0.01}})},
        Case{"RMSpropCenteredMomentum",
             make<optimizers::RMSprop>(
                 optimizers::RMSpropOptions{.learning_rate = 0.005, .momentum = 0.5, .centered = true}),
             keras("RMSprop", {{"learning_rate", 0.005}, {"momentum", 0.5}, {"centered", true}})},
        Case{"Adam", make<optimizers::Adam>(optimizers::AdamOptions{.learning_rate = 0.001}),
             keras("Adam", {{"learning_rate", 0.001}})},
        Case{"AdamAmsgrad", make<optimizers::Adam>(optimizers::AdamOptions{.learning_rate = 0.001, .amsgrad = true}),
             keras("Adam", {{"learning_rate", 0.001}, {"amsgrad", true}})},
        Case{"SGDMomentum", make<optimizers::SGD>(optimizers::SGDOptions{.learning_rate = 0.05, .momentum = 0.9}),
             keras("SGD", {{"learning_rate", 0.05}, {"momentum", 0.9}})},
        Case{"SGDNesterov",
             make<optimizers::SGD>(
                 optimizers::SGDOptions{.learning_rate = 0.05, .momentum = 0.9, .nesterov = true}),
             keras("SGD", {{"learning_rate", 0.05}, {"momentum", 0.9}, {"nesterov", true}})},
        Case{"Adagrad", make<optimizers::Adagrad>(optimizers::AdagradOptions{.learning_rate = 0.1}),
             keras("Adagrad", {{"learning_rate", 0.1}})},
    };
}
std::vector<Case> load_cases() {
    auto cases = optimizer_cases();
    cases.push_back(Case{"NamedLayersFlattenDropoutNoBias",
                         make<optimizers::RMSprop>(optimizers::RMSpropOptions{.learning_rate = 0.01}),
                         keras("RMSprop", {{"learning_rate", 0.01}}), true});
    return cases;
}
std::string case_name(const ::testing::TestParamInfo<Case>& info) { return info.param.label; }
}  // namespace

INSTANTIATE_TEST_SUITE_P(Optimizers, KerasOracleLoad, ::testing::ValuesIn(load_cases()), case_name);
// Not the layers model: Dropout draws different masks in Keras and nabla.
INSTANTIATE_TEST_SUITE_P(Optimizers, KerasOracleResume, ::testing::ValuesIn(optimizer_cases()), case_name);
