#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "../src/io/ticks.hpp"
#include "support/temp_dir.hpp"
#include "nabla/io/image.hpp"
#include "nabla/io/plot.hpp"

using namespace nabla;

namespace {

// The book's five epochs (training) and a plausible validation run.
std::map<std::string, std::vector<double>> book_history() {
    return {{"loss", {0.2649, 0.1076, 0.0705, 0.0510, 0.0380}},
            {"accuracy", {0.9234, 0.9678, 0.9790, 0.9847, 0.9885}},
            {"val_loss", {0.1500, 0.1000, 0.0850, 0.0800, 0.0830}},
            {"val_accuracy", {0.9550, 0.9700, 0.9750, 0.9760, 0.9770}}};
}

struct Rgb {
    int r, g, b;
};

// Pixels close to a colour, within a column range of the picture.
std::vector<std::pair<int, int>> find_colour(const Tensor& img, Rgb c, int x0, int x1) {
    std::vector<std::pair<int, int>> out;
    const auto* p = img.data<std::uint8_t>();
    const int h = static_cast<int>(img.shape(0)), w = static_cast<int>(img.shape(1));
    for (int y = 0; y < h; ++y)
        for (int x = x0; x < x1; ++x) {
            const std::uint8_t* q = p + (static_cast<std::size_t>(y) * w + x) * 3;
            if (std::abs(q[0] - c.r) < 8 && std::abs(q[1] - c.g) < 8 && std::abs(q[2] - c.b) < 8)
                out.push_back({x, y});
        }
    return out;
}

// Mean row of the points in the leftmost and rightmost fifth of their span.
std::pair<double, double> left_right_height(const std::vector<std::pair<int, int>>& pts) {
    int lo = 1 << 30, hi = -1;
    for (auto [x, y] : pts) lo = std::min(lo, x), hi = std::max(hi, x);
    const int fifth = (hi - lo) / 5;
    double ls = 0, rs = 0;
    int ln = 0, rn = 0;
    for (auto [x, y] : pts) {
        if (x <= lo + fifth) ls += y, ++ln;
        if (x >= hi - fifth) rs += y, ++rn;
    }
    return {ls / ln, rs / rn};
}

}  // namespace

TEST(PlotHistory, TwoPanelsWithCurvesGoingTheRightWay) {
    test::TempDir dir;
    io::plot_history(dir / "curves.png", book_history());
    Tensor img = io::read_png(dir / "curves.png");
    ASSERT_EQ(img.shape(), (Shape{480, 1280, 3}));
    const Rgb blue{31, 119, 180}, orange{255, 127, 14};
    for (int panel = 0; panel < 2; ++panel) {
        const int x0 = panel * 640, x1 = x0 + 640;
        auto train = find_colour(img, blue, x0, x1);
        auto val = find_colour(img, orange, x0, x1);
        EXPECT_GT(train.size(), 500u) << "panel " << panel;
        EXPECT_GT(val.size(), 200u) << "panel " << panel;
        // Loss falls (the curve ends lower on the picture, larger y);
        // accuracy rises.
        auto [left, right] = left_right_height(train);
        if (panel == 0)
            EXPECT_LT(left, right - 100);
        else
            EXPECT_GT(left, right + 100);
    }
    // Text and axes are there: dark pixels in the title band and left of the plot.
    const Rgb ink{20, 20, 20};
    EXPECT_GT(find_colour(img, ink, 0, 640).size(), 1000u);
    bool title_ink = false;
    for (auto [x, y] : find_colour(img, ink, 0, 640)) title_ink |= y < 40;
    EXPECT_TRUE(title_ink);
}

TEST(PlotHistory, ValidationIsDashed) {
    test::TempDir dir;
    io::plot_history(dir / "v.png", {{"val_loss", {1.0, 1.0}}, {"loss", {0.0, 0.0}}});
    Tensor img = io::read_png(dir / "v.png");
    ASSERT_EQ(img.shape(), (Shape{480, 640, 3}));
    // A flat dashed line: walking along its row, orange alternates with background.
    auto val = find_colour(img, {255, 127, 14}, 0, 640);
    ASSERT_FALSE(val.empty());
    std::map<int, int> per_row;
    for (auto [x, y] : val) ++per_row[y];
    int row = std::max_element(per_row.begin(), per_row.end(),
                               [](auto a, auto b) { return a.second < b.second; })->first;
    int switches = 0;
    bool prev = false;
    for (int x = 100; x < 600; ++x) {
        const auto r = img.at<int>({row, x, 0}), g = img.at<int>({row, x, 1});
        const bool on = std::abs(r - 255) < 8 && std::abs(g - 127) < 8;
        switches += on != prev;
        prev = on;
    }
    EXPECT_GT(switches, 40);
}

TEST(PlotHistory, GapsSingleEpochAndOtherMetrics) {
    test::TempDir dir;
    io::plot_history(dir / "a.png", {{"loss", {0.5}}});
    EXPECT_EQ(io::read_png(dir / "a.png").shape(), (Shape{480, 640, 3}));
    io::plot_history(dir / "b.png", {{"loss", {1.0, NAN, 0.5, INFINITY, 0.2}},
                                     {"mae", {3, 2, 1}},
                                     {"val_mae", {NAN, NAN, NAN}}},
                     {400, 300});
    EXPECT_EQ(io::read_png(dir / "b.png").shape(), (Shape{300, 800, 3}));
}

TEST(PlotHistory, ErrorsAreNamed) {
    test::TempDir dir;
    EXPECT_THROW(io::plot_history(dir / "x.png", {}), ValueError);
    try {
        io::plot_history(dir / "x.png", {{"loss", {1.0}}, {"val_loss", {}}});
        ADD_FAILURE();
    } catch (const ValueError& e) {
        EXPECT_NE(std::string(e.what()).find("'val_loss' has no values"), std::string::npos);
    }
    EXPECT_THROW(io::plot_history(dir / "x.png", {{"loss", {1.0}}}, {100, 80}), ValueError);
    EXPECT_THROW(io::plot_history(dir / "missing" / "x.png", {{"loss", {1.0}}}), IOError);
}

TEST(Ticks, NiceNumbers) {
    using io::detail::format_tick;
    using io::detail::nice_ticks;
    auto t = nice_ticks(0.0, 1.0, 5);
    EXPECT_EQ(t.values, (std::vector<double>{0.0, 0.2, 0.4, 0.6, 0.8, 1.0}));
    EXPECT_EQ(t.decimals, 1);
    t = nice_ticks(0.0245, 0.277, 6);  // step 0.05
    ASSERT_EQ(t.values.size(), 5u);
    EXPECT_EQ(format_tick(t.values.front(), t.decimals), "0.05");
    EXPECT_EQ(format_tick(t.values.back(), t.decimals), "0.25");
    t = nice_ticks(1, 40, 8, true);
    EXPECT_EQ(t.values, (std::vector<double>{5, 10, 15, 20, 25, 30, 35, 40}));
    t = nice_ticks(-3, 3, 6);
    EXPECT_EQ(format_tick(t.values[3], t.decimals), "0");
    EXPECT_EQ(format_tick(-0.0001, 2), "0.00");
    EXPECT_LE(nice_ticks(0.91, 0.99, 6).values.size(), 7u);
}
