// PNG files through libpng's simplified API (png_image_*), which does the
// setjmp error handling inside libpng, so no longjmp crosses C++ frames.
#include <png.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>

#include "io/pixels.hpp"
#include "io/replace_file.hpp"
#include "nabla/io/image.hpp"

namespace nabla::io {
namespace detail {
namespace {

std::string position(std::int64_t flat, const Shape& shape) {
    Shape idx(shape.size());
    for (std::size_t k = shape.size(); k-- > 0;) {
        idx[k] = flat % shape[k];
        flat /= shape[k];
    }
    return to_string(idx);
}

[[noreturn]] void bad_value(const char* op, const std::string& value, std::int64_t i,
                            const Tensor& t, const std::string& rule) {
    throw ValueError(std::string(op) + ": pixel value " + value + " at index " +
                     position(i, t.shape()) + " is " + rule);
}

}  // namespace

std::vector<std::uint8_t> levels(const Tensor& image, const char* op) {
    if (!image.defined()) throw ValueError(std::string(op) + ": the image tensor is undefined");
    const std::int64_t n = image.size();
    if (image.dtype() == uint8) return image.to_vector<std::uint8_t>();
    std::vector<std::uint8_t> out(static_cast<std::size_t>(n));
    if (image.dtype() == bool_) {
        auto v = image.to_vector<std::uint8_t>();
        for (std::int64_t i = 0; i < n; ++i) out[i] = v[i] ? 255 : 0;
    } else if (is_floating(image.dtype())) {
        auto v = image.to_vector<double>();
        for (std::int64_t i = 0; i < n; ++i) {
            if (!(v[i] >= 0.0 && v[i] <= 1.0))
                bad_value(op, std::to_string(v[i]), i, image,
                          "outside [0, 1]: float images are drawn from 0 (no ink) to 1 (full "
                          "ink); divide 0..255 pixels by 255, or pass the uint8 tensor");
            out[i] = static_cast<std::uint8_t>(std::lround(v[i] * 255.0));
        }
    } else {
        auto v = image.to_vector<std::int64_t>();
        for (std::int64_t i = 0; i < n; ++i) {
            if (v[i] < 0 || v[i] > 255)
                bad_value(op, std::to_string(v[i]), i, image, "outside 0..255");
            out[i] = static_cast<std::uint8_t>(v[i]);
        }
    }
    return out;
}

std::vector<std::uint8_t> encode_png(const std::uint8_t* pixels, int width, int height,
                                     int channels, const std::string& what) {
    png_image img{};
    img.version = PNG_IMAGE_VERSION;
    img.width = static_cast<png_uint_32>(width);
    img.height = static_cast<png_uint_32>(height);
    img.format = channels == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
    png_alloc_size_t size = 0;
    if (png_image_write_to_memory(&img, nullptr, &size, 0, pixels, 0, nullptr)) {
        std::vector<std::uint8_t> out(size);
        if (png_image_write_to_memory(&img, out.data(), &size, 0, pixels, 0, nullptr)) {
            out.resize(size);
            return out;
        }
    }
    std::string why = img.message;
    png_image_free(&img);
    throw IOError("cannot encode '" + what + "' as PNG: " + why);
}

}  // namespace detail

namespace {

// The smallest integer factor that brings the longer side to a readable
// size; a 28x28 digit is otherwise a speck on a modern screen.
int auto_scale(int h, int w) {
    const int longer = std::max(h, w);
    return std::clamp((kReadableImageSide + longer - 1) / longer, 1, 64);
}

}  // namespace

void save_image(const std::filesystem::path& path, const Tensor& image,
                const ImageOptions& options) {
    const bool rgb = image.defined() && image.ndim() == 3 && image.shape(2) == 3;
    if (!image.defined() || (image.ndim() != 2 && !rgb))
        throw ShapeError("save_image: expected a 2-D (height, width) image or an RGB (height, width, 3) "
                         "one, got shape " +
                         (image.defined() ? to_string(image.shape()) : std::string("<undefined>")) +
                         (image.defined() && image.ndim() == 3 && !rgb
                              ? "; pick one image, e.g. images[4]"
                              : ""));
    if (options.scale && (*options.scale < 1 || *options.scale > 64))
        throw ValueError("save_image: scale must be in 1..64, got " + std::to_string(*options.scale) +
                         " (leave it unset for a readable size)");
    const auto h = static_cast<int>(image.shape(0)), w = static_cast<int>(image.shape(1));
    if (h == 0 || w == 0)
        throw ShapeError("save_image: cannot save an empty image of shape " + to_string(image.shape()));
    const int s = options.scale.value_or(auto_scale(h, w));
    const int c = rgb ? 3 : 1;  // RGB is stored as given, as imshow does: no colormap
    std::vector<std::uint8_t> v = detail::levels(image, "save_image");
    std::vector<std::uint8_t> px(static_cast<std::size_t>(h) * s * w * s * c);
    for (int y = 0; y < h * s; ++y)
        for (int x = 0; x < w * s; ++x)
            for (int k = 0; k < c; ++k) {
                std::uint8_t level = v[(static_cast<std::size_t>(y / s) * w + x / s) * c + k];
                if (!rgb && options.cmap == Colormap::binary) level = static_cast<std::uint8_t>(255 - level);
                px[(static_cast<std::size_t>(y) * w * s + x) * c + k] = level;
            }
    detail::replace_file(path, detail::encode_png(px.data(), w * s, h * s, c, path.string()));
}

Tensor read_png(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw IOError("read_png: cannot open '" + path.string() + "': " + std::strerror(errno));
    std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>(in), {}};
    png_image img{};
    img.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&img, bytes.data(), bytes.size()))
        throw IOError("read_png: '" + path.string() + "' is not a readable PNG: " + img.message);
    const bool colour = img.format & PNG_FORMAT_FLAG_COLOR;
    const bool alpha = img.format & PNG_FORMAT_FLAG_ALPHA;
    img.format = colour ? (alpha ? PNG_FORMAT_RGBA : PNG_FORMAT_RGB)
                        : (alpha ? PNG_FORMAT_GA : PNG_FORMAT_GRAY);
    const int channels = PNG_IMAGE_SAMPLE_CHANNELS(img.format);
    Shape shape{static_cast<std::int64_t>(img.height), static_cast<std::int64_t>(img.width)};
    if (channels > 1) shape.push_back(channels);
    Tensor t = Tensor::uninitialized(shape, uint8);
    if (!png_image_finish_read(&img, nullptr, t.raw_data(), 0, nullptr)) {
        std::string why = img.message;
        png_image_free(&img);
        throw IOError("read_png: '" + path.string() + "' is corrupt: " + why);
    }
    return t;
}

}  // namespace nabla::io
