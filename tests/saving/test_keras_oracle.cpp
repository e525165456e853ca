// nabla -> Keras: nabla trains and saves; real Keras (the pinned venv of
// scripts/install_deps.sh) loads the files, predicts and evaluates as nabla
// (keras_check_load.py), and continues training from nabla's optimizer state
// (keras_resume_check.py, JAX backend). The C++ side writes a SPEC.json that
// the scripts read; see their docstrings.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "../support/requirements.hpp"
#include "../support/temp_dir.hpp"
#include "saving_fixtures.hpp"

namespace nabla {
namespace {

const std::string kSaving = std::string(NABLA_SOURCE_DIR) + "/tests/saving/";

bool have_oracle() { return std::filesystem::exists(NABLA_ORACLE_PYTHON); }

std::pair<int, std::string> run_oracle(const std::string& script, const std::string& spec) {
    const std::string cmd = std::string(NABLA_ORACLE_PYTHON) + " " + kSaving + script + " " + spec + " 2>&1";
    std::string out;
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return {-1, "popen failed"};
    char buf[4096];
    while (std::fgets(buf, sizeof buf, p)) out += buf;
    return {WEXITSTATUS(pclose(p)), out};
}

struct Digits {
    std::map<std::string, Tensor> d = io::load_npz(kSaving + "fixtures/digits.npz");
};

nlohmann::json layers_spec(const models::Sequential& m) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& l : m.layers()) {
        nlohmann::json j{{"class_name", std::string(l->class_name())}, {"name", l->name()}, {"params", l->count_params()}};
        if (const auto* d = dynamic_cast<const layers::Dense*>(l.get())) {
            j["units"] = d->units();
            j["activation"] = std::string(ops::name(d->activation()));
            j["use_bias"] = d->use_bias();
        } else if (const auto* r = dynamic_cast<const layers::Dropout*>(l.get())) {
            j["rate"] = r->rate();
        } else if (const auto* a = dynamic_cast<const layers::Activation*>(l.get())) {
            j["activation"] = std::string(ops::name(a->activation()));
        }
        out.push_back(j);
    }
    return out;
}

void train_steps(models::Sequential& m, const Tensor& x, const Tensor& y, int steps, std::int64_t batch) {
    const std::int64_t n = x.shape(0);
    for (int s = 0; s < steps; ++s) {
        const std::int64_t b = (s * batch) % n;
        m.train_on_batch(x(Slice(b, b + batch)), y(Slice(b, b + batch)));
    }
}

class KerasLoadsNabla : public ::testing::TestWithParam<int> {};

std::function<models::OptimizerArg()> optimizer_case(int i) {
    switch (i) {
        case 0: return [] { return optimizers::RMSprop({.learning_rate = 0.01}); };
        case 1: return [] { return optimizers::Adam({.learning_rate = 0.01, .amsgrad = true}); };
        case 2: return [] { return optimizers::SGD({.learning_rate = 0.05, .momentum = 0.9, .nesterov = true}); };
        case 3: return [] { return optimizers::RMSprop({.learning_rate = 0.01, .momentum = 0.5, .centered = true}); };
        default: return [] { return optimizers::Adagrad({.learning_rate = 0.1}); };
    }
}

TEST_P(KerasLoadsNabla, KerasAndWeightsFiles) {
    if (!have_oracle()) NABLA_SKIP_OR_FAIL("the Keras oracle venv (.venv-oracle) is not installed");
    test::TempDir dir;
    const Digits digits;
    const Tensor& x = digits.d.at("x_next");
    const Tensor& y = digits.d.at("y_next");
    models::Sequential m({layers::Dense(8, "relu", {.input_shape = {784}, .name = "hidden"}), layers::Dropout(0.25),
                          layers::Dense(10, "linear", {.use_bias = false}), layers::Activation("softmax")});
    m.compile(optimizer_case(GetParam())(), "sparse_categorical_crossentropy", {"accuracy"});
    train_steps(m, x, y, 6, 16);
    m.save((dir / "m.keras").string());
    m.save_weights((dir / "m.weights.h5").string());
    const Tensor& xp = digits.d.at("x_pred");
    const Tensor& yp = digits.d.at("y_pred");
    io::save_npz(dir / "data.npz", {{"x", xp}, {"y", yp}, {"predictions", m.predict(xp)}});
    const auto ev = m.evaluate(xp, yp, {.batch_size = 32, .verbose = 0});
    const auto config = nlohmann::json::parse(m.to_json());
    nlohmann::json spec{{"keras", (dir / "m.keras").string()},
                        {"weights", (dir / "m.weights.h5").string()},
                        {"npz", (dir / "data.npz").string()},
                        {"loss", ev.loss},
                        {"accuracy", ev["accuracy"]},
                        {"batch_size", 32},
                        {"iterations", m.optimizer()->iterations()},
                        {"input_shape", {784}},
                        {"layers", layers_spec(m)},
                        {"optimizer", {{"class_name", config["compile_config"]["optimizer"]["class_name"]},
                                       {"config", config["compile_config"]["optimizer"]["config"]}}},
                        {"loss_name", "sparse_categorical_crossentropy"},
                        {"metrics", {"accuracy"}}};
    std::ofstream(dir / "spec.json") << spec.dump();
    const auto [rc, out] = run_oracle("keras_check_load.py", (dir / "spec.json").string());
    EXPECT_EQ(rc, 0) << out;
}

INSTANTIATE_TEST_SUITE_P(SavingOracle, KerasLoadsNabla, ::testing::Values(0, 1, 2, 3, 4));

TEST(SavingOracle, KerasResumesTrainingFromANablaCheckpoint) {
    if (!have_oracle()) NABLA_SKIP_OR_FAIL("the Keras oracle venv (.venv-oracle) is not installed");
    test::TempDir dir;
    const Digits digits;
    const Tensor& x = digits.d.at("x_next");
    const Tensor& y = digits.d.at("y_next");
    models::Sequential m({layers::Dense(8, "relu", {.input_shape = {784}}), layers::Dense(10, "softmax")});
    m.compile(optimizers::Adam({.learning_rate = 0.01}), "sparse_categorical_crossentropy", {"accuracy"});
    train_steps(m, x, y, 4, 16);
    m.save((dir / "ckpt.keras").string());
    // Three more steps in nabla, on batches the script replays in Keras.
    const std::int64_t k = 3, batch = 16;
    const Tensor xs = x(Slice(0, k * batch)).reshape({k, batch, 784});
    const Tensor ys = y(Slice(0, k * batch)).reshape({k, batch});
    for (std::int64_t s = 0; s < k; ++s) m.train_on_batch(xs[s], ys[s]);
    std::map<std::string, Tensor> npz{{"x_steps", xs}, {"y_steps", ys}};
    const auto w = m.get_weights();
    for (std::size_t i = 0; i < w.size(); ++i) npz["w" + std::to_string(i)] = w[i];
    io::save_npz(dir / "steps.npz", npz);
    nlohmann::json spec{{"keras", (dir / "ckpt.keras").string()}, {"iterations", 4}, {"npz", (dir / "steps.npz").string()}};
    std::ofstream(dir / "spec.json") << spec.dump();
    const auto [rc, out] = run_oracle("keras_resume_check.py", (dir / "spec.json").string());
    EXPECT_EQ(rc, 0) << out;
}

}  // namespace
}  // namespace nabla
