#pragma once
// The N-d tensor: dtype + shape + strides + offset over shared storage.
//
// Invariant (the one piece of stride arithmetic everything else relies on):
//   element (i0, ..., in-1) lives at
//     storage.data() + itemsize * (offset + sum_k i_k * strides[k])
// Strides are in elements and may be zero (broadcast views) or negative
// (reversed slices). A tensor is "contiguous" when its strides equal
// contiguous_strides(shape) (C order); offset may be anything.
//
// Copying a Tensor copies a handle, as in NumPy/PyTorch: both handles name the
// same tensor (same id()). Views (slicing, transpose, reshape of contiguous
// data, expand_dims, squeeze, broadcast_to) are new tensors that share the
// storage: writing through a view changes the base.
#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "nabla/core/dtype.hpp"
#include "nabla/core/error.hpp"
#include "nabla/core/index.hpp"
#include "nabla/core/shape.hpp"
#include "nabla/core/storage.hpp"

namespace nabla {

// Internal: reading nested initializer lists of C++ numbers (Tensor{{1, 2}}).
namespace detail {
// Integers are carried as int64 (exactly), floating values as double.
template <Scalar T>
using ListValue = std::conditional_t<std::integral<T>, std::int64_t, double>;
[[noreturn]] void throw_list_overflow(std::uint64_t value);
[[noreturn]] void throw_ragged_list(std::int64_t expected, std::size_t got);
template <Scalar T>
ListValue<T> list_value(T v) {
    if constexpr (std::unsigned_integral<T> && sizeof(T) >= sizeof(std::int64_t)) {
        if (v > static_cast<T>(INT64_MAX)) throw_list_overflow(v);
    }
    return static_cast<ListValue<T>>(v);
}
template <typename L>
struct NestedList {  // a number
    using element = L;
    static constexpr std::size_t rank = 0;
};
template <typename L>
struct NestedList<std::initializer_list<L>> {
    using element = typename NestedList<L>::element;
    static constexpr std::size_t rank = 1 + NestedList<L>::rank;
};
// The sizes of a nested list, read along its first elements.
template <typename L>
void list_sizes(const L& list, std::int64_t* sizes) {
    if constexpr (!Scalar<L>) {
        *sizes = static_cast<std::int64_t>(list.size());
        if (list.size() != 0) list_sizes(*list.begin(), sizes + 1);
    }
}
// Writes the numbers of a list that check_list accepted to out, in C order.
template <typename L, typename V>
void flatten_list(const L& list, V*& out) {
    if constexpr (Scalar<L>) {
        *out++ = list_value(list);
    } else {
        for (const auto& item : list) flatten_list(item, out);
    }
}
// ShapeError unless every list at one depth has that depth's size. It runs
// before anything is allocated, so a ragged list allocates nothing.
template <typename L>
void check_list(const L& list, const std::int64_t* sizes) {
    if constexpr (!Scalar<L>) {
        if (*sizes != static_cast<std::int64_t>(list.size())) throw_ragged_list(*sizes, list.size());
        if constexpr (!Scalar<typename L::value_type>)
            for (const auto& item : list) check_list(item, sizes + 1);
    }
}
}  // namespace detail

class Tensor {
public:
    // An undefined tensor (no storage): what a default-constructed slot holds.
    Tensor() = default;
    Tensor(const Tensor&) = default;
    Tensor(Tensor&&) noexcept = default;
    ~Tensor() = default;

    // Assignment follows NumPy: assigning to a named tensor (an lvalue)
    // rebinds the handle, as `b = a` does in Python; assigning to a
    // temporary, which is what indexing returns, writes into the viewed
    // elements, as `x[i, j] = v` does:
    //   Tensor b = a; b = c;          // b now names c; a is unchanged
    //   x(i, j) = 0.0;  a[1] = ones({3});  x(i, Slice()) = y[0];   // writes
    // The rvalue forms are assign() and fill(): src broadcasts to the view's
    // shape and converts to its dtype.
    Tensor& operator=(const Tensor&) & = default;
    Tensor& operator=(Tensor&&) & noexcept = default;
    Tensor& operator=(const Tensor& src) && {
        assign(src);
        return *this;
    }
    template <typename S>
        requires(std::integral<S> || std::floating_point<S>)
    Tensor& operator=(S value) && {
        if constexpr (std::floating_point<S>) fill(static_cast<double>(value));
        else if (std::unsigned_integral<S> && value > static_cast<S>(INT64_MAX)) fill(static_cast<double>(value));
        else fill_integer(static_cast<std::int64_t>(value));
        return *this;
    }

