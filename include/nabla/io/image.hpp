#pragma once
// Pictures of tensors: what the book shows with matplotlib.
//
//   python                                        nabla
//   plt.imshow(digit, cmap=plt.cm.binary)         io::save_image("digit.png", train_images[4])
//   (a grid of test digits with predictions)      io::save_digit_grid("grid.png", x, y, pred)
//   (a quick look without leaving the terminal)   std::cout << io::render_terminal(x[4])
//
// Pixel values: uint8 and other integer tensors are 0..255; floats are 0..1
// (images divided by 255) and are scaled by 255; bool is 0 or 255. Anything
// else (a float image that was not divided by 255, a negative value, NaN) is
// a ValueError saying so, rather than a silently black or white picture.
// Files are written atomically: a reader never sees half a PNG.
#include <filesystem>
#include <optional>
#include <string>

#include "nabla/core/tensor.hpp"

namespace nabla::io {

enum class Colormap {
    binary,  // matplotlib's cm.binary, the book's choice: 0 -> white, 255 -> black
    gray,    // cm.gray: 0 -> black, 255 -> white
};

// The longer side an image gets when no scale is given: 28x28 digits are
// drawn 8x (224x224), as the nabla tool does; big images stay 1:1.
inline constexpr int kReadableImageSide = 224;

struct ImageOptions {
    Colormap cmap = Colormap::binary;
    // Each pixel becomes a scale x scale block (nearest neighbour), 1..64.
    // Unset: the smallest integer factor that makes the longer side at least
    // kReadableImageSide pixels (1 for images that are already that big).
    std::optional<int> scale;
};

// Saves a 2-D tensor (height, width) as an 8-bit greyscale PNG with a fixed
// value range (0 and 255 always map to the colormap's ends, as
// imshow(..., vmin=0, vmax=255)). An (height, width, 3) tensor is saved as an
// RGB PNG as given (imshow's RGB arrays: no colormap). ShapeError otherwise.
void save_image(const std::filesystem::path& path, const Tensor& image,
                const ImageOptions& options = {});

// Reads a PNG as stored (no colormap): uint8 (H, W) for greyscale,
// (H, W, 2) grey+alpha, (H, W, 3) RGB, (H, W, 4) RGBA; palettes are expanded
// and 16-bit samples reduced to 8 bits. IOError naming the file otherwise.
Tensor read_png(const std::filesystem::path& path);

struct DigitGridOptions {
    int columns = 10;
    int scale = 2;  // pixels per image pixel; labels scale with it
};

// A grid of images (N, H, W), or (N, H*W) with a square H*W such as 784,
// each labelled underneath with its true class "7". When `predicted` is
// given, as (N,) classes or (N, C) scores (argmax is taken, so the output of
// predict() can be passed directly), correct cells read "7" in green and
// mistakes read "7→1" (true→predicted) in red, framed in red. labels are
// (N,) integers. Colormap binary, as save_image.
void save_digit_grid(const std::filesystem::path& path, const Tensor& images,
                     const Tensor& labels, const Tensor& predicted = {},
                     const DigitGridOptions& options = {});

enum class TerminalColour {
    automatic,  // ascii when NO_COLOR is set, TERM is dumb or stdout is not a
                // terminal; truecolor when COLORTERM says so; ansi256 otherwise
    truecolor,  // 24-bit grey foreground/background
    ansi256,    // the 24-step grey ramp of 256-colour terminals
    ascii,      // plain characters " .:-=+*#%@" (two per pixel), no escapes
};

// A 2-D image as terminal text in the binary colormap (paper white, ink
// black). Colour modes draw two pixel rows per line with the upper half block
// "▀" (foreground = upper pixel, background = lower pixel), so a 28x28 digit
// takes 28 columns and 14 lines; each line ends with a reset and '\n'.
std::string render_terminal(const Tensor& image,
                            TerminalColour mode = TerminalColour::automatic);

}  // namespace nabla::io
