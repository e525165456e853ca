// `nabla` output flags (--history, --plot, --png): a path that cannot be
// written is refused when the command line is parsed, before any data is
// loaded or any epoch is run, and nothing is created at the path.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "apps/cli_run.hpp"
#include "support/requirements.hpp"
#include "support/temp_dir.hpp"

#ifdef NABLA_CLI_PATH
namespace {

namespace fs = std::filesystem;
using nabla::test::CliRun;

CliRun run(const std::string& args) { return nabla::test::run_cli(NABLA_CLI_PATH, args); }

const std::string kMnistDir = NABLA_SHARED_DATA_DIR "/mnist";
const std::string kFashionDir = "/usr/share/datasets/fashion-mnist";

bool has(const CliRun& r, const std::string& text) { return r.output.find(text) != std::string::npos; }

TEST(CliOutputs, BadHistoryOrPlotPathIsRefusedBeforeTraining) {
    if (!fs::exists(kFashionDir + "/train-images-idx3-ubyte.gz"))
        NABLA_SKIP_OR_FAIL("Debian's dataset-fashion-mnist is not installed");
    nabla::test::TempDir dir;
    const std::string train = "train --dataset fashion_mnist --epochs 1 --hidden 8 --verbose 2 --data-dir " + kFashionDir;
    const fs::path missing = dir / "no-such-dir" / "history.json";
    CliRun r = run(train + " --history " + missing.string());
    EXPECT_NE(r.status, 0) << r.output;
    EXPECT_TRUE(has(r, "--history")) << r.output;
    EXPECT_TRUE(has(r, "the directory '" + (dir / "no-such-dir").string() + "' does not exist")) << r.output;
    EXPECT_FALSE(has(r, "Epoch")) << "trained before refusing:\n" << r.output;
    EXPECT_FALSE(has(r, "test_loss")) << "trained before refusing:\n" << r.output;

    CliRun plot = run(train + " --plot " + dir.path().string());
    EXPECT_NE(plot.status, 0) << plot.output;
    EXPECT_TRUE(has(plot, "--plot")) << plot.output;
    EXPECT_TRUE(has(plot, "is a directory")) << plot.output;
    EXPECT_FALSE(has(plot, "test_loss")) << plot.output;

    CliRun proc = run(train + " --history /proc/history.json");
    EXPECT_NE(proc.status, 0) << proc.output;
    EXPECT_TRUE(has(proc, "no file can be created in the directory '/proc'")) << proc.output;
    EXPECT_FALSE(has(proc, "test_loss")) << proc.output;
    EXPECT_EQ(dir.count(), 0) << "something was created";
}

TEST(CliOutputs, BadPngPathIsRefusedBeforeDrawing) {
    nabla::test::TempDir dir;
    std::ofstream(dir / "plain") << "x";
    const fs::path png = dir / "plain" / "digit.png";
    CliRun r = run("show --split test --index 0 --data-dir " + kMnistDir + " --png " + png.string());
    EXPECT_NE(r.status, 0) << r.output;
    EXPECT_TRUE(has(r, "--png")) << r.output;
    const std::string plain = (dir / "plain").string();
    EXPECT_TRUE(has(r, std::string("'").append(plain).append("' is not a directory"))) << r.output;
    EXPECT_FALSE(has(r, "label 7")) << "drew before refusing:\n" << r.output;
}

}  // namespace
#endif
