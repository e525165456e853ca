#pragma once
// Internal: the one matrix-product entry point every op (dot, matmul,
// tensordot, the fused dense layer) builds on. Row-major:
//   C = alpha · op(A) · op(B) + beta · C,  op(A) is M×K, op(B) is K×N,
// where op(X) is X or Xᵀ, and ld* are row strides in elements.
// float goes to oneDNN's sgemm (threads: the shared OpenMP team); double and
// the integer types use our own blocked kernel.
#include <cstdint>

#include <atomic>

namespace nabla::detail {

// The number of float matrix products in flight (oneDNN calls). oneDNN's
// sgemm allocates its packing buffer on every call; the steady-state
// allocation test (tests/alloc/) uses this to tell those allocations from
// our own, of which there must be none.
std::atomic<int>& matrix_library_calls();

template <typename T>
void gemm(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, T alpha, const T* A,
          std::int64_t lda, const T* B, std::int64_t ldb, T beta, T* C, std::int64_t ldc);

}  // namespace nabla::detail
