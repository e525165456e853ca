#pragma once
// A picture as a model's input: what a deployed digit classifier does with a
// PNG a user drew (examples/deploy/, `nabla predict model.keras --image x.png`).
//
//   Tensor x = io::read_image_input("digit.png", model.input_shape());
//   Tensor probs = model.predict(x);              // (1, 10)
//
// The conversion, in order:
//   1. grey: RGB becomes luma 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601, as
//      PIL's convert("L")); transparent pixels become background (alpha
//      blends with black, or with white under `invert`);
//   2. `invert` (a dark digit on a light background) maps v -> 255 - v, so
//      the digit is light on dark as MNIST stores them;
//   3. a non-square picture is centred on a square of background;
//   4. area averaging to the model's height x width: each output pixel is the
//      mean of the source area it covers (fractional edges weighted), which
//      neither drops thin strokes when shrinking nor invents detail;
//   5. divided by 255 (the book's scaling) as float32.
#include <filesystem>

#include "nabla/core/tensor.hpp"

namespace nabla::io {

struct ImageInputOptions {
    // The picture is a dark digit on a light background (ink on paper).
    bool invert = false;
};

// `image` is uint8 (H, W) grey, (H, W, 2) grey+alpha, (H, W, 3) RGB or
// (H, W, 4) RGBA, as read_png returns. `input_shape` is the model's input
// shape, batch axis first as Sequential::input_shape() gives it: (None, H*W)
// with a square H*W such as 784, (None, H, W) or (None, H, W, 1). The result
// is float32 in [0, 1] of that shape with a batch of 1. ShapeError or
// DTypeError naming both shapes otherwise.
Tensor image_to_input(const Tensor& image, const Shape& input_shape, const ImageInputOptions& options = {});

// read_png + image_to_input; IOError naming the file if it is not a PNG.
Tensor read_image_input(const std::filesystem::path& png, const Shape& input_shape,
                        const ImageInputOptions& options = {});

}  // namespace nabla::io
