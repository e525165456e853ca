#pragma once
// Internal: the element-wise loop templates every element-wise op uses.
//
// map_n<K>(out, {inputs...}, f) writes out[i] = f(in0[i], in1[i], ...) over
// tensors that already share out's shape (inputs may be strided or broadcast
// views; out is freshly allocated). Contiguous rows get a plain indexed loop
// the compiler vectorises; big tensors are split across threads by rows, or
// by chunks of the single row when everything merged into one.
#include <algorithm>
#include <array>
#include <cstdint>
#include <tuple>
#include <type_traits>
#include <utility>

#include "core/parallel.hpp"
#include "core/strided.hpp"
#include "core/tensor_impl.hpp"

namespace nabla::detail {

// Integer arithmetic wraps modulo 2^bits, as NumPy's does. Signed C++
// overflow is undefined (and stops a sanitizer run), so signed types go
// through their unsigned twin: the same machine instruction, defined.
template <typename T, bool Signed = std::is_integral_v<T> && std::is_signed_v<T>>
struct wrap_twin_of {
    using type = T;
};
template <typename T>
struct wrap_twin_of<T, true> {
    using type = std::make_unsigned_t<T>;
};
template <typename T>
using wrap_twin = typename wrap_twin_of<T>::type;
template <typename T>
constexpr T wrap_add(T x, T y) noexcept {
    return static_cast<T>(static_cast<wrap_twin<T>>(x) + static_cast<wrap_twin<T>>(y));
}
template <typename T>
constexpr T wrap_sub(T x, T y) noexcept {
    return static_cast<T>(static_cast<wrap_twin<T>>(x) - static_cast<wrap_twin<T>>(y));
}
template <typename T>
constexpr T wrap_mul(T x, T y) noexcept {
    return static_cast<T>(static_cast<wrap_twin<T>>(x) * static_cast<wrap_twin<T>>(y));
}
template <typename T>
constexpr T wrap_neg(T x) noexcept {
    return static_cast<T>(wrap_twin<T>(0) - static_cast<wrap_twin<T>>(x));
}

template <typename T>
T* base_ptr(const Tensor& t) {
    return reinterpret_cast<T*>(t.storage()->data());
}

// Calls f(offsets, n) over every row of the plan, in parallel when large.
template <std::size_t K, typename F>
void parallel_rows(const RowPlan<K>& plan, const std::array<std::int64_t, K>& base, F&& f) {
    for (auto n : plan.shape)
        if (n == 0) return;
    const std::int64_t rows = row_count(plan), inner = plan.inner();
    if (rows == 1) {  // one long row: split it
        parallel_for(inner, kParallelGrain, [&](std::int64_t b, std::int64_t e) {
            std::array<std::int64_t, K> off = base;
            for (std::size_t k = 0; k < K; ++k) off[k] += b * plan.inner_stride(k);
            f(off.data(), e - b);
        });
        return;
    }
    const std::int64_t grain_rows = std::max<std::int64_t>(1, kParallelGrain / inner);
    parallel_for(rows, grain_rows, [&](std::int64_t r0, std::int64_t r1) {
        for_each_row_range(plan, base, r0, r1, f);
    });
}

template <typename TO, typename... TI, typename F, std::size_t... I>
void map_impl(Tensor& out, const std::array<Tensor, sizeof...(TI)>& in, F& f, std::index_sequence<I...>) {
    constexpr std::size_t K = sizeof...(TI) + 1;
    std::array<const Strides*, K> strides{&out.strides(), &in[I].strides()...};
    const auto plan = plan_rows<K>(out.shape(), strides);
    TO* o = base_ptr<TO>(out);
    const std::tuple<const TI*...> ptrs{base_ptr<const TI>(in[I])...};
    bool unit = true;
    for (std::size_t k = 0; k < K; ++k) unit = unit && plan.inner_stride(k) == 1;
    const std::array<std::int64_t, K> st{plan.inner_stride(0), plan.inner_stride(I + 1)...};
    parallel_rows<K>(plan, {out.offset(), in[I].offset()...}, [&](const std::int64_t* off, std::int64_t n) {
        TO* op = o + off[0];
        const std::tuple<const TI*...> ip{(std::get<I>(ptrs) + off[I + 1])...};
        if (unit) {
            for (std::int64_t i = 0; i < n; ++i) op[i] = static_cast<TO>(f(std::get<I>(ip)[i]...));
        } else {
            for (std::int64_t i = 0; i < n; ++i)
                op[i * st[0]] = static_cast<TO>(f(std::get<I>(ip)[i * st[I + 1]]...));
        }
    });
}

// out[i] = f(in[0][i], ...), with in[k] of C++ type TI_k and out of TO.
template <typename TO, typename... TI, typename F>
void map_n(Tensor& out, const std::array<Tensor, sizeof...(TI)>& in, F f) {
    map_impl<TO, TI...>(out, in, f, std::index_sequence_for<TI...>{});
}

}  // namespace nabla::detail
