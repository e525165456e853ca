#pragma once
// Internal: tensor values -> 8-bit pixel levels, and PNG encoding, shared by
// save_image, save_digit_grid, render_terminal and plot_history.
#include <cstdint>
#include <string>
#include <vector>

#include "nabla/core/tensor.hpp"

namespace nabla::io::detail {

// The values of `image` (any rank, C order) as levels 0..255 following the
// rules in nabla/io/image.hpp; ValueError naming `op`, the value and its
// index otherwise.
std::vector<std::uint8_t> levels(const Tensor& image, const char* op);

// PNG bytes of 8-bit pixels, rows top to bottom; channels is 1 (grey) or 3
// (RGB). IOError naming `what` if libpng fails.
std::vector<std::uint8_t> encode_png(const std::uint8_t* pixels, int width, int height,
                                     int channels, const std::string& what);

}  // namespace nabla::io::detail
