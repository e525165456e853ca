#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "../src/io/font.hpp"
#include "support/temp_dir.hpp"
#include "nabla/io/image.hpp"
#include "nabla/io/idx.hpp"

using namespace nabla;
namespace fs = std::filesystem;

namespace {

const fs::path kMnist = fs::path(NABLA_SHARED_DATA_DIR) / "mnist";

// The pixels of a PNG as Pillow (an independent decoder) reads them, as
// space-separated numbers.
std::string pillow_pixels(const fs::path& png) {
    std::string cmd = std::string(NABLA_PYTHON) +
                      " -c \"import sys, numpy as np; from PIL import Image; "
                      "a = np.asarray(Image.open(sys.argv[1])); "
                      "print(a.shape, a.dtype, ' '.join(map(str, a.flatten())))\" '" +
                      png.string() + "'";
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
    std::string out;
    char buf[4096];
    while (pipe && fgets(buf, sizeof buf, pipe.get())) out += buf;
    if (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
}

std::vector<int> pixels(const Tensor& t) { return t.to_vector<int>(); }

template <typename E, typename F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const E& e) {
        return e.what();
    }
    ADD_FAILURE() << "expected exception not thrown";
    return "";
}

}  // namespace

TEST(SaveImage, BinaryColormapZeroIsWhite) {
    test::TempDir dir;
    Tensor img(std::vector<std::uint8_t>{0, 255, 128, 64, 1, 2}, {2, 3});
    io::save_image(dir / "a.png", img, {.scale = 1});
    Tensor back = io::read_png(dir / "a.png");
    EXPECT_EQ(back.shape(), (Shape{2, 3}));
    EXPECT_EQ(back.dtype(), uint8);
    EXPECT_EQ(pixels(back), (std::vector<int>{255, 0, 127, 191, 254, 253}));
    EXPECT_EQ(pillow_pixels(dir / "a.png"), "(2, 3) uint8 255 0 127 191 254 253");
    // No temporary file is left beside the picture.
    EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator{}), 1);
}

TEST(SaveImage, FloatsInUnitRangeGrayColormapAndScale) {
    test::TempDir dir;
    Tensor img(std::vector<float>{0.0f, 0.5f, 1.0f, 0.2f}, {2, 2});
    io::save_image(dir / "f.png", img, {io::Colormap::gray, 1});
    EXPECT_EQ(pixels(io::read_png(dir / "f.png")), (std::vector<int>{0, 128, 255, 51}));
    io::save_image(dir / "s.png", img, {io::Colormap::binary, 3});
    Tensor big = io::read_png(dir / "s.png");
    EXPECT_EQ(big.shape(), (Shape{6, 6}));
    EXPECT_EQ(big.at<int>({0, 0}), 255);
    EXPECT_EQ(big.at<int>({2, 5}), 127);  // block of pixel (0, 1)
    EXPECT_EQ(big.at<int>({5, 3}), 204);  // block of pixel (1, 1)
    Tensor mask(std::vector<bool>{true, false}, {1, 2});
    io::save_image(dir / "b.png", mask, {.scale = 1});
    EXPECT_EQ(pixels(io::read_png(dir / "b.png")), (std::vector<int>{0, 255}));
}

TEST(SaveImage, RealDigitMatchesItsPixels) {
    test::TempDir dir;
    Tensor digits = io::read_idx(kMnist / "t10k-images-idx3-ubyte.gz");
    Tensor digit = digits[4];  // a view; the book's train_images[4] is the same idea
    io::save_image(dir / "d.png", digit, {.scale = 1});
    std::vector<int> got = pixels(io::read_png(dir / "d.png"));
    std::vector<int> want = digit.to_vector<int>();
    for (int& v : want) v = 255 - v;
    EXPECT_EQ(got, want);
}

// Item 21 of issue 13: without a scale, a 28x28 digit was a 28x28-pixel PNG.
TEST(SaveImage, DefaultScaleIsReadable) {
    test::TempDir dir;
    Tensor digit = io::read_idx(kMnist / "t10k-images-idx3-ubyte.gz")[4];
    io::save_image(dir / "d.png", digit);
    Tensor big = io::read_png(dir / "d.png");
    EXPECT_EQ(big.shape(), (Shape{224, 224}));  // 8x, the nabla tool's scale
    for (int y : {0, 100, 223})
        for (int x : {0, 57, 223})
            EXPECT_EQ(big.at<int>({y, x}), 255 - digit.at<int>({y / 8, x / 8})) << y << "," << x;
    // An integer factor: the longer side reaches 224 (30 px -> 8x = 240).
    io::save_image(dir / "r.png", zeros({10, 30}, uint8));
    EXPECT_EQ(io::read_png(dir / "r.png").shape(), (Shape{80, 240}));
    // At most 64x; big images stay 1:1.
    io::save_image(dir / "t.png", zeros({1, 2}, uint8));
    EXPECT_EQ(io::read_png(dir / "t.png").shape(), (Shape{64, 128}));
    io::save_image(dir / "l.png", zeros({300, 5}, uint8));
    EXPECT_EQ(io::read_png(dir / "l.png").shape(), (Shape{300, 5}));
    // An explicit scale is kept.
    io::save_image(dir / "e.png", digit, {.scale = 2});
    EXPECT_EQ(io::read_png(dir / "e.png").shape(), (Shape{56, 56}));
}

