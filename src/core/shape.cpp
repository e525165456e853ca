#include "nabla/core/shape.hpp"

#include <algorithm>

#include "nabla/core/error.hpp"

namespace nabla {

std::string to_string(const Shape& shape) {
    std::string s = "(";
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (i) s += ", ";
        s += std::to_string(shape[i]);
    }
    if (shape.size() == 1) s += ",";
    return s + ")";
}

std::int64_t numel(const Shape& shape) noexcept {
    std::int64_t n = 1;
    for (auto d : shape) n *= d;
    return n;
}

std::int64_t checked_numel(const Shape& shape, const char* op, std::size_t itemsize) {
    std::int64_t bytes = static_cast<std::int64_t>(itemsize), n = 1;
    bool empty = false, too_big = false;
    for (auto d : shape) {
        if (d < 0)
            throw ValueError(std::string(op) + ": negative dimensions are not allowed: shape " + to_string(shape));
        if (d == 0) empty = true;
        else if (!too_big) too_big = __builtin_mul_overflow(bytes, d, &bytes) || __builtin_mul_overflow(n, d, &n);
    }
    if (too_big)
        throw ValueError(std::string(op) + ": array is too big; shape " + to_string(shape) + " of " +
                         std::to_string(itemsize) + "-byte elements is larger than the maximum possible size "
                         "(its byte count does not fit in a signed 64-bit integer)");
    return empty ? 0 : n;
}

Strides contiguous_strides(const Shape& shape) {
    Strides st(shape.size());
    std::int64_t acc = 1;
    for (std::size_t i = shape.size(); i-- > 0;) {
        st[i] = acc;
        acc *= std::max<std::int64_t>(shape[i], 1);
    }
    return st;
}

int normalize_axis(std::int64_t axis, int ndim, const char* op) {
    if (axis < -ndim || axis >= ndim)
        throw IndexError(std::string(op) + ": axis " + std::to_string(axis) +
                         " is out of bounds for a tensor of dimension " + std::to_string(ndim));
    return static_cast<int>(axis < 0 ? axis + ndim : axis);
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
    const std::size_t n = std::max(a.size(), b.size());
    Shape out(n);
    for (std::size_t i = 0; i < n; ++i) {
        const std::int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
        const std::int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
        if (da != db && da != 1 && db != 1)
            throw ShapeError(std::string(op) + ": operands could not be broadcast together with shapes " +
                             to_string(a) + " " + to_string(b));
        out[i] = da == 1 ? db : da;
    }
    return out;
}

}  // namespace nabla
