#pragma once
// Shapes and strides: vectors of int64, shapes printed the NumPy way.
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

namespace nabla {

// A tensor's shape. It is a std::vector<std::int64_t> (brace initialisation
// Shape{2, 3}, size(), indexing, iteration, insert, comparisons, conversion
// to and from std::vector<std::int64_t>, std::span views) that is its own
// type in namespace nabla, so that argument-dependent lookup finds nabla's
// operator<< below: std::cout << x.shape() prints "(60000, 28, 28)" with or
// without `using namespace nabla`.
struct Shape : std::vector<std::int64_t> {
    using vector::vector;
    Shape() = default;
    Shape(const std::vector<std::int64_t>& v) : vector(v) {}  // NOLINT(google-explicit-constructor)
    Shape(std::vector<std::int64_t>&& v) noexcept : vector(std::move(v)) {}  // NOLINT(google-explicit-constructor)
};
using Strides = std::vector<std::int64_t>;  // in elements, may be negative

// "(60000, 28, 28)", "(5,)", "()"
std::string to_string(const Shape& shape);
// std::cout << x.shape() prints "(60000, 28, 28)" (found by argument-
// dependent lookup: no using-directive needed).
std::ostream& operator<<(std::ostream& os, const Shape& shape);
// Product of the sizes (1 for a scalar).
std::int64_t numel(const Shape& shape) noexcept;
// The element count of a shape about to be created, checked as NumPy does:
// a negative size throws ValueError, and so does a shape whose nonzero sizes
// times `itemsize` overflow a signed 64-bit byte count (even when another
// size is 0): "<op>: array is too big; ...". Every path that makes a shape
// (creation, reshape, broadcasting, from_storage) goes through this, so
// numel() of an existing tensor's shape never overflows.
std::int64_t checked_numel(const Shape& shape, const char* op, std::size_t itemsize = 1);
// Row-major (C order) strides in elements.
Strides contiguous_strides(const Shape& shape);
// Normalises a possibly negative axis for a tensor of rank ndim; throws
// IndexError naming the op, the axis and the rank.
int normalize_axis(std::int64_t axis, int ndim, const char* op);
// NumPy broadcasting of two shapes; throws ShapeError
// "<op>: operands could not be broadcast together with shapes (3, 4) (5,)".
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

}  // namespace nabla
