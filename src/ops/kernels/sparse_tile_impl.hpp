// The sparse first layer's inner loop (src/ops/sparse_kernels.cpp), compiled
// once per CPU level next to the sgemm (included by sgemm_impl.hpp). Built
// for baseline x86-64 alone its fused multiply-adds became calls into libm's
// software fmaf, and the "faster" path ran 30 times slower than the dense
// one. Same rules as sgemm_impl.hpp: internal linkage, no standard-library
// templates.
//
// out[0, n) = Σ_p vals[p] · (base + index[p]·stride)[0, n), p in [p0, p1),
// n <= kSparseTile: the tile's sums stay in registers while the nonzeros
// stream by. Every level computes each sum as the same chain of fused
// multiply-adds in p order, so the levels agree bit for bit.
#pragma once
#include <cstdint>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

#include "float_kernels.hpp"

namespace nabla::detail::kernels {
namespace {

void sparse_tile_scalar(const std::int32_t* index, const float* vals, std::int64_t p0, std::int64_t p1,
                        const float* base, std::int64_t stride, std::int64_t n, float* out) {
    float acc[kSparseTile];
    for (std::int64_t j = 0; j < n; ++j) acc[j] = 0.0f;
    for (std::int64_t p = p0; p < p1; ++p) {
        const float x = vals[p];
        const float* w = base + static_cast<std::int64_t>(index[p]) * stride;
        for (std::int64_t j = 0; j < n; ++j) acc[j] = __builtin_fmaf(x, w[j], acc[j]);
    }
    for (std::int64_t j = 0; j < n; ++j) out[j] = acc[j];
}

void sparse_tile(const std::int32_t* index, const float* vals, std::int64_t p0, std::int64_t p1, const float* base,
                 std::int64_t stride, std::int64_t n, float* out) {
    static_assert(kSparseTile == 64, "the vector paths hold 64 sums");
#if defined(__AVX512F__)
    if (n == kSparseTile) {
        __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        for (std::int64_t p = p0; p < p1; ++p) {
            const __m512 x = _mm512_set1_ps(vals[p]);
            const float* w = base + static_cast<std::int64_t>(index[p]) * stride;
            a0 = _mm512_fmadd_ps(x, _mm512_loadu_ps(w), a0);
            a1 = _mm512_fmadd_ps(x, _mm512_loadu_ps(w + 16), a1);
            a2 = _mm512_fmadd_ps(x, _mm512_loadu_ps(w + 32), a2);
            a3 = _mm512_fmadd_ps(x, _mm512_loadu_ps(w + 48), a3);
        }
        _mm512_storeu_ps(out, a0);
        _mm512_storeu_ps(out + 16, a1);
        _mm512_storeu_ps(out + 32, a2);
        _mm512_storeu_ps(out + 48, a3);
        return;
    }
#elif defined(__AVX2__) && defined(__FMA__)
    if (n == kSparseTile) {
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        for (std::int64_t p = p0; p < p1; ++p) {
            const __m256 x = _mm256_broadcast_ss(vals + p);
            const float* w = base + static_cast<std::int64_t>(index[p]) * stride;
            a0 = _mm256_fmadd_ps(x, _mm256_loadu_ps(w), a0);
            a1 = _mm256_fmadd_ps(x, _mm256_loadu_ps(w + 8), a1);
            a2 = _mm256_fmadd_ps(x, _mm256_loadu_ps(w + 16), a2);
            a3 = _mm256_fmadd_ps(x, _mm256_loadu_ps(w + 24), a3);
            a4 = _mm256_fmadd_ps(x, _mm256_loadu_ps(w + 32), a4);
            a5 = _mm256_fmadd_ps(x, _mm256_loadu_ps(w + 40), a5);
            a6 = _mm256_fmadd_ps(x, _mm256_loadu_ps(w + 48), a6);
            a7 = _mm256_fmadd_ps(x, _mm256_loadu_ps(w + 56), a7);
        }
        _mm256_storeu_ps(out, a0);
        _mm256_storeu_ps(out + 8, a1);
        _mm256_storeu_ps(out + 16, a2);
        _mm256_storeu_ps(out + 24, a3);
        _mm256_storeu_ps(out + 32, a4);
        _mm256_storeu_ps(out + 40, a5);
        _mm256_storeu_ps(out + 48, a6);
        _mm256_storeu_ps(out + 56, a7);
        return;
    }
#endif
    // The last, narrower tile, and the baseline level (its fmaf is libm's
    // software routine: slow but the same bits; the automatic choice never
    // takes the sparse path there).
    sparse_tile_scalar(index, vals, p0, p1, base, stride, n, out);
}

}  // namespace
}  // namespace nabla::detail::kernels