TEST(SaveImage, BadInputsAreExplained) {
    test::TempDir dir;
    std::string msg = error_of<ValueError>([&] {
        io::save_image(dir / "x.png", Tensor(std::vector<float>{0, 254}, {1, 2}));
    });
    EXPECT_NE(msg.find("save_image: pixel value 254.000000 at index (0, 1) is outside [0, 1]"),
              std::string::npos) << msg;
    EXPECT_NE(msg.find("divide 0..255 pixels by 255"), std::string::npos) << msg;
    msg = error_of<ValueError>([&] {
        io::save_image(dir / "x.png", Tensor(std::vector<std::int32_t>{3, 300}, {2, 1}));
    });
    EXPECT_NE(msg.find("pixel value 300 at index (1, 0) is outside 0..255"), std::string::npos) << msg;
    msg = error_of<ShapeError>([&] { io::save_image(dir / "x.png", zeros({3, 28, 28}, uint8)); });
    EXPECT_NE(msg.find("got shape (3, 28, 28); pick one image, e.g. images[4]"), std::string::npos) << msg;
    EXPECT_THROW(io::save_image(dir / "x.png", zeros({2, 2}, uint8), {io::Colormap::binary, 0}),
                 ValueError);
    msg = error_of<IOError>([&] { io::save_image(dir / "no" / "x.png", zeros({2, 2}, uint8)); });
    EXPECT_NE(msg.find((dir / "no" / "x.png").string()), std::string::npos) << msg;
    EXPECT_FALSE(fs::exists(dir / "x.png"));
}

TEST(ReadPng, ErrorsNameTheFile) {
    test::TempDir dir;
    std::ofstream(dir / "fake.png") << "not a png at all";
    std::string msg = error_of<IOError>([&] { io::read_png(dir / "fake.png"); });
    EXPECT_NE(msg.find("fake.png' is not a readable PNG"), std::string::npos) << msg;
    EXPECT_THROW(io::read_png(dir / "missing.png"), IOError);
}

TEST(DigitGrid, LayoutLabelsAndHighlightedMistakes) {
    test::TempDir dir;
    Tensor images = io::read_idx(kMnist / "t10k-images-idx3-ubyte.gz")(Slice(0, 12));
    Tensor labels = io::read_idx(kMnist / "t10k-labels-idx1-ubyte.gz")(Slice(0, 12));
    Tensor pred = labels.astype(int32).copy();
    pred(3).assign(Tensor::scalar(5, int32));  // one mistake: the 4th digit (a 0) read as 5
    io::save_digit_grid(dir / "g.png", images, labels, pred, {5, 2});
    Tensor g = io::read_png(dir / "g.png");
    // 5 columns x 3 rows of cells (28*2 + 2*6) wide, (28*2 + 3*6 + 18) tall.
    EXPECT_EQ(g.shape(), (Shape{3 * 92, 5 * 68, 3}));
    auto rgb = [&](int y, int x) {
        return std::vector<int>{g.at<int>({y, x, 0}), g.at<int>({y, x, 1}), g.at<int>({y, x, 2})};
    };
    // Cell 3 (row 0, column 3) is tinted and framed in red; cell 2 is not.
    EXPECT_EQ(rgb(1, 3 * 68 + 1), (std::vector<int>{255, 228, 228}));
    EXPECT_EQ(rgb(1, 2 * 68 + 1), (std::vector<int>{255, 255, 255}));
    EXPECT_EQ(rgb(6 - 1, 3 * 68 + 20), (std::vector<int>{210, 0, 0}));  // frame above the image
    // Image pixels are the digits in the binary colormap.
    for (int y : {0, 10, 14, 27})
        for (int x : {0, 12, 16, 27}) {
            int v = 255 - images.at<int>({1, y, x});
            EXPECT_EQ(rgb(6 + 2 * y, 68 + 6 + 2 * x), (std::vector<int>{v, v, v})) << y << "," << x;
        }
    // The label strip of a correct cell has green ink, the mistake's red.
    auto strip_has = [&](int cell, std::vector<int> colour) {
        for (int y = 6 + 56 + 6; y < 92; ++y)
            for (int x = cell * 68; x < (cell + 1) * 68; ++x)
                if (rgb(y, x) == colour) return true;
        return false;
    };
    EXPECT_TRUE(strip_has(0, {0, 120, 0}));
    EXPECT_FALSE(strip_has(0, {210, 0, 0}));
    EXPECT_TRUE(strip_has(3, {210, 0, 0}));
}

