// Matrix-product kernels: oneDNN for float32, a cache-blocked loop for the
// rest (float64 and integers are not on any hot path of training).
#include "gemm.hpp"

#include <oneapi/dnnl/dnnl.h>

#include <algorithm>
#include <string>

#include "core/parallel.hpp"
#include "kernels.hpp"
#include "nabla/core/error.hpp"

namespace nabla::detail {

std::atomic<int>& matrix_library_calls() {
    static std::atomic<int> calls{0};
    return calls;
}

Tensor copy_placed_for_product(const Tensor& t) {
    if (t.dtype() != float32 || t.ndim() != 2 || t.size() < kPlacementMinimum) return t.copy();
    // Storage is 64-byte aligned: 4 floats in is 16 bytes off a 32-byte boundary.
    constexpr std::int64_t kShift = 4;
    Tensor placed =
        Tensor::uninitialized({t.size() + kShift}, float32)(Slice(kShift, t.size() + kShift)).reshape(t.shape());
    placed.assign(t);
    return placed;
}

template <>
void gemm<float>(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, float alpha,
                 const float* A, std::int64_t lda, const float* B, std::int64_t ldb, float beta, float* C,
                 std::int64_t ldc) {
    if (M == 0 || N == 0) return;
    // oneDNN sizes its team from the calling thread's OpenMP setting, which
    // is per thread: a thread the user started (a serving thread) has the
    // default (all cores), not set_num_threads / NABLA_NUM_THREADS.
    if (const int want = get_num_threads(); omp_get_max_threads() != want) omp_set_num_threads(want);
    matrix_library_calls().fetch_add(1, std::memory_order_relaxed);
    const dnnl_status_t st = dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', M, N, K, alpha, A, lda, B, ldb,
                                        beta, C, ldc);
    matrix_library_calls().fetch_sub(1, std::memory_order_relaxed);
    if (st != dnnl_success) throw Error("matmul: oneDNN sgemm failed with status " + std::to_string(st));
}

template <typename T>
void gemm(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, T alpha, const T* A,
          std::int64_t lda, const T* B, std::int64_t ldb, T beta, T* C, std::int64_t ldc) {
    auto a = [&](std::int64_t i, std::int64_t k) { return trans_a ? A[k * lda + i] : A[i * lda + k]; };
    auto b = [&](std::int64_t k, std::int64_t j) { return trans_b ? B[j * ldb + k] : B[k * ldb + j]; };
    parallel_for(M, std::max<std::int64_t>(1, kParallelGrain / std::max<std::int64_t>(1, N * K)),
                 [&](std::int64_t i0, std::int64_t i1) {
        for (std::int64_t i = i0; i < i1; ++i) {
            T* c = C + i * ldc;
            for (std::int64_t j = 0; j < N; ++j) c[j] = beta == T(0) ? T(0) : static_cast<T>(beta * c[j]);
            for (std::int64_t k = 0; k < K; ++k) {  // i-k-j order: the inner loop streams rows of B
                // Integer products wrap as NumPy's do (wrap_*: no signed-overflow UB).
                const T aik = wrap_mul(alpha, a(i, k));
                if (!trans_b) {
                    const T* brow = B + k * ldb;
                    for (std::int64_t j = 0; j < N; ++j) c[j] = wrap_add(c[j], wrap_mul(aik, brow[j]));
                } else {
                    for (std::int64_t j = 0; j < N; ++j) c[j] = wrap_add(c[j], wrap_mul(aik, b(k, j)));
                }
            }
        }
    });
}

template void gemm<double>(bool, bool, std::int64_t, std::int64_t, std::int64_t, double, const double*,
                           std::int64_t, const double*, std::int64_t, double, double*, std::int64_t);
template void gemm<std::int64_t>(bool, bool, std::int64_t, std::int64_t, std::int64_t, std::int64_t,
                                 const std::int64_t*, std::int64_t, const std::int64_t*, std::int64_t,
                                 std::int64_t, std::int64_t*, std::int64_t);
template void gemm<std::int32_t>(bool, bool, std::int64_t, std::int64_t, std::int64_t, std::int32_t,
                                 const std::int32_t*, std::int64_t, const std::int32_t*, std::int64_t,
                                 std::int32_t, std::int32_t*, std::int64_t);
template void gemm<std::uint8_t>(bool, bool, std::int64_t, std::int64_t, std::int64_t, std::uint8_t,
                                 const std::uint8_t*, std::int64_t, const std::uint8_t*, std::int64_t,
                                 std::uint8_t, std::uint8_t*, std::int64_t);
template void gemm<bool>(bool, bool, std::int64_t, std::int64_t, std::int64_t, bool, const bool*, std::int64_t,
                         const bool*, std::int64_t, bool, bool*, std::int64_t);

}  // namespace nabla::detail
