// Tensor construction, attributes, element access and conversion.
#include "nabla/core/tensor.hpp"

#include <cstring>
#include <limits>

#include "dispatch.hpp"
#include "nabla/core/graph.hpp"
#include "strided.hpp"
#include "tensor_impl.hpp"

namespace nabla {

namespace detail {

std::uint64_t next_tensor_id() noexcept {
    static std::atomic<std::uint64_t> counter{1};
    return counter.fetch_add(1, std::memory_order_relaxed);
}

Tensor make_view(const Tensor& base, Shape shape, Strides strides, std::int64_t offset) {
    auto impl = std::make_shared<Tensor::Impl>();
    impl->storage = base.storage();
    impl->dtype = base.dtype();
    impl->shape = std::move(shape);
    impl->strides = std::move(strides);
    impl->offset = offset;
    impl->id = next_tensor_id();
    return TensorAccess::make(std::move(impl));
}

Tensor broadcast_view(const Tensor& x, const Shape& shape, const char* op) {
    const auto& xs = x.shape();
    checked_numel(shape, op, itemsize(x.dtype()));
    if (xs.size() > shape.size())
        throw ShapeError(std::string(op) + ": cannot broadcast a tensor of shape " + to_string(xs) +
                         " to shape " + nabla::to_string(shape));
    const std::size_t lead = shape.size() - xs.size();
    Strides st(shape.size(), 0);
    for (std::size_t i = 0; i < xs.size(); ++i) {
        if (xs[i] == shape[lead + i]) {
            st[lead + i] = x.strides()[i];
        } else if (xs[i] != 1) {
            throw ShapeError(std::string(op) + ": cannot broadcast a tensor of shape " + to_string(xs) +
                             " to shape " + nabla::to_string(shape));
        }
    }
    return make_view(x, shape, std::move(st), x.offset());
}

void copy_into(const Tensor& src, Tensor& dst) {
    if (dst.size() == 0) return;
    auto plan = plan_rows<2>(dst.shape(), {&dst.strides(), &src.strides()});
    dispatch(dst.dtype(), [&]<typename D>() {
        dispatch(src.dtype(), [&]<typename S>() {
            D* d = reinterpret_cast<D*>(dst.storage()->data());
            const S* s = reinterpret_cast<const S*>(src.storage()->data());
            const std::int64_t ds = plan.inner_stride(0), ss = plan.inner_stride(1);
            for_each_row<2>(plan, {dst.offset(), src.offset()}, [&](const std::int64_t* off, std::int64_t n) {
                D* dp = d + off[0];
                const S* sp = s + off[1];
                if (ds == 1 && ss == 1) {
                    if constexpr (std::is_same_v<D, S>) {
                        std::memcpy(dp, sp, static_cast<std::size_t>(n) * sizeof(D));
                    } else {
                        for (std::int64_t i = 0; i < n; ++i) dp[i] = static_cast<D>(sp[i]);
                    }
                } else {
                    for (std::int64_t i = 0; i < n; ++i) dp[i * ds] = static_cast<D>(sp[i * ss]);
                }
            });
        });
    });
}

}  // namespace detail

namespace {

std::shared_ptr<Tensor::Impl> new_impl(Shape shape, DType dtype, bool zero_fill) {
    const std::int64_t bytes = checked_numel(shape, "new tensor", itemsize(dtype)) * static_cast<std::int64_t>(itemsize(dtype));
    auto impl = std::make_shared<Tensor::Impl>();
    try {
        impl->storage = std::make_shared<Storage>(static_cast<std::size_t>(bytes), zero_fill);
    } catch (const std::bad_alloc&) {
        throw MemoryError("unable to allocate " + std::to_string(bytes) + " bytes for a tensor of shape " +
                          nabla::to_string(shape) + " and dtype " + std::string(name(dtype)));
    }
    impl->dtype = dtype;
    impl->strides = contiguous_strides(shape);
    impl->shape = std::move(shape);
    impl->id = detail::next_tensor_id();
    return impl;
}

// from_values' conversion: integers range-checked against an integer dtype
// (NumPy 2's np.array([300], dtype=np.uint8) is OverflowError), everything
// else converted as static_cast does.
template <typename T, typename V>
void write_values(T* out, const V* flat, std::size_t n, DType dtype) {
    for (std::size_t i = 0; i < n; ++i) {
        if constexpr (std::is_integral_v<V> && std::is_integral_v<T> && !std::is_same_v<T, bool> &&
                      !std::is_same_v<T, V>) {
            if (flat[i] < std::numeric_limits<T>::min() || flat[i] > std::numeric_limits<T>::max())
                throw OverflowError("Tensor: the C++ integer " + std::to_string(flat[i]) + " is out of bounds for " +
                                    std::string(name(dtype)) + " (range " +
                                    std::to_string(std::int64_t{std::numeric_limits<T>::min()}) + " to " +
                                    std::to_string(std::int64_t{std::numeric_limits<T>::max()}) +
                                    "); give a wider dtype");
        }
        out[i] = static_cast<T>(flat[i]);
    }
}

template <typename V>
Tensor make_from_values(const V* flat, std::size_t n, Shape shape, DType dtype) {
    Tensor t = Tensor::uninitialized(std::move(shape), dtype);
    if (static_cast<std::int64_t>(n) != t.size())  // flatten_list guarantees this
        throw ShapeError("Tensor: " + std::to_string(n) + " values do not fill shape " + nabla::to_string(t.shape()));
    detail::dispatch(dtype, [&]<typename T>() { write_values(t.data<T>(), flat, n, dtype); });
    return t;
}

}  // namespace

namespace detail {
void throw_list_overflow(std::uint64_t value) {
    throw OverflowError("Tensor: the C++ integer " + std::to_string(value) +
                        " does not fit int64, which nabla reads C++ integers as; write it as a floating-point "
                        "number (e.g. 1.8446744073709552e19) for a float dtype");
}
void throw_ragged_list(std::int64_t expected, std::size_t got) {
    throw ShapeError("Tensor: ragged nested list: lists of length " + std::to_string(expected) + " and " +
                     std::to_string(got) + " at the same depth (every list at one depth must have the same length)");
}
}  // namespace detail

Tensor Tensor::from_values(const std::int64_t* flat, std::size_t n, Shape shape, DType dtype) {
    return make_from_values(flat, n, std::move(shape), dtype);
}
Tensor Tensor::from_values(const double* flat, std::size_t n, Shape shape, DType dtype) {
    return make_from_values(flat, n, std::move(shape), dtype);
}

template <typename T>
Tensor::Tensor(const std::vector<T>& values, Shape shape) {
    if (static_cast<std::int64_t>(values.size()) != numel(shape))
        throw ShapeError("Tensor: " + std::to_string(values.size()) + " values do not fill shape " +
                         nabla::to_string(shape) + " (" + std::to_string(numel(shape)) + " elements)");
    impl_ = new_impl(std::move(shape), dtype_of_v<T>, false);
    T* p = data<T>();
    for (std::size_t i = 0; i < values.size(); ++i) p[i] = values[i];
}

Tensor Tensor::uninitialized(Shape shape, DType dtype) { return Tensor(new_impl(std::move(shape), dtype, false)); }

Tensor Tensor::from_storage(std::shared_ptr<Storage> storage, DType dtype, Shape shape, Strides strides,
                            std::int64_t offset) {
    if (shape.size() != strides.size()) throw ValueError("from_storage: shape and strides differ in rank");
    const bool empty = checked_numel(shape, "from_storage", itemsize(dtype)) == 0;
    std::int64_t lo = offset, hi = offset;
    bool overflow = false;
    for (std::size_t i = 0; i < shape.size() && !empty; ++i) {
        std::int64_t span = 0;
        overflow = overflow || __builtin_mul_overflow(shape[i] - 1, strides[i], &span) ||
                   __builtin_add_overflow(span < 0 ? lo : hi, span, span < 0 ? &lo : &hi);
    }
    const auto n = static_cast<std::int64_t>(storage->nbytes() / itemsize(dtype));
    if (!empty && (overflow || lo < 0 || hi >= n))
        throw IndexError("from_storage: view " + nabla::to_string(shape) + " reaches outside a storage of " +
                         std::to_string(n) + " elements");
    auto impl = std::make_shared<Impl>();
    impl->storage = std::move(storage);
    impl->dtype = dtype;
    impl->shape = std::move(shape);
    impl->strides = std::move(strides);
    impl->offset = offset;
    impl->id = detail::next_tensor_id();
    return Tensor(std::move(impl));
}

const Tensor::Impl& Tensor::impl() const {
    if (!impl_) throw ValueError("operation on an undefined (default-constructed) Tensor");
    return *impl_;
}

int Tensor::ndim() const { return static_cast<int>(impl().shape.size()); }
const Shape& Tensor::shape() const { return impl().shape; }
std::int64_t Tensor::shape(int axis) const { return impl().shape[normalize_axis(axis, ndim(), "shape")]; }
std::int64_t Tensor::size() const { return numel(impl().shape); }
DType Tensor::dtype() const { return impl().dtype; }
const Strides& Tensor::strides() const { return impl().strides; }
std::int64_t Tensor::offset() const { return impl().offset; }
std::size_t Tensor::nbytes() const { return static_cast<std::size_t>(size()) * itemsize(dtype()); }
std::uint64_t Tensor::id() const { return impl().id; }
const std::shared_ptr<Storage>& Tensor::storage() const { return impl().storage; }
bool Tensor::shares_storage(const Tensor& other) const { return storage() == other.storage(); }
bool Tensor::is_variable() const { return impl().is_variable; }
void Tensor::mark_as_variable(bool on) {
    impl();
    impl_->is_variable = on;
}

bool Tensor::is_contiguous() const {
    const auto& im = impl();
    std::int64_t expected = 1;
    for (std::size_t i = im.shape.size(); i-- > 0;) {
        if (im.shape[i] != 1 && im.strides[i] != expected) return false;
        expected *= im.shape[i];
    }
    return true;
}

void* Tensor::raw_data() {
    const auto& im = impl();
    return im.storage->data() + im.offset * static_cast<std::int64_t>(itemsize(im.dtype));
}
const void* Tensor::raw_data() const { return const_cast<Tensor*>(this)->raw_data(); }

void Tensor::check_dtype(DType expected) const {
    if (dtype() != expected)
        throw DTypeError("data<" + std::string(name(expected)) + ">() on a " + std::string(name(dtype())) +
                         " tensor; convert with astype(" + std::string(name(expected)) + ") first");
}

template <typename T>
T Tensor::item() const {
    if (size() != 1)
        throw ValueError("item(): only a tensor with one element can be converted to a scalar; shape is " +
                         nabla::to_string(shape()));
    return detail::dispatch(dtype(), [&]<typename S>() {
        return static_cast<T>(*static_cast<const S*>(raw_data()));
    });
}

template <typename T>
T Tensor::at(std::initializer_list<std::int64_t> index) const {
    if (static_cast<int>(index.size()) != ndim())
        throw IndexError("at(): " + std::to_string(index.size()) + " indices for a tensor of dimension " +
                         std::to_string(ndim()));
    std::int64_t off = 0;
    int axis = 0;
    for (std::int64_t i : index) {
        const std::int64_t n = shape()[axis];
        if (i < -n || i >= n)
            throw IndexError("index " + std::to_string(i) + " is out of bounds for axis " + std::to_string(axis) +
                             " with size " + std::to_string(n));
        off += (i < 0 ? i + n : i) * strides()[axis];
        ++axis;
    }
    return detail::dispatch(dtype(), [&]<typename S>() {
        return static_cast<T>(static_cast<const S*>(raw_data())[off]);
    });
}

template <typename T>
std::vector<T> Tensor::to_vector() const {
    Tensor c = contiguous();
    if (c.dtype() != dtype_of_v<T>) {
        Tensor conv = Tensor::uninitialized(shape(), dtype_of_v<T>);
        detail::copy_into(c, conv);
        c = conv;
    }
    const T* p = c.data<T>();
    return std::vector<T>(p, p + c.size());
}

#define NABLA_INSTANTIATE(T)                                                  \
    template Tensor::Tensor(const std::vector<T>&, Shape);                    \
    template T Tensor::item<T>() const;                                       \
    template T Tensor::at<T>(std::initializer_list<std::int64_t>) const;      \
    template std::vector<T> Tensor::to_vector<T>() const;
NABLA_INSTANTIATE(bool)
NABLA_INSTANTIATE(std::uint8_t)
NABLA_INSTANTIATE(std::int32_t)
NABLA_INSTANTIATE(std::int64_t)
NABLA_INSTANTIATE(float)
NABLA_INSTANTIATE(double)
#undef NABLA_INSTANTIATE

// --- conversions (recorded: identity gradients, cast back for astype) ---

Tensor Tensor::astype(DType dt) const {
    Tensor out = Tensor::uninitialized(shape(), dt);
    detail::copy_into(*this, out);
    if (graph::recording() && is_floating(dt) && is_floating(dtype())) {
        const DType src = dtype();
        graph::record("astype", {*this}, out, [src](const Tensor& g) { return std::vector<Tensor>{g.astype(src)}; });
    }
    return out;
}

Tensor Tensor::copy() const { return astype(dtype()); }

Tensor Tensor::contiguous() const { return is_contiguous() ? *this : copy(); }

namespace {
// One element written directly, converted as copy_into converts: the fast
// path of the book's element loops (x(i, j) = v), which allocates nothing.
template <typename V>
bool write_single(Tensor& t, V value) {
    if (t.size() != 1) return false;
    detail::dispatch(t.dtype(), [&]<typename T>() { *static_cast<T*>(t.raw_data()) = static_cast<T>(value); });
    return true;
}
}  // namespace

void Tensor::fill(double value) {
    if (write_single(*this, value)) return;
    Tensor s = Tensor::scalar(value, dtype());
    assign(s);
}

namespace {
// NumPy's assignment accepts a source with extra leading length-1 axes
// (a[...] = ones((1, 1, 3)) for a of shape (3,)): they are dropped first.
Tensor without_extra_leading_ones(const Tensor& src, std::size_t ndim) {
    std::size_t extra = 0;
    while (src.shape().size() - extra > ndim && src.shape()[extra] == 1) ++extra;
    if (extra == 0) return src;
    return detail::make_view(src, Shape(src.shape().begin() + extra, src.shape().end()),
                             Strides(src.strides().begin() + extra, src.strides().end()), src.offset());
}
}  // namespace

void Tensor::fill_integer(std::int64_t value) {
    detail::dispatch(dtype(), [&]<typename T>() {
        if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool> && !std::is_same_v<T, std::int64_t>) {
            if (value < std::numeric_limits<T>::min() || value > std::numeric_limits<T>::max())
                throw OverflowError("assign: integer " + std::to_string(value) + " is out of bounds for " +
                                 std::string(name(dtype())) + " (range " +
                                 std::to_string(std::int64_t{std::numeric_limits<T>::min()}) + " to " +
                                 std::to_string(std::int64_t{std::numeric_limits<T>::max()}) +
                                 "); cast the tensor with astype() first");
        }
    });
    if (write_single(*this, value)) return;
    Tensor s = Tensor::uninitialized({}, int64);
    *s.data<std::int64_t>() = value;
    assign(s);
}

void Tensor::assign(const Tensor& src) {
    if (size() == 1 && src.size() == 1 && src.ndim() <= ndim()) {  // one element: no views, no planning
        detail::dispatch(src.dtype(), [&]<typename S>() { write_single(*this, *static_cast<const S*>(src.raw_data())); });
        return;
    }
    Tensor b = detail::broadcast_view(without_extra_leading_ones(src, shape().size()), shape(), "assign");
    if (src.shares_storage(*this)) {  // overlapping views: read everything first
        Tensor tmp = Tensor::uninitialized(shape(), src.dtype());
        detail::copy_into(b, tmp);
        b = tmp;
    }
    detail::copy_into(b, *this);
}

}  // namespace nabla
