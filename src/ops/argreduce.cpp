// argmax / argmin: the int64 index of the first extremal element (NaN counts
// as extremal, as in NumPy), over one axis or the flattened tensor.
#include "core/dispatch.hpp"
#include "elementwise_impl.hpp"
#include "kernels.hpp"
#include "nabla/ops/reduce.hpp"

namespace nabla {

namespace {

template <bool IsMax, typename T>
std::int64_t arg_run(const T* p, std::int64_t n, std::int64_t s) {
    std::int64_t best = 0;
    T v = p[0];
    if (v != v) return 0;
    for (std::int64_t i = 1; i < n; ++i) {
        const T c = p[i * s];
        if (c != c) return i;
        if (IsMax ? c > v : c < v) {
            v = c;
            best = i;
        }
    }
    return best;
}

Tensor arg_extremum(const Tensor& x, std::optional<int> axis, bool keepdims, bool is_max) {
    const char* op = is_max ? "argmax" : "argmin";
    detail::require_defined(x, op);
    if (!axis) {
        if (x.size() == 0) throw ValueError(std::string(op) + ": attempt to get " + op + " of an empty sequence");
        Tensor flat = x.contiguous();
        std::int64_t i = 0;
        detail::dispatch(x.dtype(), [&]<typename T>() {
            const T* p = flat.data<T>();
            i = is_max ? arg_run<true>(p, flat.size(), 1) : arg_run<false>(p, flat.size(), 1);
        });
        Tensor out = Tensor::scalar(static_cast<double>(i), int64);
        return keepdims ? out.reshape(Shape(static_cast<std::size_t>(x.ndim()), 1)) : out;
    }
    const int a = normalize_axis(*axis, x.ndim(), op);
    const std::int64_t n = x.shape()[a], s = x.strides()[a];
    if (n == 0) throw ValueError(std::string(op) + ": attempt to get " + op + " of an empty sequence");
    Shape rest = x.shape();
    Strides rest_strides = x.strides();
    rest.erase(rest.begin() + a);
    rest_strides.erase(rest_strides.begin() + a);
    Tensor out = Tensor::uninitialized(rest, int64);
    Tensor src = detail::make_view(x, rest, rest_strides, x.offset());  // first element of each run
    detail::dispatch(x.dtype(), [&]<typename T>() {
        const auto plan = detail::plan_rows<2>(rest, {&out.strides(), &src.strides()});
        std::int64_t* o = detail::base_ptr<std::int64_t>(out);
        const T* in = detail::base_ptr<const T>(src);
        const std::int64_t so = plan.inner_stride(0), si = plan.inner_stride(1);
        detail::parallel_rows<2>(plan, {out.offset(), src.offset()}, [&](const std::int64_t* off, std::int64_t m) {
            for (std::int64_t i = 0; i < m; ++i) {
                const T* p = in + off[1] + i * si;
                o[off[0] + i * so] = is_max ? arg_run<true>(p, n, s) : arg_run<false>(p, n, s);
            }
        });
    });
    return keepdims ? out.expand_dims(a) : out;
}

}  // namespace

inline namespace ops {
Tensor argmax(const Tensor& x, std::optional<int> axis, bool keepdims) { return arg_extremum(x, axis, keepdims, true); }
Tensor argmin(const Tensor& x, std::optional<int> axis, bool keepdims) { return arg_extremum(x, axis, keepdims, false); }
}  // namespace ops

}  // namespace nabla
