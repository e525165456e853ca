#pragma once
// Typed exceptions. A library never aborts its caller: every failure is one of
// these, and each message carries the data (op, shapes, file, likely fix).
#include <stdexcept>
#include <string>

namespace nabla {

struct Error : std::runtime_error {
    using std::runtime_error::runtime_error;
};
// Shapes that do not fit together (broadcasting, dot, reshape, layer inputs).
struct ShapeError : Error {
    using Error::Error;
};
// An index or axis out of range.
struct IndexError : Error {
    using Error::Error;
};
// An operation that does not support the given dtype.
struct DTypeError : Error {
    using Error::Error;
};
// A bad argument value (negative size, unknown name, bad rate...).
struct ValueError : Error {
    using Error::Error;
};
// An allocation the machine cannot satisfy (NumPy's MemoryError).
struct MemoryError : Error {
    using Error::Error;
};
// A number that does not fit the dtype it must take (NumPy's OverflowError:
// uint8_tensor + 300).
struct OverflowError : Error {
    using Error::Error;
};
// Files, downloads, corrupt data.
struct IOError : Error {
    using Error::Error;
};

}  // namespace nabla
