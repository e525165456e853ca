// nabla's optimizers against Keras's, from the same state, with no file
// format involved: nabla trains an MLP on real digits, then its weights and
// every optimizer slot go to an .npz with the next batches and the weights
// nabla reaches after one train_on_batch on each.
// tests/training/keras_optimizer_oracle.py (keras 3.15.1 on JAX, in the pinned
// .venv-oracle of scripts/install_deps.sh) puts the same state into a Keras
// model by hand (slot by slot, by Keras's variable paths, so a slot nabla
// lacks or has in excess fails), takes the same steps and must end within
// 1e-6 of the largest weight's magnitude of nabla's weights.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "nabla/data/datasets.hpp"
#include "nabla/io/npy.hpp"
#include "nabla/layers.hpp"
#include "nabla/models/sequential.hpp"
#include "nabla/ops/elementwise.hpp"
#include "nabla/training/optimizers.hpp"
#include "support/requirements.hpp"
#include "support/temp_dir.hpp"

using namespace nabla;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const fs::path kMnist = fs::path(NABLA_SHARED_DATA_DIR) / "mnist";
constexpr std::int64_t kTrain = 1024, kBatch = 64, kSteps = 3;
using MakeOptimizer = std::function<std::shared_ptr<optimizers::Optimizer>()>;

template <class O, class Options>
MakeOptimizer make(Options options) {
    return [options] { return std::make_shared<O>(options); };
}
json keras(const char* name, json config) { return {{"class_name", name}, {"config", std::move(config)}}; }

// Trains 2 epochs, records the state, takes kSteps more steps, records those.
std::map<std::string, Tensor> nabla_state(const Tensor& x, const Tensor& y, const MakeOptimizer& optimizer) {
    auto rows = [](const Tensor& t, std::int64_t from, std::int64_t n) { return t(Slice(from, from + n)); };
    models::Sequential model({layers::Dense(16, "relu"), layers::Dense(10, "softmax")});
    model.set_seed(20261201);  // before build: the same initial weights whatever ran before
    model.build({-1, 784});
    model.compile(optimizer(), "sparse_categorical_crossentropy", {"accuracy"});
    model.fit(rows(x, 0, kTrain), rows(y, 0, kTrain), {.epochs = 2, .batch_size = kBatch, .verbose = 0, .shuffle = false});
    std::map<std::string, Tensor> a;
    const auto weights = model.weights();
    auto* opt = model.optimizer();
    for (std::size_t i = 0; i < weights.size(); ++i) {
        a["w" + std::to_string(i)] = weights[i].value().copy();
        for (const auto& slot : opt->slot_names())
            a["s" + std::to_string(i) + "_" + slot] = opt->slot(weights[i], slot).copy();
    }
    a["iterations"] = Tensor::scalar(static_cast<double>(opt->iterations()), int64);
    a["x_steps"] = rows(x, kTrain, kSteps * kBatch).reshape({kSteps, kBatch, 784});
    a["y_steps"] = rows(y, kTrain, kSteps * kBatch).reshape({kSteps, kBatch});
    for (std::int64_t s = 0; s < kSteps; ++s)
        model.train_on_batch(rows(x, kTrain + s * kBatch, kBatch), rows(y, kTrain + s * kBatch, kBatch));
    const auto after = model.get_weights();
    for (std::size_t i = 0; i < after.size(); ++i) a["after_w" + std::to_string(i)] = after[i];
    return a;
}

}  // namespace

TEST(KerasOptimizerOracle, EveryOptimizerStepsAsKerasFromTheSameState) {
    if (!fs::exists(NABLA_ORACLE_PYTHON)) NABLA_SKIP_OR_FAIL(NABLA_ORACLE_PYTHON " not found (the Keras oracle venv)");
    if (!fs::exists(kMnist / "t10k-images-idx3-ubyte.gz")) NABLA_SKIP_OR_FAIL("the MNIST test set is not in " + kMnist.string());
    auto [images, labels] = datasets::mnist::load_subset(datasets::Subset::test, kMnist);
    const Tensor x = images.reshape({images.shape(0), 784}).astype(float32) / 255, y = labels.astype(int64);

    const std::map<std::string, std::pair<MakeOptimizer, json>> cases = {
        {"RMSprop", {make<optimizers::RMSprop>(optimizers::RMSpropOptions{.learning_rate = 0.01}),
                     keras("RMSprop", {{"learning_rate", 0.01}})}},
        {"RMSpropCenteredMomentum",
         {make<optimizers::RMSprop>(optimizers::RMSpropOptions{.learning_rate = 0.01, .momentum = 0.5, .centered = true}),
          keras("RMSprop", {{"learning_rate", 0.01}, {"momentum", 0.5}, {"centered", true}})}},
        {"Adam", {make<optimizers::Adam>(optimizers::AdamOptions{.learning_rate = 0.001}),
                  keras("Adam", {{"learning_rate", 0.001}})}},
        {"AdamAmsgrad", {make<optimizers::Adam>(optimizers::AdamOptions{.learning_rate = 0.001, .amsgrad = true}),
                         keras("Adam", {{"learning_rate", 0.001}, {"amsgrad", true}})}},
        {"SGD", {make<optimizers::SGD>(optimizers::SGDOptions{.learning_rate = 0.05}),
                 keras("SGD", {{"learning_rate", 0.05}})}},
        {"SGDMomentum", {make<optimizers::SGD>(optimizers::SGDOptions{.learning_rate = 0.05, .momentum = 0.9}),
                         keras("SGD", {{"learning_rate", 0.05}, {"momentum", 0.9}})}},
        {"SGDNesterov",
         {make<optimizers::SGD>(optimizers::SGDOptions{.learning_rate = 0.05, .momentum = 0.9, .nesterov = true}),
          keras("SGD", {{"learning_rate", 0.05}, {"momentum", 0.9}, {"nesterov", true}})}},
        {"Adagrad", {make<optimizers::Adagrad>(optimizers::AdagradOptions{.learning_rate = 0.1}),
                     keras("Adagrad", {{"learning_rate", 0.1}})}},
    };
    test::TempDir dir;
    for (const auto& [name, c] : cases) {
        io::save_npz(dir / (name + ".npz"), nabla_state(x, y, c.first));
        std::ofstream(dir / (name + ".json")) << json{{"optimizer", c.second}, {"npz", (dir / (name + ".npz")).string()}}.dump();
    }
    const std::string cmd = std::string(NABLA_ORACLE_PYTHON) + " " + NABLA_SOURCE_DIR +
                            "/tests/training/keras_optimizer_oracle.py " + dir.path().string() + " 2>&1";
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(cmd.c_str(), "r"), ::pclose);
    ASSERT_TRUE(pipe) << cmd;
    std::string out;
    char buf[4096];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, pipe.get())) out.append(buf, n);
    const int status = ::pclose(pipe.release());
    EXPECT_EQ(status, 0) << out;
    EXPECT_NE(out.find("all cases agree"), std::string::npos) << out;
    std::cout << out;
}
