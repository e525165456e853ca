// One row through a Dense kernel, y (units) = x (in) · W (in, units),
// compiled once per CPU level next to the sgemm (included by
// sgemm_impl.hpp): the serving path's single-sample predict
// (src/models/inference.cpp), which built for baseline x86-64 alone lost
// to onnxruntime (31.8 against 29.2 µs p50, bench/latency.py). Same rules as
// sgemm_impl.hpp: internal linkage, no standard-library templates.
//
// Four rows of W at a time stream by in order (prefetch-friendly), y's
// partial sums stay in L1, each y[j] is summed over k in order. Measured at
// 784 x 512 on an AVX-512 EPYC: 17 µs against 26 µs for 64-column blocks
// held in registers while W is read down its columns (21 µs for eight rows).
#pragma once
#include <cstdint>

#include "float_kernels.hpp"

namespace nabla::detail::kernels {
namespace {

void matvec_row(const float* x, const float* W, std::int64_t in, std::int64_t units, float* y) {
    for (std::int64_t j = 0; j < units; ++j) y[j] = 0.0f;
    std::int64_t k = 0;
    for (; k + 4 <= in; k += 4) {
        const float x0 = x[k], x1 = x[k + 1], x2 = x[k + 2], x3 = x[k + 3];
        const float* w0 = W + k * units;
        const float *w1 = w0 + units, *w2 = w1 + units, *w3 = w2 + units;
#pragma omp simd
        for (std::int64_t j = 0; j < units; ++j) {
            float a = y[j];
            a += x0 * w0[j];
            a += x1 * w1[j];
            a += x2 * w2[j];
            a += x3 * w3[j];
            y[j] = a;
        }
    }
    for (; k < in; ++k) {
        const float xk = x[k];
        const float* w = W + k * units;
#pragma omp simd
        for (std::int64_t j = 0; j < units; ++j) y[j] += xk * w[j];
    }
}

}  // namespace
}  // namespace nabla::detail::kernels
