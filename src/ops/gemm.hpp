#pragma once
// Internal: the one matrix-product entry point every op (dot, matmul,
// tensordot, the fused dense layer) builds on. Row-major:
//   C = alpha · op(A) · op(B) + beta · C,  op(A) is M×K, op(B) is K×N,
// where op(X) is X or Xᵀ, and ld* are row strides in elements.
// float goes to nabla's own packed sgemm (src/ops/kernels/, the CPU level's
// micro-kernel) or to oneDNN's (single-threaded on each thread of nabla's
// team, over a share of C's columns: see gemm.cpp), whichever measured
// faster for the shape (docs/DESIGN.md); double and the integer types use a
// plain blocked loop.
#include <cstdint>

#include <atomic>

#include "nabla/core/tensor.hpp"

namespace nabla::detail {

// The number of float matrix products in flight (oneDNN calls). oneDNN's
// sgemm allocates its packing buffer on every call; the steady-state
// allocation test (tests/alloc/) uses this to tell those allocations from
// our own, of which there must be none.
std::atomic<int>& matrix_library_calls();

// oneDNN 2.6's sgemm multiplies by a B operand on a 32-byte boundary
// without packing it, which at the book's first-layer shape runs at 59-64
// GFLOP/s instead of the 85-89 it reaches with B packed (measured on AVX2
// over B offsets 0-2048 bytes; every tensor's storage is 64-byte aligned).
// A float matrix of at least kPlacementMinimum elements is therefore best
// kept 16 bytes off that boundary.
inline constexpr std::int64_t kPlacementMinimum = std::int64_t{1} << 16;
// A contiguous copy of `t`, placed as above when it is such a float matrix.
// Variables take their storage from this (a layer's kernel is the right-hand
// operand of its product).
Tensor copy_placed_for_product(const Tensor& t);

// Sets the calling thread's OpenMP team size (oneDNN's primitives run on
// it) when it differs from what this thread last set. Every nabla call into
// oneDNN goes through this, so the per-thread record stays true.
void set_openmp_threads(int n);

namespace kernels {
struct FloatKernels;
}

// The two float engines behind gemm<float>, for tests and benchmarks.
// sgemm_own runs `kernels` (default: the CPU level's) on nabla's threads.
void sgemm_own(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, float alpha,
               const float* A, std::int64_t lda, const float* B, std::int64_t ldb, float beta, float* C,
               std::int64_t ldc, const kernels::FloatKernels* kernels = nullptr);
void sgemm_onednn(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, float alpha,
                  const float* A, std::int64_t lda, const float* B, std::int64_t ldb, float beta, float* C,
                  std::int64_t ldc);
// How sgemm_onednn splits C over nabla's team on 2 or more threads.
// columns: blocks of 16 columns when C is at least 128 wide, of 8 rows
// otherwise. rows: blocks of 8 rows whenever C has 16 rows or more.
// automatic (the default): rows for the weight-gradient shape (op(A)
// transposed, M >= N: each thread writes a contiguous half of the gradient,
// the half the optimizer's split then updates, at a 3% lower per-core cost
// than a column half), columns for the rest (each thread reads only its half
// of the kernel). The three give the same bits on the build machine and
// agree within rounding anywhere (docs/PERFORMANCE.md, "The 2-thread
// split"); NABLA_SGEMM_SPLIT=auto|columns|rows chooses for measurements.
enum class SgemmSplit { automatic = 0, columns = 1, rows = 2 };
SgemmSplit sgemm_split();
void set_sgemm_split(SgemmSplit split);  // tests and benchmarks

// Whether gemm<float> takes sgemm_own for this shape.
bool sgemm_prefers_own(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K);

template <typename T>
void gemm(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, T alpha, const T* A,
          std::int64_t lda, const T* B, std::int64_t ldb, T beta, T* C, std::int64_t ldc);

}  // namespace nabla::detail
