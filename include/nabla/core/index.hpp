#pragma once
// NumPy indexing vocabulary, spelled as in PyTorch's C++ API:
//   python                      nabla
//   x[10:100]                   x.index({Slice(10, 100)})   or x(Slice(10, 100))
//   x[:, 14:, 14:]              x(Slice(), Slice(14, None), Slice(14, None))
//   x[:, 7:-7, 7:-7]            x(Slice(), Slice(7, -7), Slice(7, -7))
//   x[4]                        x[4]
//   x[..., 0]                   x(Ellipsis, 0)
//   x[::-1]                     x(Slice(None, None, -1))
//   x[None]                     x(NewAxis)
#include <cstdint>
#include <optional>
#include <variant>

namespace nabla {

inline constexpr std::nullopt_t None = std::nullopt;

// start:stop:step with Python's clamping rules; std::nullopt (None) is an
// open end.
struct Slice {
    std::optional<std::int64_t> start, stop, step;
    Slice() = default;
    Slice(std::optional<std::int64_t> start_, std::optional<std::int64_t> stop_,
          std::optional<std::int64_t> step_ = std::nullopt)
        : start(start_), stop(stop_), step(step_) {}
};

struct EllipsisType {};
struct NewAxisType {};
inline constexpr EllipsisType Ellipsis{};
inline constexpr NewAxisType NewAxis{};

// One item of an index expression: an integer drops the axis, a Slice keeps
// it, Ellipsis stands for as many whole axes as needed, NewAxis inserts a
// length-1 axis.
struct Index {
    std::variant<std::int64_t, Slice, EllipsisType, NewAxisType> item;
    Index(int i) : item(std::int64_t{i}) {}
    Index(long i) : item(std::int64_t{i}) {}
    Index(long long i) : item(std::int64_t{i}) {}
    Index(Slice s) : item(s) {}
    Index(EllipsisType e) : item(e) {}
    Index(NewAxisType n) : item(n) {}
};

}  // namespace nabla
