// `nabla train` exits non-zero when fit terminated training on an invalid
// (NaN or infinite) loss, and says so last.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "apps/cli_run.hpp"
#include "support/requirements.hpp"

#ifdef NABLA_CLI_PATH
TEST(CliExit, InvalidLossIsAFailure) {
    const std::string fashion = "/usr/share/datasets/fashion-mnist";
    if (!std::filesystem::exists(fashion + "/train-images-idx3-ubyte.gz"))
        NABLA_SKIP_OR_FAIL("Debian's dataset-fashion-mnist is not installed");
    const auto r = nabla::test::run_cli(NABLA_CLI_PATH, "train --dataset fashion_mnist --optimizer sgd --learning-rate 1e30 "
                                                        "--epochs 2 --hidden 8 --verbose 0 --data-dir " + fashion);
    EXPECT_EQ(r.status, 1) << r.output;
    EXPECT_NE(r.output.find("invalid loss"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("nabla: error: training was terminated by an invalid loss"), std::string::npos) << r.output;
}
#endif