    // --- from C++ numbers: PyTorch's dtype rule unless a dtype is given ---
    // (default_dtype_of in dtype.hpp: bool -> bool, integers -> int64,
    // floating -> float32, the library's default float)
    //   Tensor(12)              0-d int64     Tensor(0.5)       0-d float32
    //   Tensor(true)            0-d bool      Tensor(12, uint8) 0-d uint8
    //   Tensor{12, 3, 6}        (3,) int64    Tensor{1.5, 2.}   (2,) float32
    //   Tensor{{1, 2}, {3, 4}}  (2, 2) int64  Tensor({1, 2}, float32)
    // Tensor(12) is 0-d, Tensor{12} is 1-d (a list of one). A list mixing C++
    // types ({1, 2.5}) is read as double, so float32. Integers are written
    // exactly, never through double; one that does not fit an integer dtype
    // throws OverflowError, as NumPy 2's np.array([300], dtype=np.uint8).
    // Not an implicit conversion: `Tensor x = 5;` does not compile.
    template <Scalar S>
    explicit Tensor(S value, DType dtype = default_dtype_of<S>) : Tensor(scalar(value, dtype)) {}
    template <Scalar T>
    Tensor(std::initializer_list<T> values, DType dtype = default_dtype_of<T>)
        : Tensor(from_list(values, dtype)) {}
    template <Scalar T>
    Tensor(std::initializer_list<std::initializer_list<T>> values, DType dtype = default_dtype_of<T>)
        : Tensor(from_list(values, dtype)) {}
    template <Scalar T>
    Tensor(std::initializer_list<std::initializer_list<std::initializer_list<T>>> values,
           DType dtype = default_dtype_of<T>)
        : Tensor(from_list(values, dtype)) {}
    // Lists whose C++ types are mixed, or all double.
    Tensor(std::initializer_list<double> values, DType dtype = float32) : Tensor(from_list(values, dtype)) {}
    Tensor(std::initializer_list<std::initializer_list<double>> values, DType dtype = float32)
        : Tensor(from_list(values, dtype)) {}
    Tensor(std::initializer_list<std::initializer_list<std::initializer_list<double>>> values,
           DType dtype = float32)
        : Tensor(from_list(values, dtype)) {}

    // Copies `values` (size must equal numel(shape)) into a new tensor of
    // T's dtype. Defined for bool, uint8, int32, int64, float, double.
    template <typename T>
    Tensor(const std::vector<T>& values, Shape shape);

    // A new contiguous tensor whose contents are unspecified: for kernels
    // that write every element before anything reads it.
    static Tensor uninitialized(Shape shape, DType dtype = float32);
    // A 0-d tensor, the same as Tensor(value, dtype): Tensor::scalar(12) is
    // int64, Tensor::scalar(0.5) float32.
    template <Scalar S>
    static Tensor scalar(S value, DType dtype = default_dtype_of<S>) {
        const detail::ListValue<S> v = detail::list_value(value);
        return from_values(&v, 1, Shape{}, dtype);
    }
    // A view on existing storage; checks that every element is in bounds.
    static Tensor from_storage(std::shared_ptr<Storage> storage, DType dtype, Shape shape,
                               Strides strides, std::int64_t offset);

    // --- attributes ---
    bool defined() const noexcept { return impl_ != nullptr; }
    int ndim() const;
    const Shape& shape() const;
    std::int64_t shape(int axis) const;  // negative axes count from the end
    std::int64_t size() const;           // number of elements
    DType dtype() const;
    const Strides& strides() const;
    std::int64_t offset() const;
    std::size_t nbytes() const;  // size() * itemsize
    bool is_contiguous() const;
    // Stable identity of this tensor (not of its storage); the tape keys on it.
    std::uint64_t id() const;
    const std::shared_ptr<Storage>& storage() const;
    bool shares_storage(const Tensor& other) const;

    // --- raw data (pointer to the element at index (0, ..., 0)) ---
    void* raw_data();
    const void* raw_data() const;
    // Typed pointer; throws DTypeError if T is not this tensor's dtype.
    template <typename T>
    T* data() {
        check_dtype(dtype_of_v<T>);
        return static_cast<T*>(raw_data());
    }
    template <typename T>
    const T* data() const {
        check_dtype(dtype_of_v<T>);
        return static_cast<const T*>(raw_data());
    }

    // --- element access (converting) ---
    // The value of a one-element tensor.
    template <typename T = double>
    T item() const;
    // One element; negative indices count from the end.
    template <typename T = double>
    T at(std::initializer_list<std::int64_t> index) const;
    // All elements in C order, converted to T.
    template <typename T>
    std::vector<T> to_vector() const;

    // --- conversions ---
    Tensor astype(DType dtype) const;  // always a new tensor
    Tensor copy() const;               // a contiguous deep copy
    Tensor contiguous() const;         // *this if already contiguous

