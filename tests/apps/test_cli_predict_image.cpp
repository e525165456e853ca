// `nabla predict model.keras --image digit.png`: real MNIST test digits drawn
// to PNG (as stored, and as dark ink on coloured paper, upscaled) are
// classified by a model trained here on other digits of the same set.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <regex>
#include <string>

#include "apps/cli_run.hpp"
#include "nabla/nabla.hpp"
#include "support/requirements.hpp"
#include "support/temp_dir.hpp"

#ifdef NABLA_CLI_PATH
namespace {

using namespace nabla;
using nabla::test::CliRun;

const std::filesystem::path kMnistDir = std::filesystem::path(NABLA_SHARED_DATA_DIR) / "mnist";

CliRun run_cli(const std::string& args) { return nabla::test::run_cli(NABLA_CLI_PATH, args); }

struct Prediction {
    std::int64_t label = -1;
    double probability = -1;
};

Prediction parse(const std::string& out) {
    std::smatch m;
    if (!std::regex_search(out, m, std::regex("^predicted: (\\d) probability: (\\d\\.\\d{4})\n$"))) return {};
    return {std::stoll(m[1]), std::stod(m[2])};
}

// The digit (28, 28) uint8 as dark blue ink on cream paper, each pixel a
// 3x3 block: what a scanned drawing looks like.
Tensor ink_on_paper(const Tensor& digit) {
    const std::vector<std::uint8_t> v = digit.to_vector<std::uint8_t>();
    const double paper[3] = {250, 245, 230}, ink[3] = {20, 30, 110};
    std::vector<std::uint8_t> rgb;
    for (std::uint8_t level : v)
        for (int k = 0; k < 3; ++k)
            rgb.push_back(static_cast<std::uint8_t>(std::lround(paper[k] + (ink[k] - paper[k]) * level / 255.0)));
    return Tensor(rgb, Shape{28, 28, 3});
}

TEST(CliPredictImage, ClassifiesRealDigitsDrawnToPng) {
    if (!std::filesystem::exists(kMnistDir / "t10k-images-idx3-ubyte.gz"))
        NABLA_SKIP_OR_FAIL("the shared MNIST test set is missing at " << kMnistDir);
    auto [images, labels] = datasets::mnist::load_subset(datasets::Subset::test, kMnistDir);
    Tensor x = images.reshape({10000, 784}).astype(float32);
    x /= 255.0;
    // Trained on the first 8,000 digits; the pictures come from the other 2,000.
    models::Sequential model({layers::Dense(64, "relu", {.input_shape = {784}}), layers::Dense(10, "softmax")});
    model.set_seed(7);
    model.compile("rmsprop", "sparse_categorical_crossentropy", {"accuracy"});
    model.fit(x(Slice(0, 8000)), labels(Slice(0, 8000)).astype(int64), {.epochs = 3, .batch_size = 128, .verbose = 0});
    test::TempDir dir;
    const std::string keras = (dir / "model.keras").string();
    model.save(keras);

    const Tensor probs = model.predict(x(Slice(8000, 8020)));
    int checked = 0;
    for (std::int64_t i = 8000; i < 8020 && checked < 4; ++i) {
        const std::int64_t label = labels[i].item<std::int64_t>();
        const Tensor p = probs[i - 8000];
        if (argmax(p).item<std::int64_t>() != label) continue;  // the model's own mistake, not the tool's
        ++checked;
        const auto grey = dir / ("digit" + std::to_string(i) + ".png");
        io::save_image(grey, images[i], {.cmap = io::Colormap::gray, .scale = 1});
        // The library's conversion of the PNG is the dataset's input exactly.
        EXPECT_EQ(io::read_image_input(grey, model.input_shape()).to_vector<float>(),
                  x(Slice(i, i + 1)).to_vector<float>());
        CliRun r = run_cli("predict " + keras + " --image " + grey.string());
        ASSERT_EQ(r.status, 0) << r.output;
        const Prediction got = parse(r.output);
        EXPECT_EQ(got.label, label) << "digit " << i << ": " << r.output;
        EXPECT_NEAR(got.probability, p[label].item<double>(), 5.1e-5) << r.output;

        const auto scan = dir / ("scan" + std::to_string(i) + ".png");
        io::save_image(scan, ink_on_paper(images[i]), {.scale = 3});
        CliRun inverted = run_cli("predict " + keras + " --image " + scan.string() + " --invert");
        ASSERT_EQ(inverted.status, 0) << inverted.output;
        EXPECT_EQ(parse(inverted.output).label, label) << "digit " << i << " on paper: " << inverted.output;
    }
    EXPECT_EQ(checked, 4) << "the model got fewer than 4 of 20 held-out digits right";
}

TEST(CliPredictImage, BadImagesAndFlagsFailWithAMessage) {
    test::TempDir dir;
    models::Sequential model({layers::Dense(10, "softmax", {.input_shape = {784}})});
    const std::string keras = (dir / "m.keras").string();
    model.save(keras);
    CliRun missing = run_cli("predict " + keras + " --image " + (dir / "none.png").string());
    EXPECT_NE(missing.status, 0);
    EXPECT_NE(missing.output.find("none.png"), std::string::npos) << missing.output;
    CliRun invert_alone = run_cli("predict " + keras + " --invert");
    EXPECT_NE(invert_alone.status, 0);
    EXPECT_NE(invert_alone.output.find("--image"), std::string::npos) << invert_alone.output;
    io::save_image(dir / "d.png", zeros({28, 28}, uint8));
    CliRun with_grid = run_cli("predict " + keras + " --image " + (dir / "d.png").string() + " --png g.png");
    EXPECT_NE(with_grid.status, 0) << with_grid.output;

    models::Sequential wide({layers::Dense(10, "softmax", {.input_shape = {10}})});
    const std::string wide_keras = (dir / "wide.keras").string();
    wide.save(wide_keras);
    CliRun not_images = run_cli("predict " + wide_keras + " --image " + (dir / "d.png").string());
    EXPECT_EQ(not_images.status, 1) << not_images.output;
    EXPECT_NE(not_images.output.find("is not an image input"), std::string::npos) << not_images.output;
}

}  // namespace
#endif
