// A small convolution fused with the max pooling above it (the kernels
// behind ops/conv_pool.cpp), compiled once per CPU level next to the sgemm
// (included by sgemm_impl.hpp, which defines V, kW and the vector helpers).
// Same rules as sgemm_impl.hpp: internal linkage, no standard-library
// templates.
//
// Forward, per pooling window: the convolution's output at the window's
// positions (bias + Σ taps · kernel rows, four positions at a time so that
// the fused multiply-adds of different positions overlap), the activation,
// then the first maximum and its position. The convolution's output is never
// stored: the position is all the backward pass needs, because the
// gradient of a window goes to that position alone.
//
// Backward weights, per image: dk[t][o] = Σ over windows and positions of
// x[position + tap t] · g[position][o], where g is the window's dy at its
// recorded position and 0 elsewhere; dbias[o] = Σ g. The sums of a block of
// taps stay in registers while the windows stream by.
#pragma once
#include <cstdint>

#include "float_kernels.hpp"

namespace nabla::detail::kernels {
namespace {

#if defined(__AVX512F__)
// Where a > b (ordered): the lanes of `then`, else those of `otherwise`.
inline V select_greater(V a, V b, V then, V otherwise) {
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, b, _CMP_GT_OQ), otherwise, then);
}
// Lanes of v where a == b, else 0.
inline V keep_equal(V a, V b, V v) { return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(a, b, _CMP_EQ_OQ), v); }
constexpr i64 kPoolVectors = 4;  // channel vectors per block: 4 positions × 4 sums within 32 registers
#elif defined(__AVX2__) && defined(__FMA__)
inline V select_greater(V a, V b, V then, V otherwise) {
    return _mm256_blendv_ps(otherwise, then, _mm256_cmp_ps(a, b, _CMP_GT_OQ));
}
inline V keep_equal(V a, V b, V v) { return _mm256_and_ps(_mm256_cmp_ps(a, b, _CMP_EQ_OQ), v); }
constexpr i64 kPoolVectors = 2;  // 16 registers
#elif defined(__SSE2__)
inline V select_greater(V a, V b, V then, V otherwise) {
    const V m = _mm_cmpgt_ps(a, b);
    return _mm_or_ps(_mm_and_ps(m, then), _mm_andnot_ps(m, otherwise));
}
inline V keep_equal(V a, V b, V v) { return _mm_and_ps(_mm_cmpeq_ps(a, b), v); }
constexpr i64 kPoolVectors = 2;
#else
inline V select_greater(V a, V b, V then, V otherwise) { return a > b ? then : otherwise; }
inline V keep_equal(V a, V b, V v) { return a == b ? v : vzero(); }
constexpr i64 kPoolVectors = 2;
#endif

constexpr i64 kPositionsAtOnce = 4;

// One window, channels [0, NB·kW) of the block at k, b, y, arg.
template <i64 NB>
void conv_pool_window(const ConvPoolPlan& p, const float* x, const float* k, const float* b, float* y, float* arg) {
    V best[NB], at[NB];
    for (i64 v = 0; v < NB; ++v) best[v] = at[v] = vzero();
    for (i64 q0 = 0; q0 < p.positions; q0 += kPositionsAtOnce) {
        const i64 nq = min_of(kPositionsAtOnce, p.positions - q0);
        const float* corner[kPositionsAtOnce];
        for (i64 q = 0; q < kPositionsAtOnce; ++q) corner[q] = x + p.position[q0 + (q < nq ? q : 0)];
        V acc[kPositionsAtOnce][NB];
        for (i64 v = 0; v < NB; ++v) {
            const V bias = b ? vload(b + v * kW) : vzero();
            for (i64 q = 0; q < kPositionsAtOnce; ++q) acc[q][v] = bias;
        }
        for (i64 t = 0; t < p.taps; ++t) {
            V w[NB];
            for (i64 v = 0; v < NB; ++v) w[v] = vload(k + t * p.o + v * kW);
            const i64 off = p.tap[t];
#pragma GCC unroll 4
            for (i64 q = 0; q < kPositionsAtOnce; ++q) {
                const V xv = vset1(corner[q][off]);
                for (i64 v = 0; v < NB; ++v) acc[q][v] = vfma(xv, w[v], acc[q][v]);
            }
        }
        for (i64 q = 0; q < nq; ++q) {
            const V position = vset1(static_cast<float>(q0 + q));
            for (i64 v = 0; v < NB; ++v) {
                // relu as on the tape: z > 0 ? z : 0
                const V z = p.relu ? select_greater(acc[q][v], vzero(), acc[q][v], vzero()) : acc[q][v];
                if (q0 + q == 0) {
                    best[v] = z;
                    at[v] = position;
                } else {
                    at[v] = select_greater(z, best[v], position, at[v]);
                    best[v] = select_greater(z, best[v], z, best[v]);
                }
            }
        }
    }
    // Past a relu, a window whose maximum is 0 passes no gradient (relu's
    // derivative there): its position is recorded as -1.
    for (i64 v = 0; v < NB; ++v) {
        vstore(y + v * kW, best[v]);
        vstore(arg + v * kW, p.relu ? select_greater(best[v], vzero(), at[v], vset1(-1.0f)) : at[v]);
    }
}

