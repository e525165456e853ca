// A PNG picture -> a model's input (nabla/io/image_input.hpp).
#include "nabla/io/image_input.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "nabla/core/error.hpp"
#include "nabla/io/image.hpp"

namespace nabla::io {
namespace {

// Grey levels 0..255 of one picture, row-major, in double.
struct Grey {
    std::int64_t height = 0, width = 0;
    std::vector<double> v;
    double at(std::int64_t y, std::int64_t x) const { return v[static_cast<std::size_t>(y * width + x)]; }
};

// The model's (height, width) from its input shape; ShapeError otherwise.
std::pair<std::int64_t, std::int64_t> target_size(const Shape& in) {
    const std::string why = "image_to_input: the model's input shape " + to_string(in) +
                            " is not an image input; expected (None, H*W) with a square H*W such as "
                            "784, (None, H, W) or (None, H, W, 1)";
    if (in.size() == 2 && in[1] > 0) {
        const auto side = static_cast<std::int64_t>(std::llround(std::sqrt(static_cast<double>(in[1]))));
        if (side * side == in[1]) return {side, side};
    } else if ((in.size() == 3 || (in.size() == 4 && in[3] == 1)) && in[1] > 0 && in[2] > 0) {
        return {in[1], in[2]};
    }
    throw ShapeError(why);
}

// Step 1 and 2 of the header: grey, alpha over the background, inverted.
Grey to_grey(const Tensor& image, bool invert) {
    if (!image.defined()) throw ValueError("image_to_input: the image tensor is undefined");
    if (image.dtype() != uint8)
        throw DTypeError("image_to_input: expected a uint8 picture as read_png gives, got " +
                         std::string(name(image.dtype())) + " of shape " + to_string(image.shape()));
    const int c = image.ndim() == 2 ? 1 : image.ndim() == 3 ? static_cast<int>(image.shape(2)) : 0;
    if (c < 1 || c > 4 || image.shape(0) == 0 || image.shape(1) == 0)
        throw ShapeError("image_to_input: expected a (H, W) grey or (H, W, 2|3|4) grey+alpha/RGB/RGBA "
                         "picture with H, W > 0, got shape " + to_string(image.shape()));
    const std::vector<std::uint8_t> px = image.to_vector<std::uint8_t>();
    Grey g{image.shape(0), image.shape(1), {}};
    g.v.resize(static_cast<std::size_t>(g.height * g.width));
    const bool alpha = c == 2 || c == 4;
    const double background = invert ? 255.0 : 0.0;
    for (std::size_t i = 0; i < g.v.size(); ++i) {
        const std::uint8_t* p = px.data() + i * static_cast<std::size_t>(c);
        double level = c >= 3 ? 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2] : p[0];
        if (alpha) {
            const double a = p[c - 1] / 255.0;
            level = a * level + (1.0 - a) * background;
        }
        g.v[i] = invert ? 255.0 - level : level;
    }
    return g;
}

// Step 3: centred on a square of background (0 after inversion).
Grey squared(Grey g) {
    const std::int64_t side = std::max(g.height, g.width);
    if (g.height == g.width) return g;
    Grey s{side, side, std::vector<double>(static_cast<std::size_t>(side * side), 0.0)};
    const std::int64_t top = (side - g.height) / 2, left = (side - g.width) / 2;
    for (std::int64_t y = 0; y < g.height; ++y)
        std::copy_n(g.v.begin() + y * g.width, g.width, s.v.begin() + (top + y) * side + left);
    return s;
}

// How much of source cell k ([k, k+1)) the output cell [lo, hi) covers.
double overlap(double lo, double hi, std::int64_t k) {
    return std::max(0.0, std::min(hi, static_cast<double>(k + 1)) - std::max(lo, static_cast<double>(k)));
}

// Step 4: area averaging to (h, w).
std::vector<float> area_resample(const Grey& g, std::int64_t h, std::int64_t w) {
    std::vector<float> out(static_cast<std::size_t>(h * w));
    const double sy = static_cast<double>(g.height) / h, sx = static_cast<double>(g.width) / w;
    for (std::int64_t oy = 0; oy < h; ++oy) {
        const double y0 = oy * sy, y1 = (oy + 1) * sy;
        for (std::int64_t ox = 0; ox < w; ++ox) {
            const double x0 = ox * sx, x1 = (ox + 1) * sx;
            double sum = 0.0;
            for (auto y = static_cast<std::int64_t>(y0); y < g.height && y < y1; ++y) {
                const double wy = overlap(y0, y1, y);
                for (auto x = static_cast<std::int64_t>(x0); x < g.width && x < x1; ++x)
                    sum += wy * overlap(x0, x1, x) * g.at(y, x);
            }
            out[static_cast<std::size_t>(oy * w + ox)] = static_cast<float>(sum / (sy * sx) / 255.0);
        }
    }
    return out;
}

}  // namespace

Tensor image_to_input(const Tensor& image, const Shape& input_shape, const ImageInputOptions& options) {
    const auto [h, w] = target_size(input_shape);
    std::vector<float> values = area_resample(squared(to_grey(image, options.invert)), h, w);
    for (float& v : values) v = std::clamp(v, 0.0f, 1.0f);  // rounding of the weights
    Shape shape = input_shape;
    shape[0] = 1;
    return Tensor(values, shape);
}

Tensor read_image_input(const std::filesystem::path& png, const Shape& input_shape,
                        const ImageInputOptions& options) {
    return image_to_input(read_png(png), input_shape, options);
}

}  // namespace nabla::io
