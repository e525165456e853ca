// `nabla train --save / --checkpoint-dir`, `nabla evaluate`, `nabla predict`
// and `nabla summary` end to end, on nabla's own files and on one written by
// real Keras (tests/saving/fixtures/).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>

#include "nabla/nabla.hpp"
#include "apps/cli_run.hpp"
#include "support/requirements.hpp"
#include "support/temp_dir.hpp"

#ifdef NABLA_CLI_PATH
namespace {

namespace fs = std::filesystem;

using CliResult = nabla::test::CliRun;

CliResult cli(const std::string& args) { return nabla::test::run_cli(NABLA_CLI_PATH, args); }

const fs::path kFashionDir = "/usr/share/datasets/fashion-mnist";
const std::string kMnistDir = NABLA_SHARED_DATA_DIR "/mnist";
const fs::path kFixtures = fs::path(NABLA_SOURCE_DIR) / "tests/saving/fixtures";

nlohmann::json read_json(const fs::path& p) {
    std::ifstream in(p);
    return nlohmann::json::parse(in);
}

// The value after "key: " in the output.
std::string field(const std::string& out, const std::string& key) {
    const std::size_t at = out.find(key + ": ");
    if (at == std::string::npos) return "";
    std::istringstream in(out.substr(at + key.size() + 2));
    std::string v;
    in >> v;
    return v;
}

std::string train_args(const fs::path& dir) {
    return "train --dataset fashion_mnist --data-dir " + kFashionDir.string() +
           " --epochs 3 --hidden 16 --loss sparse --seed 5 --threads 2 --verbose 0 --history " +
           (dir / "history.json").string();
}

TEST(CheckpointCli, KilledTrainingResumesToTheSameResult) {
    if (!fs::exists(kFashionDir / "train-images-idx3-ubyte.gz"))
        NABLA_SKIP_OR_FAIL("Debian's dataset-fashion-mnist is not installed");
    nabla::test::TempDir ref_dir, dir;
    const CliResult ref = cli(train_args(ref_dir.path()) + " --checkpoint-dir " + (ref_dir.path() / "ckpt").string());
    ASSERT_EQ(ref.status, 0) << ref.output;
    EXPECT_FALSE(fs::exists(ref_dir.path() / "ckpt")) << "the backup is removed after a completed run";

    // The same command, killed with SIGKILL once the backup of epoch 1 exists.
    const fs::path ckpt = dir.path() / "ckpt";
    const std::string command = std::string(NABLA_CLI_PATH) + " " + train_args(dir.path()) + " --checkpoint-dir " +
                                ckpt.string();
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        ::execl("/bin/sh", "sh", "-c", ("exec " + command + " >/dev/null 2>&1").c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    int epoch = 0;
    for (int i = 0; i < 12000 && epoch < 1; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        try {
            if (fs::exists(ckpt / "training_metadata.json")) epoch = read_json(ckpt / "training_metadata.json")["epoch"];
        } catch (const std::exception&) {
        }
    }
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the run finished before it could be killed";
    const int backed_up = read_json(ckpt / "training_metadata.json")["epoch"];
    ASSERT_GE(backed_up, 1);
    ASSERT_LT(backed_up, 3) << "killed after the last epoch: nothing left to resume";

    const CliResult resumed = cli(train_args(dir.path()) + " --checkpoint-dir " + ckpt.string());
    ASSERT_EQ(resumed.status, 0) << resumed.output;
    const nlohmann::json a = read_json(ref_dir.path() / "history.json"), b = read_json(dir.path() / "history.json");
    EXPECT_EQ(b["loss"].size(), static_cast<std::size_t>(3 - backed_up)) << "the resumed run trains only the rest";
    EXPECT_EQ(a["loss"].back().get<double>(), b["loss"].back().get<double>());
    EXPECT_EQ(a["test_loss"].get<double>(), b["test_loss"].get<double>()) << "not the uninterrupted run's result";
    EXPECT_EQ(a["test_accuracy"].get<double>(), b["test_accuracy"].get<double>());
}

TEST(CheckpointCli, SaveThenEvaluatePredictSummary) {
    if (!fs::exists(kFashionDir / "train-images-idx3-ubyte.gz"))
        NABLA_SKIP_OR_FAIL("Debian's dataset-fashion-mnist is not installed");
    nabla::test::TempDir dir;
    const fs::path model = dir.path() / "model.keras";
    const CliResult t = cli("train --dataset fashion_mnist --data-dir " + kFashionDir.string() +
                      " --epochs 1 --hidden 32 --seed 2 --threads 2 --verbose 0 --save " + model.string());
    ASSERT_EQ(t.status, 0) << t.output;
    ASSERT_TRUE(fs::exists(model));
    const CliResult e = cli("evaluate " + model.string() + " --dataset fashion_mnist --data-dir " + kFashionDir.string());
    ASSERT_EQ(e.status, 0) << e.output;
    // The same model on the same images: equal up to the order of the
    // summation (thread count and code generation may differ between runs).
    const double loss = std::stod(field(t.output, "test_loss"));
    EXPECT_NEAR(std::stod(field(e.output, "test_loss")), loss, 1e-5 * loss) << t.output << e.output;
    EXPECT_EQ(field(e.output, "test_acc"), field(t.output, "test_acc")) << t.output << e.output;

    const fs::path png = dir.path() / "grid.png";
    const CliResult p = cli("predict " + model.string() + " --dataset fashion_mnist --data-dir " + kFashionDir.string() +
                      " --split test --index 0 --count 3 --png " + png.string());
    ASSERT_EQ(p.status, 0) << p.output;
    EXPECT_NE(p.output.find("fashion_mnist test[0]: predicted "), std::string::npos) << p.output;
    EXPECT_NE(p.output.find("fashion_mnist test[2]: predicted "), std::string::npos) << p.output;
    EXPECT_NE(p.output.find("label 9"), std::string::npos) << p.output;  // test[0] is an ankle boot
    EXPECT_NE(p.output.find("probabilities: "), std::string::npos) << p.output;
    EXPECT_GT(fs::file_size(png), 500u);

    const CliResult s = cli("summary " + model.string());
    ASSERT_EQ(s.status, 0) << s.output;
    EXPECT_NE(s.output.find("Total params: 25,450"), std::string::npos) << s.output;
    EXPECT_NE(s.output.find("dense (Dense)"), std::string::npos) << s.output;
}

// Probabilities printed by `nabla predict` against Keras's stored ones.
void expect_keras_predictions(const std::string& file, const std::string& npz) {
    const CliResult p = cli("predict " + (kFixtures / file).string() + " --dataset mnist --data-dir " + kMnistDir +
                      " --split test --index 256 --count 32");
    ASSERT_EQ(p.status, 0) << p.output;
    const auto expected = nabla::io::load_npz(kFixtures / npz);
    ASSERT_TRUE(expected.count("predictions")) << npz << " has no 'predictions'";
    const auto probs = expected.at("predictions").astype(nabla::float32).to_vector<float>();
    std::istringstream lines(p.output);
    std::size_t k = 0;
    for (std::string line; std::getline(lines, line);) {
        const std::size_t at = line.find("probabilities: ");
        if (at == std::string::npos) continue;
        std::istringstream in(line.substr(at + 15));
        for (float v; in >> v; ++k) {
            ASSERT_LT(k, probs.size());
            EXPECT_NEAR(v, probs[k], 6e-5) << file << " value " << k;  // printed with 4 decimals
        }
    }
    EXPECT_EQ(k, probs.size()) << p.output;
}

// A model written by real Keras 3 (JAX): its predictions for MNIST test
// images 256-287 are stored beside it (rmsprop.expected.npz, "predictions").
TEST(CheckpointCli, KerasFileEvaluatesAndPredictsAsKeras) {
    const fs::path keras_file = kFixtures / "rmsprop.keras";
    if (!fs::exists(keras_file)) NABLA_SKIP_OR_FAIL("the Keras fixtures (branch keras-oracle) are not here");
    const CliResult e = cli("evaluate " + keras_file.string() + " --dataset mnist --data-dir " + kMnistDir);
    ASSERT_EQ(e.status, 0) << e.output;
    EXPECT_FALSE(field(e.output, "test_loss").empty()) << e.output;
    EXPECT_GT(std::stod(field(e.output, "test_acc")), 0.5) << e.output;

    expect_keras_predictions("rmsprop.keras", "rmsprop.expected.npz");  // input (784,)
    expect_keras_predictions("layers.keras", "layers.expected.npz");    // input (28, 28), Flatten first
    const CliResult s = cli("summary " + keras_file.string());
    ASSERT_EQ(s.status, 0) << s.output;
    EXPECT_NE(s.output.find("Total params: 6,370"), std::string::npos) << s.output;
}

TEST(CheckpointCli, BadArgumentsAreClearErrors) {
    nabla::test::TempDir dir;
    const CliResult missing = cli("evaluate " + (dir.path() / "none.keras").string() + " --data-dir " + kMnistDir);
    EXPECT_NE(missing.status, 0);
    EXPECT_NE(missing.output.find("none.keras"), std::string::npos) << missing.output;
    const CliResult bad_save = cli("train --epochs 1 --save model.h5 --data-dir " + kMnistDir);
    EXPECT_NE(bad_save.status, 0);
    EXPECT_NE(bad_save.output.find(".keras"), std::string::npos) << bad_save.output;
}

}  // namespace
#endif
