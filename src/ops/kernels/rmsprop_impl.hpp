// RMSprop's update of one block of float weights, compiled once per CPU
// level next to the sgemm (included by sgemm_<level>.cpp): the update is the
// training step's largest pass after the matrix products, and built for
// baseline x86-64 alone it ran 3-4x slower than with AVX2 (docs/PERFORMANCE.md).
// Same rules as sgemm_impl.hpp: internal linkage, no standard-library
// templates. The arithmetic is the one of src/training/optimizer_kernels.cpp
// (no FMA contraction: -ffp-contract=off under -std=c++20; sqrt and division
// are correctly rounded), so every level gives the same bits.
#pragma once
#include <cstdint>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

#include "float_kernels.hpp"

namespace nabla::detail::kernels {
namespace {

void sqrt_floats(float* x, std::int64_t n) {
    std::int64_t i = 0;
#if defined(__AVX512F__)
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(x + i, _mm512_sqrt_ps(_mm512_loadu_ps(x + i)));
#endif
#if defined(__AVX__)
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, _mm256_sqrt_ps(_mm256_loadu_ps(x + i)));
#endif
#if defined(__SSE2__)
    for (; i + 4 <= n; i += 4) _mm_storeu_ps(x + i, _mm_sqrt_ps(_mm_loadu_ps(x + i)));
#endif
    for (; i < n; ++i) x[i] = __builtin_sqrtf(x[i]);
}

inline float clipped(float g, const RmspropArgs& s) {
    float x = g * s.grad_scale;
    x = x < -s.clip ? -s.clip : x;
    return x > s.clip ? s.clip : x;
}

inline float decayed(float w, const RmspropArgs& s) { return w - w * s.decay * s.lr; }

// len <= kRmspropBlock elements from offset 0 of each pointer.
void rmsprop_block(float* __restrict wp, const float* __restrict gp, float* __restrict vp, float* __restrict ap,
                   float* __restrict mp, std::int64_t len, const RmspropArgs& s) {
    float root[kRmspropBlock];
    const float rho = s.rho, omr = s.one_minus_rho, eps = s.epsilon, mu = s.momentum, lr = s.lr;
    if (ap != nullptr) {
#pragma omp simd
        for (std::int64_t i = 0; i < len; ++i) {
            const float gi = clipped(gp[i], s);
            const float v = rho * vp[i] + omr * (gi * gi);
            const float a = rho * ap[i] + omr * gi;
            vp[i] = v;
            ap[i] = a;
            root[i] = v - a * a + eps;
        }
    } else {
#pragma omp simd
        for (std::int64_t i = 0; i < len; ++i) {
            const float gi = clipped(gp[i], s);
            const float v = rho * vp[i] + omr * (gi * gi);
            vp[i] = v;
            root[i] = v + eps;
        }
    }
    sqrt_floats(root, len);
    if (mp != nullptr) {
#pragma omp simd
        for (std::int64_t i = 0; i < len; ++i) {
            const float m = mu * mp[i] + (lr * clipped(gp[i], s)) / root[i];
            mp[i] = m;
            wp[i] = decayed(wp[i], s) - m;
        }
    } else {
#pragma omp simd
        for (std::int64_t i = 0; i < len; ++i) wp[i] = decayed(wp[i], s) - (lr * clipped(gp[i], s)) / root[i];
    }
}

}  // namespace
}  // namespace nabla::detail::kernels