TEST(DigitGrid, ScoresFlatImagesAndErrors) {
    test::TempDir dir;
    Tensor images = io::read_idx(kMnist / "t10k-images-idx3-ubyte.gz")(Slice(0, 3));
    Tensor labels = io::read_idx(kMnist / "t10k-labels-idx1-ubyte.gz")(Slice(0, 3));  // 7 2 1
    Tensor scores = zeros({3, 10});
    scores(0, 7).assign(Tensor::scalar(0.9));
    scores(1, 2).assign(Tensor::scalar(0.8));
    scores(2, 4).assign(Tensor::scalar(0.7));  // wrong: 1 read as 4
    Tensor classes(std::vector<std::int32_t>{7, 2, 4}, {3});
    io::save_digit_grid(dir / "scores.png", images.reshape({3, 784}), labels, scores);
    io::save_digit_grid(dir / "classes.png", images, labels, classes);
    EXPECT_EQ(pixels(io::read_png(dir / "scores.png")), pixels(io::read_png(dir / "classes.png")));
    // Without predictions every label is black.
    io::save_digit_grid(dir / "plain.png", images, labels);
    EXPECT_EQ(io::read_png(dir / "plain.png").shape(), (Shape{92, 3 * 68, 3}));

    EXPECT_THROW(io::save_digit_grid(dir / "x.png", images, labels(Slice(0, 2))), ShapeError);
    EXPECT_THROW(io::save_digit_grid(dir / "x.png", images, labels, zeros({2, 10})), ShapeError);
    Tensor not_square = images(Slice(), Slice(0, 27)).reshape({3, 27 * 28});
    std::string msg = error_of<ShapeError>([&] { io::save_digit_grid(dir / "x.png", not_square, labels); });
    EXPECT_NE(msg.find("got (3, 756)"), std::string::npos) << msg;
    EXPECT_THROW(io::save_digit_grid(dir / "x.png", images, labels, {}, {0, 2}), ValueError);
}

TEST(RenderTerminal, AsciiRamp) {
    Tensor img(std::vector<std::uint8_t>{0, 255, 128, 26}, {2, 2});
    EXPECT_EQ(io::render_terminal(img, io::TerminalColour::ascii), "  @@\n++..\n");
}

TEST(RenderTerminal, TrueColourHalfBlocks) {
    Tensor img(std::vector<std::uint8_t>{0, 255, 255, 255, 0, 55}, {3, 2});
    // Rows 0 and 1 share a line; row 2 sits on the default background.
    EXPECT_EQ(io::render_terminal(img, io::TerminalColour::truecolor),
              "\x1b[38;2;255;255;255m\x1b[48;2;0;0;0m\u2580"
              "\x1b[38;2;0;0;0m\u2580\x1b[0m\n"
              "\x1b[38;2;255;255;255m\x1b[49m\u2580"
              "\x1b[38;2;200;200;200m\u2580\x1b[0m\n");
}

TEST(RenderTerminal, Ansi256GreyRamp) {
    Tensor img(std::vector<std::uint8_t>{0, 255, 127, 200}, {2, 2});
    // white (231) over grey 128 (244); black (16) over grey 55 (237).
    EXPECT_EQ(io::render_terminal(img, io::TerminalColour::ansi256),
              "\x1b[38;5;231m\x1b[48;5;244m\u2580\x1b[38;5;16m\x1b[48;5;237m\u2580\x1b[0m\n");
}

TEST(RenderTerminal, AutomaticHonoursNoColorAndChecksShape) {
    test::ScopedEnv env("NO_COLOR", "1");
    Tensor img(std::vector<float>{1.0f}, {1, 1});
    EXPECT_EQ(io::render_terminal(img), "@@\n");
    EXPECT_THROW(io::render_terminal(zeros({2, 2, 2}, uint8)), ShapeError);
}

TEST(Font, EveryPrintableCharacterHasItsOwnGlyph) {
    using namespace io::detail;
    const Glyph& box = glyph(U'\uFFFD');
    for (char32_t c = 33; c < 127; ++c) {
        EXPECT_NE(glyph(c).rows, box.rows) << "no glyph for '" << static_cast<char>(c) << "'";
        bool inked = false;
        for (auto r : glyph(c).rows) inked |= r != 0;
        EXPECT_TRUE(inked) << static_cast<char>(c);
    }
    EXPECT_EQ(glyph(U'\u00e9').rows, box.rows);  // é: not in the font
    EXPECT_EQ(decode_utf8("7\u21921"), (std::u32string{U'7', U'\u2192', U'1'}));
    EXPECT_EQ(decode_utf8("a\xff"), (std::u32string{U'a', U'\uFFFD'}));
    EXPECT_TRUE(glyph(U'1').ink(2, 0));
    EXPECT_FALSE(glyph(U'1').ink(0, 0));
}
