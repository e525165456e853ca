#pragma once
// Shapes and strides: plain vectors of int64, printed the NumPy way.
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace nabla {

using Shape = std::vector<std::int64_t>;
using Strides = std::vector<std::int64_t>;  // in elements, may be negative

// "(60000, 28, 28)", "(5,)", "()"
std::string to_string(const Shape& shape);
// std::cout << x.shape() prints "(60000, 28, 28)". Shape is a std::vector,
// so argument-dependent lookup does not find this operator: it is found with
// `using namespace nabla;` (as the book's listings are written) or
// `using nabla::operator<<;`; elsewhere print nabla::to_string(x.shape()).
std::ostream& operator<<(std::ostream& os, const Shape& shape);
// Product of the sizes (1 for a scalar).
std::int64_t numel(const Shape& shape) noexcept;
// Row-major (C order) strides in elements.
Strides contiguous_strides(const Shape& shape);
// Normalises a possibly negative axis for a tensor of rank ndim; throws
// IndexError naming the op, the axis and the rank.
int normalize_axis(std::int64_t axis, int ndim, const char* op);
// NumPy broadcasting of two shapes; throws ShapeError
// "<op>: operands could not be broadcast together with shapes (3, 4) (5,)".
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

}  // namespace nabla
