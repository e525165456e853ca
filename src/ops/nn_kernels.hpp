#pragma once
// Internal: the row kernels behind the nn ops (softmax family, losses, the
// dense epilogue) and the plumbing that feeds them contiguous rows.
//
// Every nn op works on rows: the reduced axis is made the last, contiguous
// one (a copy only when it is not already), so each kernel is a plain loop
// over `n` adjacent elements that the compiler vectorises, and rows are split
// across threads by detail::parallel_for. None of the helpers here records
// anything on a tape: the public ops record exactly one node themselves.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <utility>

#include "core/dispatch.hpp"
#include "core/parallel.hpp"
#include "core/tensor_impl.hpp"
#include "nabla/core/tensor.hpp"

namespace nabla::detail::nn {

// A contiguous tensor of dtype dt holding t's values (t itself when it
// already qualifies). Never recorded.
Tensor contiguous_as(const Tensor& t, DType dt);
// A contiguous copy of t (converted to dt) with `axis` moved to the end.
Tensor move_axis_last(const Tensor& t, int axis, DType dt);
// The inverse of move_axis_last for a contiguous y: its last axis goes back
// to position `axis`; the result is contiguous.
Tensor move_last_to(const Tensor& y, int axis);
// A view with a new shape over a contiguous tensor. Never recorded.
Tensor reshaped(const Tensor& t, Shape shape);

// f(r) for every row r in [0, rows), rows of n elements, in parallel when the
// total work is large.
template <typename F>
void for_rows(std::int64_t rows, std::int64_t n, F&& f) {
    const std::int64_t grain = std::max<std::int64_t>(1, kParallelGrain / std::max<std::int64_t>(n, 1));
    parallel_for(rows, grain, [&](std::int64_t r0, std::int64_t r1) {
        for (std::int64_t r = r0; r < r1; ++r) f(r);
    });
}

template <typename T>
T row_max(const T* x, std::int64_t n) {
    T m = -INFINITY;
    // Skips NaNs; callers still return NaN for such a row, as NumPy does,
    // because exp(NaN - m) poisons the row's sum.
    for (std::int64_t i = 0; i < n; ++i) m = x[i] > m ? x[i] : m;
    return m;
}

// max and log(sum(exp(x - max))) of a row: log-sum-exp = max + log_sum.
template <typename T>
struct RowLse {
    T max;
    T log_sum;
};

template <typename T>
RowLse<T> row_lse(const T* x, std::int64_t n) {
    const T m = row_max(x, n);
    T s = 0;
    for (std::int64_t i = 0; i < n; ++i) s += std::exp(x[i] - m);
    return {m, std::log(s)};
}

template <typename T>
void softmax_row(const T* x, T* y, std::int64_t n) {
    const T m = row_max(x, n);
    T s = 0;
    for (std::int64_t i = 0; i < n; ++i) {
        y[i] = std::exp(x[i] - m);
        s += y[i];
    }
    const T inv = T(1) / s;
    for (std::int64_t i = 0; i < n; ++i) y[i] *= inv;
}

template <typename T>
void log_softmax_row(const T* x, T* y, std::int64_t n) {
    const RowLse<T> l = row_lse(x, n);
    for (std::int64_t i = 0; i < n; ++i) y[i] = (x[i] - l.max) - l.log_sum;
}

// Runs f.template operator()<T>(out_row, n, in_rows...) over every row along
// `axis` of the inputs (all of first's shape, converted to first's dtype) and
// returns the result with first's shape and dtype.
template <typename F, typename... In>
Tensor map_rows(const char* op, int axis, F&& f, const Tensor& first, const In&... rest) {
    constexpr std::size_t K = 1 + sizeof...(In);
    const DType dt = first.dtype();
    const bool last = first.ndim() == 0 || axis == first.ndim() - 1;
    auto prep = [&](const Tensor& t) { return last ? contiguous_as(t, dt) : move_axis_last(t, axis, dt); };
    const std::array<Tensor, K> in{prep(first), prep(rest)...};
    Tensor out = Tensor::uninitialized(in[0].shape(), dt);
    const std::int64_t n = in[0].ndim() == 0 ? 1 : in[0].shape().back();
    const std::int64_t rows = n == 0 ? 0 : out.size() / n;
    dispatch_floating(dt, op, [&]<typename T>() {
        T* o = out.data<T>();
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            const std::array<const T*, K> p{in[I].template data<T>()...};
            for_rows(rows, n, [&](std::int64_t r) { f.template operator()<T>(o + r * n, n, (p[I] + r * n)...); });
        }(std::make_index_sequence<K>{});
    });
    return last ? out : move_last_to(out, axis);
}

}  // namespace nabla::detail::nn
