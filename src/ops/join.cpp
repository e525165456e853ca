// concatenate, stack and one_hot. concatenate's backward hands each input
// its slice of the gradient; stack is expand_dims + concatenate.
#include <string>

#include "core/dispatch.hpp"
#include "core/tensor_impl.hpp"
#include "elementwise_impl.hpp"
#include "nabla/ops/shape_ops.hpp"

namespace nabla {
inline namespace ops {

Tensor concatenate(const std::vector<Tensor>& xs, int axis) {
    if (xs.empty()) throw ValueError("concatenate: need at least one tensor to concatenate");
    for (const auto& x : xs) detail::require_defined(x, "concatenate");
    const Tensor& first = xs[0];
    if (first.ndim() == 0) throw ValueError("concatenate: zero-dimensional tensors cannot be concatenated");
    const int a = normalize_axis(axis, first.ndim(), "concatenate");
    Shape shape = first.shape();
    DType dt = first.dtype();
    shape[a] = 0;
    for (std::size_t i = 0; i < xs.size(); ++i) {
        const Tensor& x = xs[i];
        bool ok = x.ndim() == first.ndim();
        for (int d = 0; ok && d < x.ndim(); ++d) ok = d == a || x.shape(d) == first.shape(d);
        if (!ok)
            throw ShapeError("concatenate: all input dimensions except for the concatenation axis " + std::to_string(a) +
                             " must match exactly, but tensor 0 has shape " + to_string(first.shape()) + " and tensor " +
                             std::to_string(i) + " has shape " + to_string(x.shape()));
        if (__builtin_add_overflow(shape[a], x.shape(a), &shape[a]))
            throw ValueError("concatenate: array is too big; the joined axis " + std::to_string(a) +
                             " would exceed a signed 64-bit length");
        dt = promote_types(dt, x.dtype());
    }
    Tensor out = Tensor::uninitialized(shape, dt);
    std::vector<std::int64_t> starts;
    std::int64_t at = 0;
    for (const auto& x : xs) {
        starts.push_back(at);
        std::vector<Index> where(static_cast<std::size_t>(a), Index(Slice()));
        where.emplace_back(Slice(at, at + x.shape(a)));
        Tensor dst = detail::make_view(out, shape, out.strides(), out.offset()).index(where);
        detail::copy_into(x, dst);
        at += x.shape(a);
    }
    bool any_float = false;
    for (const auto& x : xs) any_float = any_float || is_floating(x.dtype());
    if (detail::should_record(out) && any_float) {
        std::vector<detail::GradTarget> targets;
        for (const auto& x : xs) targets.emplace_back(x);
        graph::record("concatenate", xs, out, [a, starts, targets](const Tensor& g) {
            std::vector<Tensor> grads;
            for (std::size_t i = 0; i < targets.size(); ++i) {
                std::vector<Index> where(static_cast<std::size_t>(a), Index(Slice()));
                where.emplace_back(Slice(starts[i], starts[i] + targets[i].shape[a]));
                grads.push_back(targets[i](g.index(where)));
            }
            return grads;
        });
    }
    return out;
}

Tensor stack(const std::vector<Tensor>& xs, int axis) {
    if (xs.empty()) throw ValueError("stack: need at least one tensor to stack");
    for (std::size_t i = 0; i < xs.size(); ++i) {
        detail::require_defined(xs[i], "stack");
        if (xs[i].shape() != xs[0].shape())
            throw ShapeError("stack: all input tensors must have the same shape, but tensor 0 has shape " +
                             to_string(xs[0].shape()) + " and tensor " + std::to_string(i) + " has shape " +
                             to_string(xs[i].shape()));
    }
    const int a = normalize_axis(axis, xs[0].ndim() + 1, "stack");
    std::vector<Tensor> expanded;
    for (const auto& x : xs) expanded.push_back(x.expand_dims(a));
    return concatenate(expanded, a);
}

Tensor one_hot(const Tensor& indices, std::int64_t depth, DType dtype) {
    detail::require_defined(indices, "one_hot");
    if (is_floating(indices.dtype()) || indices.dtype() == bool_)
        throw DTypeError("one_hot: indices must be an integer tensor, got " + std::string(name(indices.dtype())));
    if (depth < 0) throw ValueError("one_hot: depth must be non-negative, got " + std::to_string(depth));
    const auto ids = indices.to_vector<std::int64_t>();
    Shape shape = indices.shape();
    shape.push_back(depth);
    Tensor out = zeros(shape, dtype);
    detail::dispatch(dtype, [&]<typename T>() {
        T* o = out.data<T>();
        for (std::size_t i = 0; i < ids.size(); ++i) {
            if (ids[i] < 0 || ids[i] >= depth)
                throw ValueError("one_hot: index " + std::to_string(ids[i]) + " at position " + std::to_string(i) +
                                 " is out of range for depth " + std::to_string(depth));
            o[static_cast<std::int64_t>(i) * depth + ids[i]] = T(1);
        }
    });
    return out;
}

}  // namespace ops
}  // namespace nabla
