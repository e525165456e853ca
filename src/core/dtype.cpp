#include "nabla/core/dtype.hpp"

#include <array>
#include <ostream>

#include "nabla/core/error.hpp"

namespace nabla {

namespace {
constexpr std::array<std::string_view, 6> kNames = {"bool", "uint8", "int32", "int64", "float32", "float64"};
constexpr std::array<std::size_t, 6> kSizes = {1, 1, 4, 8, 4, 8};
}  // namespace

std::size_t itemsize(DType dt) noexcept { return kSizes[static_cast<int>(dt)]; }
std::string_view name(DType dt) noexcept { return kNames[static_cast<int>(dt)]; }

DType dtype_from_name(std::string_view s) {
    for (std::size_t i = 0; i < kNames.size(); ++i)
        if (kNames[i] == s) return static_cast<DType>(i);
    throw ValueError("unknown dtype '" + std::string(s) +
                     "'; valid dtypes are bool, uint8, int32, int64, float32, float64");
}

bool is_floating(DType dt) noexcept { return dt == DType::Float32 || dt == DType::Float64; }
bool is_integral(DType dt) noexcept {
    return dt == DType::UInt8 || dt == DType::Int32 || dt == DType::Int64;
}

DType promote_types(DType a, DType b) noexcept {
    if (a == b) return a;
    if (a > b) std::swap(a, b);  // now a < b in the lattice order
    if (b == DType::Float32 && (a == DType::Int32 || a == DType::Int64)) return DType::Float64;
    return b;
}

bool can_cast_same_kind(DType from, DType to) noexcept {
    switch (to) {
    case DType::Bool: return from == DType::Bool;
    case DType::UInt8: return from == DType::Bool || from == DType::UInt8;
    case DType::Int32:
    case DType::Int64: return !is_floating(from);
    case DType::Float32:
    case DType::Float64: return true;
    }
    return false;
}

std::ostream& operator<<(std::ostream& os, DType dt) { return os << name(dt); }

}  // namespace nabla
