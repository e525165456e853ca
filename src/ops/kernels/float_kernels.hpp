#pragma once
// Internal: the float kernels compiled once per CPU level (one translation
// unit each, with that level's compiler flags: CMakeLists.txt), and the table
// that picks one set at run time (nabla::cpu_level()).
#include <cstdint>

#include "nabla/core/cpu.hpp"

namespace nabla::detail::kernels {

// C = alpha·op(A)·op(B) + beta·C on one thread, row-major (as detail::gemm),
// K >= 1; beta == 0 never reads C. `pack_a` and `pack_b` are the caller's
// workspaces of FloatKernels::pack_a_floats / pack_b_floats floats, 64-byte
// aligned. The level translation units use no standard-library templates
// (their copies, compiled for AVX2, could stand in for the baseline's at
// link time), so the workspaces come from outside.
using SgemmFn = void (*)(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, float alpha,
                         const float* A, std::int64_t lda, const float* B, std::int64_t ldb, float beta, float* C,
                         std::int64_t ldc, float* pack_a, float* pack_b);

// RMSprop's scalars (training/optimizer_kernels.hpp's StepScalars and
// RMSpropKernel, float).
struct RmspropArgs {
    float lr, grad_scale, clip, decay;
    float rho, one_minus_rho, momentum, epsilon;
};
// Elements per RMSprop block: the radicand buffer (4 KiB) stays in L1.
inline constexpr std::int64_t kRmspropBlock = 1024;
// One block of at most kRmspropBlock weights: w, g, the velocity v, and the
// average gradient (centered) and momentum, each null when off.
using RmspropBlockFn = void (*)(float* w, const float* g, float* v, float* mg, float* m, std::int64_t len,
                                const RmspropArgs& args);

// One row through a Dense kernel: y (units) = x (in) · W (in, units),
// row-major W; x, W and y do not overlap.
using MatvecFn = void (*)(const float* x, const float* W, std::int64_t in, std::int64_t units, float* y);

// The sparse first layer's tile (ops/sparse_kernels.cpp): out[0, n) =
// Σ_p vals[p] · (base + index[p]·stride)[0, n) for p in [p0, p1), n at most
// kSparseTile, each sum one chain of fused multiply-adds in p order.
inline constexpr std::int64_t kSparseTile = 64;
using SparseTileFn = void (*)(const std::int32_t* index, const float* vals, std::int64_t p0, std::int64_t p1,
                              const float* base, std::int64_t stride, std::int64_t n, float* out);

// A small convolution and the max pooling above it, fused (ops/conv_pool.cpp,
// kernels/conv_pool_impl.hpp), on one image. Offsets count floats in the
// (padded) NHWC input; the kernel is [taps][o] (HWIO); o is a multiple of
// kConvPoolChannels.
inline constexpr std::int64_t kConvPoolChannels = 16;
struct ConvPoolPlan {
    const std::int64_t* tap;       // taps: from a convolution output's corner to each kernel row's input
    std::int64_t taps;
    const std::int64_t* position;  // positions: from a window's corner to each of its convolution outputs' corners
    std::int64_t positions;
    std::int64_t oh, ow, o;        // the pooled output
    std::int64_t step_h, step_w;   // from one window's corner to the next one's
    bool relu;                     // the convolution's activation: relu, else linear
};
// y, arg: [oh][ow][o]: each window's maximum and its position (-1: past a
// relu, a maximum of 0, which passes no gradient).
using ConvPoolForwardFn = void (*)(const ConvPoolPlan& p, const float* x, const float* k, const float* bias, float* y,
                                   float* arg);
// This image's dk [taps][o] and, when db is not null, dbias [o] (overwritten)
// from the pooled output's gradient dy.
using ConvPoolBackwardFn = void (*)(const ConvPoolPlan& p, const float* x, const float* dy, const float* arg,
                                    float* dk, float* db);

struct FloatKernels {
    CpuLevel level;
    std::int64_t mr, nr;      // the micro-kernel's register tile: rows of A, columns of B
    std::int64_t mc, kc, nc;  // cache blocks: A's block mc×kc stays in L2, B's kc×nc in L3
    SgemmFn sgemm;
    RmspropBlockFn rmsprop_block;
    MatvecFn matvec;
    SparseTileFn sparse_tile;
    ConvPoolForwardFn conv_pool_forward;
    ConvPoolBackwardFn conv_pool_backward_weights;
    bool has_fma;  // hardware fused multiply-add (the sparse path pays only with it)

    std::int64_t k_block(std::int64_t K) const {  // K split into equal blocks of at most kc
        const std::int64_t blocks = (K + kc - 1) / kc;
        return (K + blocks - 1) / blocks;
    }
    std::int64_t pack_a_floats(std::int64_t M, std::int64_t K) const {
        const std::int64_t m = M < mc ? M : mc;
        return (m + mr - 1) / mr * mr * k_block(K);
    }
    std::int64_t pack_b_floats(std::int64_t N, std::int64_t K) const {
        const std::int64_t n = N < nc ? N : nc;
        return (n + nr - 1) / nr * nr * k_block(K);
    }
};

// The set for `level`; nullptr when this build has none for it. Calling a
// set the CPU cannot run is an illegal instruction: tests use
// supported_cpu_levels().
const FloatKernels* float_kernels_for(CpuLevel level);
// The set for nabla::cpu_level(), chosen once.
const FloatKernels& float_kernels();

// One entry per level (defined in sgemm_<level>.cpp).
extern const FloatKernels kBaselineKernels;
extern const FloatKernels kAvx2Kernels;
extern const FloatKernels kAvx512Kernels;

}  // namespace nabla::detail::kernels
