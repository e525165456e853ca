// Pictures as model inputs (nabla/io/image_input.hpp) and RGB save_image.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "nabla/core/error.hpp"
#include "nabla/io/image.hpp"
#include "nabla/io/image_input.hpp"
#include "nabla/ops/shape_ops.hpp"
#include "support/temp_dir.hpp"

using namespace nabla;

namespace {

const Shape kFlat{-1, 784};

Tensor grey(std::int64_t h, std::int64_t w, std::vector<std::uint8_t> v) { return Tensor(v, Shape{h, w}); }

std::vector<float> values(const Tensor& t) { return t.to_vector<float>(); }

// What Pillow (an independent decoder) reads: mode and first pixel.
std::string pillow_mode(const std::filesystem::path& png) {
    const std::string cmd = std::string(NABLA_PYTHON) +
                            " -c \"import sys; from PIL import Image; im = Image.open(sys.argv[1]); "
                            "print(im.mode, im.size, im.getpixel((0, 0)))\" '" + png.string() + "'";
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
    std::string out;
    char buf[256];
    while (pipe && fgets(buf, sizeof buf, pipe.get())) out += buf;
    if (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
}

}  // namespace

TEST(SaveImage, RgbIsStoredAsGivenAndScaled) {
    test::TempDir dir;
    const Tensor rgb(std::vector<std::uint8_t>{255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30}, Shape{2, 2, 3});
    io::save_image(dir / "c.png", rgb, {.scale = 2});
    const Tensor back = io::read_png(dir / "c.png");
    ASSERT_EQ(back.shape(), (Shape{4, 4, 3}));
    const std::vector<int> px = back.to_vector<int>();
    EXPECT_EQ((std::vector<int>(px.begin(), px.begin() + 6)), (std::vector<int>{255, 0, 0, 255, 0, 0}));
    EXPECT_EQ((std::vector<int>(px.end() - 3, px.end())), (std::vector<int>{10, 20, 30}));
    EXPECT_EQ(pillow_mode(dir / "c.png"), "RGB (4, 4) (255, 0, 0)");
    EXPECT_THROW(io::save_image(dir / "x.png", zeros({2, 2, 4}, uint8)), ShapeError);
}

TEST(ImageToInput, Grey28x28IsThePixelsOver255InTheModelsShape) {
    std::vector<std::uint8_t> px(784);
    for (std::size_t i = 0; i < px.size(); ++i) px[i] = static_cast<std::uint8_t>(i % 256);
    const Tensor image = grey(28, 28, px);
    for (const Shape& in : {kFlat, Shape{-1, 28, 28}, Shape{-1, 28, 28, 1}}) {
        const Tensor x = io::image_to_input(image, in);
        Shape want = in;
        want[0] = 1;
        EXPECT_EQ(x.shape(), want);
        EXPECT_EQ(x.dtype(), float32);
        const std::vector<float> v = values(x);
        for (std::size_t i = 0; i < v.size(); ++i) ASSERT_FLOAT_EQ(v[i], static_cast<float>(px[i] / 255.0)) << i;
    }
    const std::vector<float> inverted = values(io::image_to_input(image, kFlat, {.invert = true}));
    EXPECT_FLOAT_EQ(inverted[0], 1.0f);
    EXPECT_FLOAT_EQ(inverted[255], 0.0f);
}

TEST(ImageToInput, RgbBecomesLumaAndAlphaBecomesBackground) {
    // (1, 1) pictures fill the whole 1x1 input (None, 1).
    const Shape one{-1, 1};
    const Tensor red(std::vector<std::uint8_t>{255, 0, 0}, Shape{1, 1, 3});
    EXPECT_NEAR(values(io::image_to_input(red, one))[0], 0.299f, 1e-6);
    const Tensor half_white(std::vector<std::uint8_t>{255, 0, 0, 128}, Shape{1, 1, 4});  // red, half opaque
    EXPECT_NEAR(values(io::image_to_input(half_white, one))[0], 0.299 * 128 / 255, 1e-6);
    // Transparent is background: dark normally, paper white under invert,
    // which inverts to 0 too.
    const Tensor clear(std::vector<std::uint8_t>{255, 0}, Shape{1, 1, 2});
    EXPECT_FLOAT_EQ(values(io::image_to_input(clear, one))[0], 0.0f);
    EXPECT_FLOAT_EQ(values(io::image_to_input(clear, one, {.invert = true}))[0], 0.0f);
    const Tensor black_ink(std::vector<std::uint8_t>{0, 255}, Shape{1, 1, 2});
    EXPECT_FLOAT_EQ(values(io::image_to_input(black_ink, one, {.invert = true}))[0], 1.0f);
}

TEST(ImageToInput, AreaAveragingWeighsTheCoveredFractions) {
    // 3x3 -> 2x2: each output covers a quarter of the centre pixel, in an
    // area of 1.5 x 1.5 source pixels.
    const Tensor dot = grey(3, 3, {0, 0, 0, 0, 255, 0, 0, 0, 0});
    for (float v : values(io::image_to_input(dot, Shape{-1, 2, 2}))) EXPECT_NEAR(v, 0.25 / 2.25, 1e-6);
    // 56x56 of 2x2 blocks -> each block's value.
    std::vector<std::uint8_t> px(56 * 56);
    for (int y = 0; y < 56; ++y)
        for (int x = 0; x < 56; ++x) px[y * 56 + x] = static_cast<std::uint8_t>((y / 2 * 28 + x / 2) % 256);
    const std::vector<float> v = values(io::image_to_input(grey(56, 56, px), kFlat));
    for (int i = 0; i < 784; ++i) ASSERT_FLOAT_EQ(v[i], static_cast<float>((i % 256) / 255.0)) << i;
    // 2x2 -> 4x4: every output pixel lies inside one source pixel.
    const std::vector<float> up = values(io::image_to_input(grey(2, 2, {0, 255, 51, 102}), Shape{-1, 4, 4}));
    EXPECT_FLOAT_EQ(up[0], 0.0f);
    EXPECT_FLOAT_EQ(up[3], 1.0f);
    EXPECT_FLOAT_EQ(up[12], 0.2f);
    EXPECT_FLOAT_EQ(up[15], 0.4f);
}

TEST(ImageToInput, NonSquarePicturesAreCentredOnBackground) {
    // 2 rows x 4 columns of white -> 4x4 with rows 1 and 2 white -> 2x2 of
    // half white.
    const Tensor wide = grey(2, 4, std::vector<std::uint8_t>(8, 255));
    for (float v : values(io::image_to_input(wide, Shape{-1, 2, 2}))) EXPECT_FLOAT_EQ(v, 0.5f);
    // Dark on white, inverted: the padding is background (0), not white.
    const Tensor tall = grey(4, 2, std::vector<std::uint8_t>(8, 0));
    const std::vector<float> t = values(io::image_to_input(tall, Shape{-1, 4, 4}, {.invert = true}));
    EXPECT_EQ(t, (std::vector<float>{0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0}));
}

TEST(ImageToInput, WrongPicturesAndModelsAreErrorsNamingTheShapes) {
    const Tensor image = zeros({28, 28}, uint8);
    try {
        io::image_to_input(image, Shape{-1, 10});
        ADD_FAILURE() << "no error for a (None, 10) model";
    } catch (const ShapeError& e) {
        EXPECT_NE(std::string(e.what()).find("is not an image input"), std::string::npos) << e.what();
    }
    EXPECT_THROW(io::image_to_input(image, Shape{-1, 28, 28, 3}), ShapeError);
    EXPECT_THROW(io::image_to_input(image, Shape{-1}), ShapeError);
    EXPECT_THROW(io::image_to_input(zeros({28, 28}), kFlat), DTypeError);
    try {
        io::image_to_input(zeros({28, 28, 5}, uint8), kFlat);
        ADD_FAILURE() << "no error for 5 channels";
    } catch (const ShapeError& e) {
        EXPECT_NE(std::string(e.what()).find("(28, 28, 5)"), std::string::npos) << e.what();
    }
    EXPECT_THROW(io::image_to_input(zeros({0, 28}, uint8), kFlat), ShapeError);
    test::TempDir dir;
    std::ofstream(dir / "not.png") << "hello";
    try {
        io::read_image_input(dir / "not.png", kFlat);
        ADD_FAILURE() << "no error for a text file";
    } catch (const IOError& e) {
        EXPECT_NE(std::string(e.what()).find("not.png"), std::string::npos) << e.what();
    }
}
