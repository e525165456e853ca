// Reductions over axes (sum, mean, max, min, argmax, argmin) and unbroadcast.
//
// sum/max/min share one kernel: the output (with keepdims) is viewed with
// zero strides over the reduced axes, so a single strided loop over
// (output view, input) folds every input element into its output slot.
// Rows whose output stride is zero accumulate in a register first.
#include <limits>
#include <numeric>
#include <type_traits>

#include "core/dispatch.hpp"
#include "elementwise_impl.hpp"
#include "kernels.hpp"
#include "nabla/ops/elementwise.hpp"
#include "nabla/ops/reduce.hpp"
#include "nabla/ops/shape_ops.hpp"

namespace nabla {

namespace {

struct AxesPlan {
    std::vector<bool> reduced;  // per input axis
    Shape keep_shape;           // output shape with keepdims
    Shape out_shape;            // output shape as requested
    std::int64_t count = 1;     // elements folded into each output
    std::vector<int> axes;      // the reduced axes, normalised
};

AxesPlan plan_axes(const Tensor& x, const std::vector<int>& axes, bool keepdims, const char* op) {
    detail::require_defined(x, op);
    AxesPlan p;
    p.reduced.assign(static_cast<std::size_t>(x.ndim()), axes.empty());
    for (int a : axes) {
        const int n = normalize_axis(a, x.ndim(), op);
        if (p.reduced[n] && !axes.empty())
            throw ValueError(std::string(op) + ": duplicate value in 'axis' (" + std::to_string(a) + ")");
        p.reduced[n] = true;
    }
    for (int d = 0; d < x.ndim(); ++d) {
        if (p.reduced[d]) {
            p.count *= x.shape()[d];
            p.axes.push_back(d);
            p.keep_shape.push_back(1);
            if (keepdims) p.out_shape.push_back(1);
        } else {
            p.keep_shape.push_back(x.shape()[d]);
            p.out_shape.push_back(x.shape()[d]);
        }
    }
    return p;
}

enum class Fold { Sum, Max, Min };

template <Fold F, typename A, typename T>
inline A fold(A acc, T v) {
    if constexpr (F == Fold::Sum) return detail::wrap_add(acc, static_cast<A>(v));  // integers wrap as NumPy's sum does
    else if constexpr (F == Fold::Max) return (v > acc || v != v) ? static_cast<A>(v) : acc;
    else return (v < acc || v != v) ? static_cast<A>(v) : acc;
}

// Folds the run src[0], src[s], ... src[(n-1)s] into one value.
template <Fold F, typename A, typename T>
A fold_run(const T* src, std::int64_t n, std::int64_t s, A acc) {
    if (s == 1) {
        if constexpr (F == Fold::Sum && std::is_floating_point_v<A>) {
#pragma omp simd reduction(+ : acc)
            for (std::int64_t i = 0; i < n; ++i) acc += static_cast<A>(src[i]);
            return acc;
        }
        for (std::int64_t i = 0; i < n; ++i) acc = fold<F>(acc, src[i]);
        return acc;
    }
    for (std::int64_t i = 0; i < n; ++i) acc = fold<F>(acc, src[i * s]);
    return acc;
}

template <Fold F, typename A, typename T>
void fold_kernel(const Tensor& x, Tensor& out_keep) {
    Tensor view = detail::broadcast_view(out_keep, x.shape(), "reduce");
    const auto plan = detail::plan_rows<2>(x.shape(), {&view.strides(), &x.strides()});
    A* o = detail::base_ptr<A>(out_keep);
    const T* in = detail::base_ptr<const T>(x);
    const std::int64_t so = plan.inner_stride(0), si = plan.inner_stride(1);
    const std::int64_t rows = detail::row_count(plan), inner = plan.inner();
    auto row = [&](const std::int64_t* off, std::int64_t n) {
        if (so == 0) {
            o[off[0]] = fold_run<F>(in + off[1], n, si, o[off[0]]);
        } else {
            for (std::int64_t i = 0; i < n; ++i) o[off[0] + i * so] = fold<F>(o[off[0] + i * so], in[off[1] + i * si]);
        }
    };
    const std::array<std::int64_t, 2> base{view.offset(), x.offset()};
    if (rows == 1 && so == 0 && inner >= 2 * detail::kParallelGrain && get_num_threads() > 1) {
        // A full reduction: per-chunk partials, folded in chunk order (the
        // split depends only on the size and the thread count).
        // Each partial starts from its chunk's first element, not from an
        // "identity": lowest() is no identity for a max over -inf (nor max()
        // for a min over +inf), and the first element keeps NaN too.
        std::vector<A> partial(static_cast<std::size_t>(detail::parallel_chunk_count(inner, detail::kParallelGrain)));
        const std::int64_t chunks = detail::parallel_chunks(inner, detail::kParallelGrain,
                                                            [&](std::int64_t c, std::int64_t b, std::int64_t e) {
            const T* p = in + base[1] + b * si;
            partial[static_cast<std::size_t>(c)] = fold_run<F>(p + si, e - b - 1, si, static_cast<A>(p[0]));
        });
        for (std::int64_t c = 0; c < chunks; ++c) o[base[0]] = fold<F>(o[base[0]], partial[static_cast<std::size_t>(c)]);
        return;
    }
    bool rows_independent = true;  // every row writes distinct outputs
    for (std::size_t d = 0; d + 1 < plan.shape.size(); ++d) rows_independent = rows_independent && plan.strides[0][d] != 0;
    if (rows_independent) detail::parallel_rows<2>(plan, base, row);
    else detail::for_each_row<2>(plan, base, row);
}

// The un-recorded reduction; the result has the keepdims shape.
template <Fold F>
Tensor reduce_kernel(const Tensor& x, const AxesPlan& p, const char* op) {
    if (F != Fold::Sum && p.count == 0)
        throw ValueError(std::string(op) + ": zero-size reduction of a tensor of shape " + to_string(x.shape()) +
                         ", which has no identity");
    Tensor out;
    detail::dispatch(x.dtype(), [&]<typename T>() {
        using A = std::conditional_t<F == Fold::Sum && !std::is_floating_point_v<T>, std::int64_t, T>;
        out = full(p.keep_shape, 0, dtype_of_v<A>);
        if constexpr (F != Fold::Sum) {  // seed with the first element of each group (NaN-safe)
            std::vector<Index> first;
            for (bool r : p.reduced) first.push_back(r ? Index(Slice(0, 1)) : Index(Slice()));
            detail::copy_into(x.index(first), out);
        }
        fold_kernel<F, A, T>(x, out);
    });
    return out;
}

Tensor finish(Tensor keep, const AxesPlan& p) {
    return keep.shape() == p.out_shape ? keep : detail::make_view(keep, p.out_shape, contiguous_strides(p.out_shape), keep.offset());
}

// Spreads an output gradient back over the input's shape.
Tensor spread(const Tensor& g, const AxesPlan& p, const Shape& input_shape) {
    return broadcast_to(g.reshape(p.keep_shape), input_shape);
}

Tensor extremum(const Tensor& x, const std::vector<int>& axes, bool keepdims, bool is_max) {
    const char* op = is_max ? "max" : "min";
    const AxesPlan p = plan_axes(x, axes, keepdims, op);
    Tensor keep = is_max ? reduce_kernel<Fold::Max>(x, p, op) : reduce_kernel<Fold::Min>(x, p, op);
    Tensor out = finish(keep, p);
    if (detail::should_record(out))
        graph::record(op, {x}, out, [x, keep, p](const Tensor& g) {
            // Every maximal element gets an equal share of the gradient.
            Tensor mask = equal(x, keep).astype(x.dtype());
            Tensor share = divide(mask, sum(mask, p.axes, true));
            return std::vector<Tensor>{multiply(spread(g, p, x.shape()), share)};
        });
    return out;
}

}  // namespace

inline namespace ops {

Tensor sum(const Tensor& x, const std::vector<int>& axes, bool keepdims) {
    const AxesPlan p = plan_axes(x, axes, keepdims, "sum");
    Tensor out = finish(reduce_kernel<Fold::Sum>(x, p, "sum"), p);
    if (detail::should_record(out))
        graph::record("sum", {x}, out, [p, shape = x.shape()](const Tensor& g) {
            return std::vector<Tensor>{spread(g, p, shape)};
        });
    return out;
}

Tensor mean(const Tensor& x, const std::vector<int>& axes, bool keepdims) {
    const AxesPlan p = plan_axes(x, axes, keepdims, "mean");
    const DType dt = is_floating(x.dtype()) ? x.dtype() : float64;  // NumPy: integer means are float64
    Tensor xf = x.dtype() == dt ? x : x.astype(dt);
    Tensor keep = reduce_kernel<Fold::Sum>(xf, p, "mean");
    const double scale = p.count == 0 ? std::numeric_limits<double>::quiet_NaN() : 1.0 / static_cast<double>(p.count);
    keep *= scale;
    Tensor out = finish(keep, p);
    if (detail::should_record(out))
        graph::record("mean", {x}, out, [p, shape = x.shape(), scale](const Tensor& g) {
            return std::vector<Tensor>{multiply(spread(g, p, shape), as_operand(g, scale))};
        });
    return out;
}

Tensor max(const Tensor& x, const std::vector<int>& axes, bool keepdims) { return extremum(x, axes, keepdims, true); }
Tensor min(const Tensor& x, const std::vector<int>& axes, bool keepdims) { return extremum(x, axes, keepdims, false); }

Tensor unbroadcast(const Tensor& grad, const Shape& shape) {
    if (grad.shape() == shape) return grad;
    const int lead = grad.ndim() - static_cast<int>(shape.size());
    bool ok = lead >= 0;
    std::vector<int> axes;
    for (int d = 0; ok && d < grad.ndim(); ++d) {
        if (d < lead) axes.push_back(d);
        else if (shape[d - lead] == 1 && grad.shape()[d] != 1) axes.push_back(d);
        else ok = shape[d - lead] == grad.shape()[d];
    }
    if (!ok)
        throw ShapeError("unbroadcast: a gradient of shape " + to_string(grad.shape()) +
                         " cannot be summed back to shape " + to_string(shape));
    return sum(grad, axes, true).reshape(shape);
}

}  // namespace ops
}  // namespace nabla
