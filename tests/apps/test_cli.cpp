// The `nabla` command-line tool end to end: the binary is run as a user
// would run it, and its exit status, output and files are checked.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "apps/cli_run.hpp"
#include "support/temp_dir.hpp"
#include "support/requirements.hpp"

#ifdef NABLA_CLI_PATH
namespace {

using nabla::test::CliRun;

CliRun run_cli(const std::string& args) { return nabla::test::run_cli(NABLA_CLI_PATH, args); }

const std::string kMnistDir = NABLA_SHARED_DATA_DIR "/mnist";
const std::filesystem::path kFashionDir = "/usr/share/datasets/fashion-mnist";

TEST(Cli, HelpListsSubcommandsAndFlags) {
    CliRun top = run_cli("--help");
    EXPECT_EQ(top.status, 0) << top.output;
    EXPECT_NE(top.output.find("train"), std::string::npos) << top.output;
    EXPECT_NE(top.output.find("show"), std::string::npos) << top.output;
    CliRun train = run_cli("train --help");
    EXPECT_EQ(train.status, 0) << train.output;
    for (const char* flag : {"--dataset", "--data-dir", "--hidden", "--optimizer", "--learning-rate", "--epochs",
                             "--batch-size", "--validation-split", "--loss", "--seed", "--threads", "--verbose",
                             "--history", "--plot"})
        EXPECT_NE(train.output.find(flag), std::string::npos) << flag << " missing from:\n" << train.output;
    CliRun show = run_cli("show --help");
    EXPECT_EQ(show.status, 0) << show.output;
    for (const char* flag : {"--dataset", "--index", "--split", "--data-dir", "--png"})
        EXPECT_NE(show.output.find(flag), std::string::npos) << flag << " missing from:\n" << show.output;
}

TEST(Cli, BadFlagsFailWithAMessage) {
    CliRun unknown = run_cli("train --epochz 3");
    EXPECT_NE(unknown.status, 0);
    EXPECT_NE(unknown.output.find("--epochz"), std::string::npos) << unknown.output;
    CliRun bad_value = run_cli("train --dataset cifar10");
    EXPECT_NE(bad_value.status, 0);
    EXPECT_NE(bad_value.output.find("cifar10"), std::string::npos) << bad_value.output;
    CliRun no_command = run_cli("");
    EXPECT_NE(no_command.status, 0);
    CliRun bad_hidden = run_cli("train --hidden 512,x --data-dir " + kMnistDir);
    EXPECT_EQ(bad_hidden.status, 1);
    EXPECT_NE(bad_hidden.output.find("--hidden"), std::string::npos) << bad_hidden.output;
}

TEST(Cli, MissingDataNamesWhereItLooked) {
    nabla::test::TempDir empty;
    CliRun r = run_cli("train --data-dir " + empty.path().string());
    EXPECT_EQ(r.status, 1) << r.output;
    EXPECT_NE(r.output.find(empty.path().string()), std::string::npos) << r.output;
}

TEST(Cli, ShowDrawsADigitWithItsLabel) {
    nabla::test::TempDir dir;
    const auto png = dir / "digit.png";
    CliRun r = run_cli("show --dataset mnist --split test --index 0 --data-dir " + kMnistDir + " --png " + png.string());
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_NE(r.output.find("label 7"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("@@"), std::string::npos) << "piped output should be plain characters:\n" << r.output;
    EXPECT_EQ(r.output.find("\033["), std::string::npos) << "escape codes in piped output:\n" << r.output;
    EXPECT_GT(std::filesystem::file_size(png), 100u);

    CliRun coloured = run_cli("show --split test --index 0 --colour ansi256 --data-dir " + kMnistDir);
    ASSERT_EQ(coloured.status, 0) << coloured.output;
    EXPECT_NE(coloured.output.find("\u2580"), std::string::npos) << "no half blocks:\n" << coloured.output;

    CliRun out_of_range = run_cli("show --split test --index 10000 --data-dir " + kMnistDir);
    EXPECT_EQ(out_of_range.status, 1);
    EXPECT_NE(out_of_range.output.find("10000"), std::string::npos) << out_of_range.output;
}

TEST(Cli, TrainWritesHistoryAndPlot) {
    if (!std::filesystem::exists(kFashionDir / "train-images-idx3-ubyte.gz"))
        NABLA_SKIP_OR_FAIL("Debian's dataset-fashion-mnist is not installed");
    nabla::test::TempDir dir;
    const auto history = dir / "history.json", plot = dir / "curves.png";
    CliRun r = run_cli("train --dataset fashion_mnist --epochs 1 --hidden 64 --validation-split 0.1 --verbose 2 "
                    "--seed 3 --history " + history.string() + " --plot " + plot.string());
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_NE(r.output.find("Total params: 50,890"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("test_loss: "), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("median seconds per epoch: "), std::string::npos) << r.output;

    std::ifstream in(history);
    const nlohmann::json j = nlohmann::json::parse(in);
    for (const char* key : {"loss", "accuracy", "val_loss", "val_accuracy", "epoch_seconds"}) {
        ASSERT_TRUE(j.contains(key)) << key << " missing: " << j.dump();
        EXPECT_EQ(j[key].size(), 1u) << key;
    }
    EXPECT_GT(j["test_accuracy"].get<double>(), 0.7);
    EXPECT_LT(j["test_loss"].get<double>(), 1.0);
    EXPECT_GT(std::filesystem::file_size(plot), 1000u);
}

}  // namespace
#endif
