#include <algorithm>
#include <cmath>

#include "io/pixels.hpp"
#include "io/raster.hpp"
#include "io/replace_file.hpp"
#include "nabla/io/image.hpp"

namespace nabla::io {
namespace {

using detail::Canvas;
using detail::Rect;
using detail::Rgb;

constexpr Rgb kWhite{255, 255, 255};
constexpr Rgb kBlack{0, 0, 0};
constexpr Rgb kFrame{200, 200, 200};
constexpr Rgb kGood{0, 120, 0};
constexpr Rgb kBad{210, 0, 0};
constexpr Rgb kBadTint{255, 228, 228};

// (N, H, W), or (N, D) with D a perfect square -> {N, H, W}.
std::array<std::int64_t, 3> grid_geometry(const Tensor& images) {
    if (images.defined() && images.ndim() == 3)
        return {images.shape(0), images.shape(1), images.shape(2)};
    if (images.defined() && images.ndim() == 2) {
        auto side = static_cast<std::int64_t>(std::lround(std::sqrt(double(images.shape(1)))));
        if (side * side == images.shape(1)) return {images.shape(0), side, side};
    }
    throw ShapeError("save_digit_grid: expected images of shape (N, H, W) or (N, H*W) with a "
                     "square H*W, got " +
                     (images.defined() ? to_string(images.shape()) : std::string("<undefined>")));
}

// Predicted classes from (N,) classes or (N, C) scores.
std::vector<std::int64_t> predicted_classes(const Tensor& p, std::int64_t n) {
    if (p.ndim() == 1 && p.shape(0) == n) return p.to_vector<std::int64_t>();
    if (p.ndim() == 2 && p.shape(0) == n && p.shape(1) > 0) {
        std::vector<double> v = p.to_vector<double>();
        const std::int64_t c = p.shape(1);
        std::vector<std::int64_t> out(static_cast<std::size_t>(n));
        for (std::int64_t i = 0; i < n; ++i)
            out[i] = std::max_element(v.begin() + i * c, v.begin() + (i + 1) * c) - (v.begin() + i * c);
        return out;
    }
    throw ShapeError("save_digit_grid: predicted must be (N,) classes or (N, C) scores with N = " +
                     std::to_string(n) + ", got " + to_string(p.shape()));
}

}  // namespace

void save_digit_grid(const std::filesystem::path& path, const Tensor& images, const Tensor& labels,
                     const Tensor& predicted, const DigitGridOptions& options) {
    auto [n, h, w] = grid_geometry(images);
    if (n == 0) throw ValueError("save_digit_grid: no images to draw (N = 0)");
    if (!labels.defined() || labels.ndim() != 1 || labels.shape(0) != n)
        throw ShapeError("save_digit_grid: labels must have shape (" + std::to_string(n) +
                         ",) to match the images, got " +
                         (labels.defined() ? to_string(labels.shape()) : std::string("<undefined>")));
    if (options.columns < 1 || options.scale < 1 || options.scale > 16)
        throw ValueError("save_digit_grid: columns must be >= 1 and scale in 1..16, got columns=" +
                         std::to_string(options.columns) + ", scale=" + std::to_string(options.scale));
    const std::vector<std::int64_t> truth = labels.to_vector<std::int64_t>();
    std::vector<std::int64_t> guess;
    if (predicted.defined()) guess = predicted_classes(predicted, n);
    const std::vector<std::uint8_t> ink = detail::levels(images, "save_digit_grid");

    const int s = options.scale, pad = 3 * s;
    const int cols = static_cast<int>(std::min<std::int64_t>(options.columns, n));
    const int rows = static_cast<int>((n + cols - 1) / cols);
    const int cell_w = static_cast<int>(w) * s + 2 * pad;
    const int cell_h = static_cast<int>(h) * s + 3 * pad + Canvas::text_height(s);
    Canvas canvas(cols * cell_w, rows * cell_h, kWhite);
    for (std::int64_t i = 0; i < n; ++i) {
        const int cx = static_cast<int>(i % cols) * cell_w, cy = static_cast<int>(i / cols) * cell_h;
        const bool judged = !guess.empty(), wrong = judged && guess[i] != truth[i];
        if (wrong) canvas.fill_rect({cx, cy, cx + cell_w, cy + cell_h}, kBadTint);
        const Rect img{cx + pad, cy + pad, cx + pad + static_cast<int>(w) * s,
                       cy + pad + static_cast<int>(h) * s};
        const std::uint8_t* src = &ink[static_cast<std::size_t>(i * h * w)];
        for (int y = 0; y < h * s; ++y)
            for (int x = 0; x < w * s; ++x) {
                const auto g = static_cast<std::uint8_t>(255 - src[(y / s) * w + x / s]);
                canvas.blend(img.x0 + x, img.y0 + y, {g, g, g}, 1.0);
            }
        const int t = wrong ? s : 1;
        canvas.outline_rect({img.x0 - t, img.y0 - t, img.x1 + t, img.y1 + t}, t, wrong ? kBad : kFrame);
        std::string text = std::to_string(truth[i]);
        if (wrong) text += "\u2192" + std::to_string(guess[i]);
        const int tx = cx + (cell_w - Canvas::text_width(text, s)) / 2;
        canvas.text(tx, img.y1 + pad, text, s, !judged ? kBlack : wrong ? kBad : kGood);
    }
    detail::replace_file(path, detail::encode_png(canvas.pixels().data(), canvas.width(),
                                                  canvas.height(), 3, path.string()));
}

}  // namespace nabla::io
