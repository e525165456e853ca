#pragma once
// Internal: the arithmetic of a Dense layer on contiguous row-major float
// buffers, shared by ops::dense (one tape node) and the fused training step
// of layer stacks (src/models/stack_step.cpp), so both compute exactly
// the same numbers.
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "core/parallel.hpp"
#include "gemm.hpp"
#include "nabla/ops/nn.hpp"
#include "nn_kernels.hpp"

namespace nabla::detail::dense {

using ops::Activation;
using detail::nn::for_rows;

// z (rows, units), contiguous, is overwritten with activation(z + b).
template <typename T>
void bias_activation(T* z, const T* b, std::int64_t rows, std::int64_t units, Activation act) {
    for_rows(rows, units, [&](std::int64_t r) {
        T* row = z + r * units;
        if (b)
            for (std::int64_t j = 0; j < units; ++j) row[j] += b[j];
        switch (act) {
            case Activation::Linear: break;
            case Activation::ReLU:  // NaN stays NaN, as in NumPy's maximum
                for (std::int64_t j = 0; j < units; ++j) row[j] = row[j] < T(0) ? T(0) : row[j];
                break;
            case Activation::Sigmoid:
                for (std::int64_t j = 0; j < units; ++j) row[j] = T(1) / (T(1) + std::exp(-row[j]));
                break;
            case Activation::Tanh:
                for (std::int64_t j = 0; j < units; ++j) row[j] = std::tanh(row[j]);
                break;
            case Activation::Softmax: nn::softmax_row(row, row, units); break;
        }
    });
}

// g · activation'(pre-activation), from the activation's output y.
struct ActivationGradRow {
    Activation act;
    template <typename T>
    void operator()(T* d, std::int64_t n, const T* y, const T* g) const {
        switch (act) {
            case Activation::Linear:
                for (std::int64_t i = 0; i < n; ++i) d[i] = g[i];
                break;
            case Activation::ReLU:  // 0 where the input was 0, as relu()
                for (std::int64_t i = 0; i < n; ++i) d[i] = y[i] > T(0) ? g[i] : T(0);
                break;
            case Activation::Sigmoid:
                for (std::int64_t i = 0; i < n; ++i) d[i] = g[i] * y[i] * (T(1) - y[i]);
                break;
            case Activation::Tanh:
                for (std::int64_t i = 0; i < n; ++i) d[i] = g[i] * (T(1) - y[i] * y[i]);
                break;
            case Activation::Softmax: {
                T dot = 0;
                for (std::int64_t i = 0; i < n; ++i) dot += g[i] * y[i];
                for (std::int64_t i = 0; i < n; ++i) d[i] = y[i] * (g[i] - dot);
                break;
            }
        }
    }
};

// C (M, N) = op(A) · op(B), all contiguous row-major; zeros when K == 0.
template <typename T>
void product(bool ta, bool tb, std::int64_t M, std::int64_t N, std::int64_t K, const T* A, const T* B, T* C) {
    if (K == 0) {
        std::fill(C, C + M * N, T(0));
        return;
    }
    detail::gemm<T>(ta, tb, M, N, K, T(1), A, ta ? M : K, B, tb ? K : N, T(0), C, N);
}

// out[j] = Σ_r a[r, j] for a (rows, cols): the bias gradient. Columns are
// split across threads; each thread streams whole rows of its column range.
template <typename T>
void column_sums(const T* a, std::int64_t rows, std::int64_t cols, T* out) {
    const std::int64_t grain = std::max<std::int64_t>(16, kParallelGrain / std::max<std::int64_t>(rows, 1));
    parallel_for(cols, grain, [&](std::int64_t c0, std::int64_t c1) {
        std::fill(out + c0, out + c1, T(0));
        for (std::int64_t r = 0; r < rows; ++r) {
            const T* row = a + r * cols;
            for (std::int64_t j = c0; j < c1; ++j) out[j] += row[j];
        }
    });
}

}  // namespace nabla::detail::dense
