// The float matrix product, written once and compiled once per CPU level:
// sgemm_baseline.cpp, sgemm_avx2.cpp and sgemm_avx512.cpp include this file
// with their own compiler flags, and the preprocessor picks the vector width.
// BLIS's scheme (Van Zee & van de Geijn): B is packed into kc×nr panels, A
// into mr×kc panels, and a register-blocked micro-kernel multiplies one A
// panel by one B panel into an mr×nr tile of C.
//
// Everything here has internal linkage and no standard-library template is
// used: an inline function instantiated under -mavx2 could otherwise be the
// copy the linker keeps for every translation unit.
#pragma once
#include <cstdint>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

#include "float_kernels.hpp"
#include "matvec_impl.hpp"
#include "rmsprop_impl.hpp"
#include "sparse_tile_impl.hpp"

namespace nabla::detail::kernels {
namespace {

using i64 = std::int64_t;

#if defined(__AVX512F__)
using V = __m512;
constexpr i64 kW = 16;
inline V vzero() { return _mm512_setzero_ps(); }
inline V vload(const float* p) { return _mm512_loadu_ps(p); }
inline void vstore(float* p, V v) { _mm512_storeu_ps(p, v); }
inline V vset1(float x) { return _mm512_set1_ps(x); }
inline V vmul(V a, V b) { return _mm512_mul_ps(a, b); }
inline V vfma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
#elif defined(__AVX2__) && defined(__FMA__)
using V = __m256;
constexpr i64 kW = 8;
inline V vzero() { return _mm256_setzero_ps(); }
inline V vload(const float* p) { return _mm256_loadu_ps(p); }
inline void vstore(float* p, V v) { _mm256_storeu_ps(p, v); }
inline V vset1(float x) { return _mm256_set1_ps(x); }
inline V vmul(V a, V b) { return _mm256_mul_ps(a, b); }
inline V vfma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
#elif defined(__SSE2__)
using V = __m128;
constexpr i64 kW = 4;
inline V vzero() { return _mm_setzero_ps(); }
inline V vload(const float* p) { return _mm_loadu_ps(p); }
inline void vstore(float* p, V v) { _mm_storeu_ps(p, v); }
inline V vset1(float x) { return _mm_set1_ps(x); }
inline V vmul(V a, V b) { return _mm_mul_ps(a, b); }
inline V vfma(V a, V b, V c) { return _mm_add_ps(_mm_mul_ps(a, b), c); }  // no FMA: multiply, then add
#else
// Other architectures: GCC's portable vectors (the compiler maps them to
// the target's SIMD registers, e.g. NEON).
typedef float V __attribute__((vector_size(16)));
constexpr i64 kW = 4;
inline V vzero() { return V{0, 0, 0, 0}; }
inline V vload(const float* p) { return V{p[0], p[1], p[2], p[3]}; }
inline void vstore(float* p, V v) {
    for (int i = 0; i < 4; ++i) p[i] = v[i];
}
inline V vset1(float x) { return V{x, x, x, x}; }
inline V vmul(V a, V b) { return a * b; }
inline V vfma(V a, V b, V c) { return a * b + c; }
#endif

// 6 rows × 2 vectors: 12 accumulators (2 FMA pipes × 4-6 cycles of latency),
// 2 B loads and 1 broadcast per 12 FMAs, within 16 vector registers.
constexpr i64 kMR = 6, kNR = 2 * kW;
// Blocks for Zen 3 (512 KB L2 per core, 32 KB L1D): a kc×nr B panel (16 KB
// at kc = 256, AVX2) and an mr×kc A panel stay in L1; A's mc×kc block
// (147 KB) in L2; B's kc×nc block in L3. K is split into equal blocks of at
// most kc (784 -> 4 × 196).
constexpr i64 kMC = 144, kKC = 256, kNC = 2048;

inline i64 min_of(i64 a, i64 b) { return a < b ? a : b; }

// C tile (mr×nr at c) = alpha·acc + beta·C; beta == 0 does not read C.
inline void store_tile(V (&acc)[kMR][2], float* c, i64 ldc, float alpha, float beta) {
    const V va = vset1(alpha);
    if (beta == 0.0f) {
        for (i64 r = 0; r < kMR; ++r) {
            vstore(c + r * ldc, vmul(va, acc[r][0]));
            vstore(c + r * ldc + kW, vmul(va, acc[r][1]));
        }
        return;
    }
    const V vb = vset1(beta);
    for (i64 r = 0; r < kMR; ++r) {
        float* cr = c + r * ldc;
        vstore(cr, vfma(va, acc[r][0], vmul(vb, vload(cr))));
        vstore(cr + kW, vfma(va, acc[r][1], vmul(vb, vload(cr + kW))));
    }
}

// One mr×nr tile over kc: a is packed [kc][mr], b is packed [kc][nr]. A tile
// at C's edge (rows < mr or cols < nr) goes through a local tile.
inline void micro_kernel(i64 kc, const float* a, const float* b, float* c, i64 ldc, i64 rows, i64 cols, float alpha,
                         float beta) {
    V acc[kMR][2];
#pragma GCC unroll 6
    for (i64 r = 0; r < kMR; ++r) acc[r][0] = acc[r][1] = vzero();
    for (i64 k = 0; k < kc; ++k) {
        const V b0 = vload(b), b1 = vload(b + kW);
#pragma GCC unroll 6
        for (i64 r = 0; r < kMR; ++r) {
            const V ar = vset1(a[r]);
            acc[r][0] = vfma(ar, b0, acc[r][0]);
            acc[r][1] = vfma(ar, b1, acc[r][1]);
        }
        a += kMR;
        b += kNR;
    }
    if (rows == kMR && cols == kNR) {
        store_tile(acc, c, ldc, alpha, beta);
        return;
    }
    alignas(64) float tile[kMR * kNR];
    store_tile(acc, tile, kNR, 1.0f, 0.0f);
    for (i64 r = 0; r < rows; ++r)
        for (i64 j = 0; j < cols; ++j) {
            float& out = c[r * ldc + j];
            const float v = alpha * tile[r * kNR + j];
            out = beta == 0.0f ? v : v + beta * out;
        }
}

// op(A)[i0 .. i0+mc, p0 .. p0+kc] into mr-row panels [kc][mr], rows past the
// end zero.
void pack_a(bool ta, const float* A, i64 lda, i64 i0, i64 mc, i64 p0, i64 kc, float* dst) {
    for (i64 ir = 0; ir < mc; ir += kMR, dst += kc * kMR) {
        const i64 rows = min_of(kMR, mc - ir);
        if (ta) {  // A stored (K, M): a row of op(A) is a column of A
            for (i64 k = 0; k < kc; ++k) {
                const float* src = A + (p0 + k) * lda + i0 + ir;
                for (i64 r = 0; r < kMR; ++r) dst[k * kMR + r] = r < rows ? src[r] : 0.0f;
            }
        } else {
            for (i64 r = 0; r < kMR; ++r) {
                if (r >= rows) {
                    for (i64 k = 0; k < kc; ++k) dst[k * kMR + r] = 0.0f;
                    continue;
                }
                const float* src = A + (i0 + ir + r) * lda + p0;
                for (i64 k = 0; k < kc; ++k) dst[k * kMR + r] = src[k];
            }
        }
    }
}

// op(B)[p0 .. p0+kc, j0 .. j0+nc] into nr-column panels [kc][nr], columns
// past the end zero.
void pack_b(bool tb, const float* B, i64 ldb, i64 p0, i64 kc, i64 j0, i64 nc, float* dst) {
    for (i64 jr = 0; jr < nc; jr += kNR, dst += kc * kNR) {
        const i64 cols = min_of(kNR, nc - jr);
        if (tb) {  // B stored (N, K): a column of op(B) is a row of B
            for (i64 j = 0; j < kNR; ++j) {
                if (j >= cols) {
                    for (i64 k = 0; k < kc; ++k) dst[k * kNR + j] = 0.0f;
                    continue;
                }
                const float* src = B + (j0 + jr + j) * ldb + p0;
                for (i64 k = 0; k < kc; ++k) dst[k * kNR + j] = src[k];
            }
        } else if (cols == kNR) {
            for (i64 k = 0; k < kc; ++k) {
                const float* src = B + (p0 + k) * ldb + j0 + jr;
                vstore(dst + k * kNR, vload(src));
                vstore(dst + k * kNR + kW, vload(src + kW));
            }
        } else {
            for (i64 k = 0; k < kc; ++k) {
                const float* src = B + (p0 + k) * ldb + j0 + jr;
                for (i64 j = 0; j < kNR; ++j) dst[k * kNR + j] = j < cols ? src[j] : 0.0f;
            }
        }
    }
}

// The loops around the micro-kernel (BLIS's jc, pc, ic, jr, ir). K blocks
// after the first accumulate into C (beta = 1), so every element of C sums
// its K terms in the same order, whatever the thread split.
void sgemm_serial(bool ta, bool tb, i64 M, i64 N, i64 K, float alpha, const float* A, i64 lda, const float* B,
                  i64 ldb, float beta, float* C, i64 ldc, float* pa, float* pb) {
    const i64 blocks = (K + kKC - 1) / kKC, kb = (K + blocks - 1) / blocks;
    for (i64 jc = 0; jc < N; jc += kNC) {
        const i64 nc = min_of(kNC, N - jc);
        for (i64 pc = 0; pc < K; pc += kb) {
            const i64 kc = min_of(kb, K - pc);
            const float b_scale = pc == 0 ? beta : 1.0f;
            pack_b(tb, B, ldb, pc, kc, jc, nc, pb);
            for (i64 ic = 0; ic < M; ic += kMC) {
                const i64 mc = min_of(kMC, M - ic);
                pack_a(ta, A, lda, ic, mc, pc, kc, pa);
                for (i64 jr = 0; jr < nc; jr += kNR)
                    for (i64 ir = 0; ir < mc; ir += kMR)
                        micro_kernel(kc, pa + ir * kc, pb + jr * kc, C + (ic + ir) * ldc + jc + jr, ldc,
                                     min_of(kMR, mc - ir), min_of(kNR, nc - jr), alpha, b_scale);
            }
        }
    }
}

}  // namespace
}  // namespace nabla::detail::kernels

// Kernels built on this file's vector helpers.
#include "conv_pool_impl.hpp"

namespace nabla::detail::kernels {

// The table entry of this level: `level` names it.
#if defined(__FMA__)
#define NABLA_LEVEL_HAS_FMA true
#else
#define NABLA_LEVEL_HAS_FMA false
#endif
#define NABLA_FLOAT_KERNELS(level)                                                                    \
    FloatKernels{level, kMR, kNR, kMC, kKC, kNC, &sgemm_serial, &rmsprop_block, &matvec_row, &sparse_tile, \
                 &conv_pool_forward, &conv_pool_backward_weights, NABLA_LEVEL_HAS_FMA}

}  // namespace nabla::detail::kernels
