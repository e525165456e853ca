#pragma once
// Element types and NumPy-style type promotion.
#include <cstddef>
#include <concepts>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>

namespace nabla {

enum class DType : std::uint8_t { Bool, UInt8, Int32, Int64, Float32, Float64 };

inline constexpr DType bool_ = DType::Bool;
inline constexpr DType uint8 = DType::UInt8;
inline constexpr DType int32 = DType::Int32;
inline constexpr DType int64 = DType::Int64;
inline constexpr DType float32 = DType::Float32;
inline constexpr DType float64 = DType::Float64;

std::size_t itemsize(DType dt) noexcept;
// NumPy's names: "float32", "uint8", "bool"...
std::string_view name(DType dt) noexcept;
// Inverse of name(); throws ValueError listing the valid names.
DType dtype_from_name(std::string_view s);
// std::cout << x.dtype() prints NumPy's name ("uint8"); found by
// argument-dependent lookup, so no using-directive is needed.
std::ostream& operator<<(std::ostream& os, DType dt);

bool is_floating(DType dt) noexcept;
bool is_integral(DType dt) noexcept;  // bool excluded

// NumPy's promotion for two array operands (np.result_type of two arrays):
// bool < uint8 < int32 < int64 < float32 < float64, except that uint8 with
// int32 gives int32, and any integer with float32 gives float32 only for
// uint8 (NumPy gives float64 for int32/int64 with float32).
DType promote_types(DType a, DType b) noexcept;

// NumPy's np.can_cast(from, to, "same_kind"): a safe cast, or one within a
// kind (float64 -> float32, int64 -> int32). What a += b needs of a's dtype
// and the result's: bool only from bool, uint8 only from bool and uint8,
// the signed integers from any integer, the floats from anything.
bool can_cast_same_kind(DType from, DType to) noexcept;

// C++ type <-> DType.
template <typename T>
struct dtype_of;
template <> struct dtype_of<bool> { static constexpr DType value = DType::Bool; };
template <> struct dtype_of<std::uint8_t> { static constexpr DType value = DType::UInt8; };
template <> struct dtype_of<std::int32_t> { static constexpr DType value = DType::Int32; };
template <> struct dtype_of<std::int64_t> { static constexpr DType value = DType::Int64; };
template <> struct dtype_of<float> { static constexpr DType value = DType::Float32; };
template <> struct dtype_of<double> { static constexpr DType value = DType::Float64; };
template <typename T>
inline constexpr DType dtype_of_v = dtype_of<T>::value;

// A C++ number: what Tensor(12), Tensor{1, 2}, x + 1 and maximum(z, 0.) take.
template <typename S>
concept Scalar = std::integral<S> || std::floating_point<S>;

// The dtype a C++ number (or a list of them) takes when no dtype is given,
// PyTorch's rule for torch.tensor: bool -> bool, any other integer -> int64,
// any floating type -> float32 (the library's default float; NumPy would
// give float64). Tensor(12) is int64, Tensor{1.5, 2.} float32.
template <Scalar S>
inline constexpr DType default_dtype_of = std::same_as<S, bool> ? DType::Bool
                                          : std::integral<S>    ? DType::Int64
                                                                : DType::Float32;

}  // namespace nabla
