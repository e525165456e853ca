// nabla train --model convnet: the book's listing 8.1 from the command line,
// with the existing flags (history, save, seed, threads, validation split).
// Trained on 1,024 real digits (the first of the MNIST test set, written as
// a small IDX dataset) to stay quick.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "apps/cli_run.hpp"
#include "nabla/data/mnist.hpp"
#include "nabla/io/idx.hpp"
#include "nabla/saving/saving.hpp"
#include "support/requirements.hpp"
#include "support/temp_dir.hpp"

#ifdef NABLA_CLI_PATH
using namespace nabla;
namespace fs = std::filesystem;

namespace {

test::CliRun run_cli(const std::string& args) { return test::run_cli(NABLA_CLI_PATH, args); }

const fs::path kMnistDir = NABLA_SHARED_DATA_DIR "/mnist";

void write_small_mnist(const fs::path& dir) {
    auto [images, labels] = datasets::mnist::load_subset(datasets::Subset::test, kMnistDir);
    io::write_idx(dir / "train-images-idx3-ubyte.gz", images(Slice(0, 1024)).copy());
    io::write_idx(dir / "train-labels-idx1-ubyte.gz", labels(Slice(0, 1024)).copy());
    io::write_idx(dir / "t10k-images-idx3-ubyte.gz", images(Slice(9000, 9512)).copy());
    io::write_idx(dir / "t10k-labels-idx1-ubyte.gz", labels(Slice(9000, 9512)).copy());
}

}  // namespace

TEST(CliConvnet, TrainsTheBooksConvnet) {
    if (!fs::exists(kMnistDir / "t10k-images-idx3-ubyte.gz")) NABLA_SKIP_OR_FAIL("the shared MNIST files are missing");
    test::TempDir dir;
    write_small_mnist(dir.path());
    const fs::path history = dir / "h.json", saved = dir / "c.keras";
    test::CliRun r = run_cli("train --model convnet --epochs 2 --loss sparse --validation-split 0.1 --verbose 2 --seed 4 "
                       "--threads 1 --data-dir " + dir.path().string() + " --history " + history.string() +
                       " --save " + saved.string());
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_NE(r.output.find("(None, 26, 26, 32)"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("Total params: 104,202"), std::string::npos) << r.output;
    // Batch 64 (the book's) unless --batch-size: 922 training samples -> 15 steps.
    EXPECT_NE(r.output.find("15/15"), std::string::npos) << r.output;
    std::ifstream in(history);
    const nlohmann::json j = nlohmann::json::parse(in);
    EXPECT_EQ(j["model"], "convnet");
    EXPECT_EQ(j["val_accuracy"].size(), 2u);
    EXPECT_GT(j["test_accuracy"].get<double>(), 0.5);  // 30 steps on 922 digits: 0.68 measured; chance is 0.1
    models::Sequential m = models::load_model(saved.string());
    EXPECT_EQ(m.layers()[0]->class_name(), "InputLayer");
    EXPECT_EQ(m.layers()[1]->class_name(), "Conv2D");

    test::CliRun bad = run_cli("train --model convnet --hidden 64 --data-dir " + dir.path().string());
    EXPECT_NE(bad.status, 0);
    EXPECT_NE(bad.output.find("--hidden sets the widths of --model mlp"), std::string::npos) << bad.output;
}
#endif  // NABLA_CLI_PATH