template <i64 NB>
void conv_pool_forward_block(const ConvPoolPlan& p, const float* x, const float* k, const float* b, float* y,
                             float* arg, i64 c0) {
    for (i64 i = 0; i < p.oh; ++i)
        for (i64 j = 0; j < p.ow; ++j) {
            const i64 out = (i * p.ow + j) * p.o + c0;
            conv_pool_window<NB>(p, x + i * p.step_h + j * p.step_w, k + c0, b ? b + c0 : nullptr, y + out, arg + out);
        }
}

// One image: x is its (padded) input, y and arg its pooled output and the
// positions of the maxima, [oh][ow][o] each.
void conv_pool_forward(const ConvPoolPlan& p, const float* x, const float* k, const float* b, float* y, float* arg) {
    for (i64 c0 = 0; c0 < p.o;) {
        const i64 nb = min_of(kPoolVectors, (p.o - c0) / kW);
        switch (nb) {
            case 1: conv_pool_forward_block<1>(p, x, k, b, y, arg, c0); break;
            case 2: conv_pool_forward_block<2>(p, x, k, b, y, arg, c0); break;
            case 3: conv_pool_forward_block<3>(p, x, k, b, y, arg, c0); break;
            default: conv_pool_forward_block<kPoolVectors>(p, x, k, b, y, arg, c0); break;
        }
        c0 += nb * kW;
    }
}

// Sums of taps [t0, t0 + nt) (nt <= kTB) × NB channel vectors from c0 over
// every window of one image; with_bias also the bias's.
template <i64 NB, i64 kTB>
void conv_pool_gradient_block(const ConvPoolPlan& p, const float* x, const float* dy, const float* arg, i64 t0,
                              i64 nt, i64 c0, bool with_bias, float* dk, float* db) {
    V acc[kTB][NB], bias[NB];
    for (i64 v = 0; v < NB; ++v) {
        bias[v] = vzero();
        for (i64 t = 0; t < kTB; ++t) acc[t][v] = vzero();
    }
    const i64* off = p.tap + t0;
    const V none = vset1(-0.5f);
    for (i64 i = 0; i < p.oh; ++i)
        for (i64 j = 0; j < p.ow; ++j) {
            const i64 out = (i * p.ow + j) * p.o + c0;
            const float* window = x + i * p.step_h + j * p.step_w;
            V d[NB], a[NB];
            for (i64 v = 0; v < NB; ++v) {
                d[v] = vload(dy + out + v * kW);
                a[v] = vload(arg + out + v * kW);
                // The window's gradient reaches its one position, unless none (-1).
                if (with_bias) bias[v] = vfma(vset1(1.0f), select_greater(a[v], none, d[v], vzero()), bias[v]);
            }
            for (i64 q = 0; q < p.positions; ++q) {
                const V position = vset1(static_cast<float>(q));
                V g[NB];
                for (i64 v = 0; v < NB; ++v) g[v] = keep_equal(a[v], position, d[v]);
                const float* corner = window + p.position[q];
#pragma GCC unroll 24
                for (i64 t = 0; t < kTB; ++t) {
                    if (t >= nt) break;
                    const V xv = vset1(corner[off[t]]);
                    for (i64 v = 0; v < NB; ++v) acc[t][v] = vfma(xv, g[v], acc[t][v]);
                }
            }
        }
    for (i64 t = 0; t < nt; ++t)
        for (i64 v = 0; v < NB; ++v) vstore(dk + (t0 + t) * p.o + c0 + v * kW, acc[t][v]);
    if (with_bias)
        for (i64 v = 0; v < NB; ++v) vstore(db + c0 + v * kW, bias[v]);
}

// At most kGradVectors channel vectors, and tap blocks sized so that the
// sums fill the registers left.
#if defined(__AVX512F__)
constexpr i64 kGradVectors = 2, kGradRegisters = 22;
#else
constexpr i64 kGradVectors = 1, kGradRegisters = 10;
#endif

template <i64 NB>
void conv_pool_gradient_channels(const ConvPoolPlan& p, const float* x, const float* dy, const float* arg, i64 c0,
                                 float* dk, float* db) {
    constexpr i64 kTB = kGradRegisters / NB;
    for (i64 t0 = 0; t0 < p.taps; t0 += kTB)
        conv_pool_gradient_block<NB, kTB>(p, x, dy, arg, t0, min_of(kTB, p.taps - t0), c0, t0 == 0 && db, dk, db);
}

// One image's contribution: dk [taps][o], db [o] (null: no bias) overwritten.
void conv_pool_backward_weights(const ConvPoolPlan& p, const float* x, const float* dy, const float* arg, float* dk,
                                float* db) {
    for (i64 c0 = 0; c0 < p.o;) {
        const i64 nb = min_of(kGradVectors, (p.o - c0) / kW);
        if (nb == kGradVectors) conv_pool_gradient_channels<kGradVectors>(p, x, dy, arg, c0, dk, db);
        else conv_pool_gradient_channels<1>(p, x, dy, arg, c0, dk, db);
        c0 += nb * kW;
    }
}

}  // namespace
}  // namespace nabla::detail::kernels