    // --- views (differentiable: recorded on an active GradientTape) ---
    Tensor index(std::initializer_list<Index> items) const;
    Tensor index(const std::vector<Index>& items) const;
    template <typename... I>
    Tensor operator()(I... items) const {
        if constexpr (sizeof...(I) > 0 && (std::signed_integral<I> && ...)) {
            // All integers (the book's element loops): no Index list to build.
            const std::int64_t ints[] = {static_cast<std::int64_t>(items)...};
            return index_integers(ints, sizeof...(I));
        } else {
            return index(std::vector<Index>{Index(items)...});
        }
    }
    Tensor operator[](std::int64_t i) const;
    Tensor operator[](Slice s) const;
    // View when the strides allow it (always for contiguous data), else a
    // copy; one size may be -1.
    Tensor reshape(Shape shape) const;
    Tensor transpose() const;                         // reverse the axes
    Tensor transpose(const std::vector<int>& axes) const;  // a permutation
    Tensor expand_dims(int axis) const;
    Tensor squeeze() const;          // drop every length-1 axis
    Tensor squeeze(int axis) const;  // that axis must have length 1
    Tensor flatten() const;          // 1-D copy, as numpy's flatten

    // --- NumPy's reduction methods: x.sum(), predictions[0].argmax(), ...
    // the free functions of nabla/ops/reduce.hpp (same axes and keepdims).
    Tensor sum(const std::vector<int>& axes = {}, bool keepdims = false) const;
    Tensor sum(int axis, bool keepdims = false) const;
    Tensor mean(const std::vector<int>& axes = {}, bool keepdims = false) const;
    Tensor mean(int axis, bool keepdims = false) const;
    Tensor max(const std::vector<int>& axes = {}, bool keepdims = false) const;
    Tensor max(int axis, bool keepdims = false) const;
    Tensor min(const std::vector<int>& axes = {}, bool keepdims = false) const;
    Tensor min(int axis, bool keepdims = false) const;
    Tensor all(const std::vector<int>& axes = {}, bool keepdims = false) const;
    Tensor all(int axis, bool keepdims = false) const;
    Tensor any(const std::vector<int>& axes = {}, bool keepdims = false) const;
    Tensor any(int axis, bool keepdims = false) const;
    Tensor argmax(std::optional<int> axis = std::nullopt, bool keepdims = false) const;
    Tensor argmin(std::optional<int> axis = std::nullopt, bool keepdims = false) const;

    // --- in-place writes (never recorded on a tape) ---
    void fill(double value);
    // fill with an integer, exact beyond 2^53; a value outside an integer
    // dtype's range throws ValueError, as NumPy 2's x[i] = 300 on uint8.
    void fill_integer(std::int64_t value);
    // Copies src (broadcast to this shape, converted to this dtype) into the
    // elements of this tensor, e.g. x(Slice(0, 2)).assign(y).
    void assign(const Tensor& src);

    // --- autodiff hook: tensors a GradientTape watches without being told ---
    bool is_variable() const;
    void mark_as_variable(bool on = true);

    // NumPy-style text, with "..." summarisation beyond 1000 elements.
    std::string to_string() const;

    struct Impl;

private:
    // A tensor of `shape` holding flat[0..n) (C order) converted to dtype;
    // integers outside an integer dtype's range throw OverflowError.
    static Tensor from_values(const std::int64_t* flat, std::size_t n, Shape shape, DType dtype);
    static Tensor from_values(const double* flat, std::size_t n, Shape shape, DType dtype);
    template <typename List>
    static Tensor from_list(const List& values, DType dtype) {
        constexpr std::size_t rank = detail::NestedList<List>::rank;
        std::int64_t sizes[rank] = {};  // sizes below an empty list stay 0
        detail::list_sizes(values, sizes);
        detail::check_list(values, sizes);
        std::vector<detail::ListValue<typename detail::NestedList<List>::element>> flat(
            static_cast<std::size_t>(numel(Shape(sizes, sizes + rank))));
        auto* out = flat.data();
        detail::flatten_list(values, out);
        return from_values(flat.data(), flat.size(), Shape(sizes, sizes + rank), dtype);
    }
    friend struct TensorAccess;  // internal (src/core/tensor_impl.hpp)
    explicit Tensor(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
    void check_dtype(DType expected) const;
    // index() for n integer indices, without building an Index list.
    Tensor index_integers(const std::int64_t* ints, std::size_t n) const;
    const Impl& impl() const;
    std::shared_ptr<Impl> impl_;
};

std::ostream& operator<<(std::ostream& os, const Tensor& t);

// --- creation ---
Tensor zeros(const Shape& shape, DType dtype = float32);
Tensor ones(const Shape& shape, DType dtype = float32);
Tensor full(const Shape& shape, double value, DType dtype = float32);
Tensor zeros_like(const Tensor& t);
Tensor ones_like(const Tensor& t);
Tensor full_like(const Tensor& t, double value);
// [start, stop) by step, like numpy.arange.
Tensor arange(double start, double stop, double step = 1.0, DType dtype = float32);
Tensor arange(std::int64_t stop, DType dtype = int64);
Tensor linspace(double start, double stop, std::int64_t num, bool endpoint = true,
                DType dtype = float32);
// Ones on the k-th diagonal of an n x m matrix (m = n when m < 0).
Tensor eye(std::int64_t n, std::int64_t m = -1, std::int64_t k = 0, DType dtype = float32);

}  // namespace nabla
