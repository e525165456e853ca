// `nabla` and its data: a named --data-dir is the only place looked in, and
// a missing dataset is explained with the tool's own remedy (--data-dir DIR
// and the URL), not the C++ function a library caller would use.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "apps/cli_run.hpp"
#include "support/requirements.hpp"
#include "support/temp_dir.hpp"

#ifdef NABLA_CLI_PATH
namespace {

nabla::test::CliRun run_with_env(const std::string& env, const std::string& args) {
    return nabla::test::run_cli(env + " " + std::string(NABLA_CLI_PATH), args);
}

bool has(const std::string& out, const std::string& text) { return out.find(text) != std::string::npos; }

TEST(CliData, OfflineErrorGivesTheFlagAndTheUrl) {
    nabla::test::TempDir cache;
    const auto r = run_with_env("NABLA_DATASETS_MIRROR=http://127.0.0.1:9/ NABLA_DATA_DIR= NABLA_CACHE_DIR=" +
                                    cache.path().string(),
                                "train");
    EXPECT_EQ(r.status, 1) << r.output;
    EXPECT_TRUE(has(r.output, "could not be downloaded")) << r.output;
    EXPECT_TRUE(has(r.output, "from https://ossci-datasets.s3.amazonaws.com/mnist/ into a directory and run again "
                              "with --data-dir DIR")) << r.output;
    EXPECT_FALSE(has(r.output, "load_data(")) << "C++ remedy shown to a CLI user:\n" << r.output;
    EXPECT_FALSE(has(r.output, "load_subset(")) << r.output;
}

TEST(CliData, NamedDirectoryListsItsMissingFiles) {
    nabla::test::TempDir empty, cache;
    const auto r = run_with_env("NABLA_DATASETS_MIRROR=http://127.0.0.1:9/ NABLA_CACHE_DIR=" + cache.path().string(),
                                "show --dataset fashion_mnist --split test --data-dir " + empty.path().string());
    EXPECT_EQ(r.status, 1) << r.output;
    EXPECT_TRUE(has(r.output, "is not in the directory '" + empty.path().string() + "'")) << r.output;
    EXPECT_TRUE(has(r.output, "Missing there:\n  t10k-images-idx3-ubyte.gz (or t10k-images-idx3-ubyte)\n"
                              "  t10k-labels-idx1-ubyte.gz (or t10k-labels-idx1-ubyte)")) << r.output;
    EXPECT_FALSE(has(r.output, "Downloading")) << r.output;
    EXPECT_FALSE(has(r.output, "label ")) << "fell through to another copy:\n" << r.output;
    EXPECT_TRUE(has(r.output, "leave out --data-dir")) << r.output;
    EXPECT_FALSE(has(r.output, "load_data(")) << r.output;
}

}  // namespace
#endif

#ifdef NABLA_CLI_PATH
// Issue 13 item 7: `train --dataset fashion_mnist` with MNIST's test files
// beside Fashion-MNIST's train files trained on clothes and tested on digits
// (test_acc 0.066, exit 0).
TEST(CliData, MixedDatasetsAreRefusedBeforeTraining) {
    namespace fs = std::filesystem;
    const fs::path fashion = "/usr/share/datasets/fashion-mnist", mnist = NABLA_SHARED_DATA_DIR "/mnist";
    if (!fs::exists(fashion / "train-images-idx3-ubyte.gz"))
        NABLA_SKIP_OR_FAIL("Debian's dataset-fashion-mnist is not installed");
    nabla::test::TempDir dir;
    for (const char* f : {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"}) fs::create_symlink(fashion / f, dir / f);
    for (const char* f : {"t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"}) fs::create_symlink(mnist / f, dir / f);
    const auto r = nabla::test::run_cli(NABLA_CLI_PATH, "train --dataset fashion_mnist --epochs 1 --hidden 8 --verbose 0 "
                                                        "--data-dir " + dir.path().string());
    EXPECT_EQ(r.status, 1) << r.output;
    EXPECT_TRUE(has(r.output, "t10k-images-idx3-ubyte.gz' is MNIST's test images")) << r.output;
    EXPECT_TRUE(has(r.output, "t10k-labels-idx1-ubyte.gz' is MNIST's test labels")) << r.output;
    EXPECT_FALSE(has(r.output, "test_acc")) << r.output;
}
#endif
