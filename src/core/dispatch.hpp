#pragma once
// Internal: run a generic lambda with the C++ type of a runtime dtype.
//   dispatch(t.dtype(), [&]<typename T>() { ... T ... });
#include <cstdint>

#include "nabla/core/dtype.hpp"
#include "nabla/core/error.hpp"

namespace nabla::detail {

template <typename F>
decltype(auto) dispatch(DType dt, F&& f) {
    switch (dt) {
        case DType::Bool: return f.template operator()<bool>();
        case DType::UInt8: return f.template operator()<std::uint8_t>();
        case DType::Int32: return f.template operator()<std::int32_t>();
        case DType::Int64: return f.template operator()<std::int64_t>();
        case DType::Float32: return f.template operator()<float>();
        case DType::Float64: return f.template operator()<double>();
    }
    throw DTypeError("unknown dtype");
}

// Only the floating types (float32, float64); others throw DTypeError naming op.
template <typename F>
decltype(auto) dispatch_floating(DType dt, const char* op, F&& f) {
    switch (dt) {
        case DType::Float32: return f.template operator()<float>();
        case DType::Float64: return f.template operator()<double>();
        default: break;
    }
    throw DTypeError(std::string(op) + ": expected a float32 or float64 tensor, got " +
                     std::string(name(dt)));
}

}  // namespace nabla::detail
