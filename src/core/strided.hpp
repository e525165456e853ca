#pragma once
// Internal: the one N-d strided loop every kernel builds on.
//
// for_each_row(shape, {&s0, &s1, ...}, f) calls
//   f(const std::int64_t* offsets, std::int64_t n)
// once per innermost row, where offsets[k] is operand k's element offset of
// the row's first element and operand k steps by inner_stride(k) along the
// row. Adjacent axes that are contiguous for every operand are merged first,
// so contiguous tensors become one long row.
#include <array>
#include <cstdint>
#include <vector>

#include "nabla/core/shape.hpp"

namespace nabla::detail {

template <std::size_t K>
struct RowPlan {
    Shape shape;                         // merged shape (rank >= 1)
    std::array<Strides, K> strides;      // merged strides per operand
    std::int64_t inner() const { return shape.back(); }
    std::int64_t inner_stride(std::size_t k) const { return strides[k].back(); }
};

template <std::size_t K>
RowPlan<K> plan_rows(const Shape& shape, const std::array<const Strides*, K>& strides) {
    RowPlan<K> p;
    // Drop length-1 axes, then merge axis i into i+1 when contiguous for all.
    for (std::size_t d = 0; d < shape.size(); ++d) {
        if (shape[d] == 1) continue;
        bool merge = !p.shape.empty();
        for (std::size_t k = 0; merge && k < K; ++k)
            merge = p.strides[k].back() == (*strides[k])[d] * shape[d];
        if (merge) {
            p.shape.back() *= shape[d];
            for (std::size_t k = 0; k < K; ++k) p.strides[k].back() = (*strides[k])[d];
        } else {
            p.shape.push_back(shape[d]);
            for (std::size_t k = 0; k < K; ++k) p.strides[k].push_back((*strides[k])[d]);
        }
    }
    if (p.shape.empty()) {
        p.shape.push_back(1);
        for (std::size_t k = 0; k < K; ++k) p.strides[k].push_back(0);
    }
    return p;
}

// Number of rows (innermost runs) in a plan.
template <std::size_t K>
std::int64_t row_count(const RowPlan<K>& p) {
    std::int64_t rows = 1;
    for (std::size_t d = 0; d + 1 < p.shape.size(); ++d) rows *= p.shape[d];
    return p.inner() == 0 ? 0 : rows;
}

// Rows [r0, r1) of the plan, in C order; see for_each_row.
template <std::size_t K, typename F>
void for_each_row_range(const RowPlan<K>& p, const std::array<std::int64_t, K>& base, std::int64_t r0,
                        std::int64_t r1, F&& f) {
    if (r0 >= r1) return;
    const int outer = static_cast<int>(p.shape.size()) - 1;
    std::vector<std::int64_t> idx(static_cast<std::size_t>(outer), 0);
    std::array<std::int64_t, K> off = base;
    std::int64_t rem = r0;  // unravel r0 into idx
    for (int d = outer - 1; d >= 0; --d) {
        idx[d] = rem % p.shape[d];
        rem /= p.shape[d];
        for (std::size_t k = 0; k < K; ++k) off[k] += idx[d] * p.strides[k][d];
    }
    for (std::int64_t row = r0;;) {
        f(off.data(), p.inner());
        if (++row >= r1) return;
        for (int d = outer - 1; d >= 0; --d) {
            for (std::size_t k = 0; k < K; ++k) off[k] += p.strides[k][d];
            if (++idx[d] < p.shape[d]) break;
            for (std::size_t k = 0; k < K; ++k) off[k] -= p.strides[k][d] * p.shape[d];
            idx[d] = 0;
        }
    }
}

// f(offsets, n) once per innermost row, in C order.
template <std::size_t K, typename F>
void for_each_row(const RowPlan<K>& p, const std::array<std::int64_t, K>& base, F&& f) {
    for (auto n : p.shape)
        if (n == 0) return;
    for_each_row_range(p, base, 0, row_count(p), f);
}

}  // namespace nabla::detail
