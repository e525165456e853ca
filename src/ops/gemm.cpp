// Matrix-product kernels: for float32 nabla's own packed sgemm (the CPU
// level's micro-kernel) or oneDNN's, by shape; a cache-blocked loop for the
// rest (float64 and integers are not on any hot path of training).
#include "gemm.hpp"

#include <oneapi/dnnl/dnnl.h>
#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/parallel.hpp"
#include "kernels.hpp"
#include "kernels/float_kernels.hpp"
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

// OpenMP's team size is a per-thread setting: apply `n` on the calling
// thread whenever it changed (one record per thread, shared with conv_dnnl).
void set_openmp_threads(int n) {
    thread_local int applied = 0;
    if (n != applied) {
        omp_set_num_threads(n);
        applied = n;
    }
}

namespace {

// Which threads run oneDNN's sgemm. nabla (the default): oneDNN runs
// single-threaded on each thread of nabla's own team, over a share of C's
// columns (or rows), so the process has one thread team, whose idle threads
// sleep after a short spin. openmp: oneDNN's own OpenMP team (Debian's
// libdnnl is built with it), whose idle threads spin for milliseconds and
// starve a loaded machine (docs/PERFORMANCE.md, "Threads and a busy
// machine"). NABLA_SGEMM_TEAM=nabla|openmp, read once; for measurements.
bool sgemm_on_openmp_team() {
    static const bool openmp = [] {
        const char* env = std::getenv("NABLA_SGEMM_TEAM");
        if (!env || !*env || std::string(env) == "nabla") return false;
        if (std::string(env) == "openmp") return true;
        throw ValueError(std::string("NABLA_SGEMM_TEAM must be nabla or openmp, got '") + env + "'");
    }();
    return openmp;
}

void sgemm_call(char ta, char tb, std::int64_t M, std::int64_t N, std::int64_t K, float alpha, const float* A,
                std::int64_t lda, const float* B, std::int64_t ldb, float beta, float* C, std::int64_t ldc) {
    const dnnl_status_t st = dnnl_sgemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    if (st != dnnl_success) throw Error("matmul: oneDNN sgemm failed with status " + std::to_string(st));
}

// How C is split over the team (set_sgemm_split; NABLA_SGEMM_SPLIT read at
// the first product). -1: not read yet.
std::atomic<int>& split_setting() {
    static std::atomic<int> setting{-1};
    return setting;
}

SgemmSplit split_from_environment() {
    const char* env = std::getenv("NABLA_SGEMM_SPLIT");
    if (!env || !*env || std::string(env) == "auto") return SgemmSplit::automatic;
    if (std::string(env) == "columns") return SgemmSplit::columns;
    if (std::string(env) == "rows") return SgemmSplit::rows;
    throw ValueError(std::string("NABLA_SGEMM_SPLIT must be auto, columns or rows, got '") + env + "'");
}

// Whether the chunks take blocks of C's columns (else of its rows).
bool split_by_columns(bool ta, std::int64_t M, std::int64_t N) {
    if (N < 128) return false;  // narrow C: rows whatever the setting
    switch (sgemm_split()) {
        case SgemmSplit::columns: return true;
        case SgemmSplit::rows: return M < 16;
        case SgemmSplit::automatic: break;
    }
    return !(ta && M >= N);  // the weight-gradient shape goes by rows
}

// Products below this many multiply-adds stay on one thread (the book's
// second layer: 0.65 M; its first: 51 M).
constexpr std::int64_t kSgemmSplitWork = std::int64_t{1} << 21;

// C = alpha·op(A)·op(B) + beta·C over nabla's team: each chunk is one
// single-threaded oneDNN call on a block of C's columns (a multiple of 16
// wide) or, when C is narrow or the split is by rows, of its rows (a
// multiple of 8). The split depends only on the shape, the thread count and
// the setting, so results repeat for a given thread count; each element is
// one call's full K sum either way.
void sgemm_on_nabla_team(bool ta, bool tb, std::int64_t M, std::int64_t N, std::int64_t K, float alpha,
                         const float* A, std::int64_t lda, const float* B, std::int64_t ldb, float beta, float* C,
                         std::int64_t ldc) {
    const char cta = ta ? 'T' : 'N', ctb = tb ? 'T' : 'N';
    const bool by_columns = split_by_columns(ta, M, N);
    const std::int64_t unit = by_columns ? 16 : 8, extent = by_columns ? N : M;
    const std::int64_t blocks = (extent + unit - 1) / unit;
    const std::int64_t chunks = M * N * K < kSgemmSplitWork ? 1 : std::min<std::int64_t>(get_num_threads(), blocks);
    auto body = [&](std::int64_t c) {
        set_openmp_threads(1);
        const std::int64_t b = std::min(extent, blocks * c / chunks * unit),
                           e = std::min(extent, blocks * (c + 1) / chunks * unit);
        if (b >= e) return;
        if (by_columns)  // columns b..e of op(B) and C
            sgemm_call(cta, ctb, M, e - b, K, alpha, A, lda, tb ? B + b * ldb : B + b, ldb, beta, C + b, ldc);
        else  // rows b..e of op(A) and C
            sgemm_call(cta, ctb, e - b, N, K, alpha, ta ? A + b : A + b * lda, lda, B, ldb, beta, C + b * ldc, ldc);
    };
    run_chunks(chunks, ChunkBody(body));
}

// A thread's packing buffers for sgemm_own: grown once, then reused, so a
// product allocates nothing in steady state.
struct PackBuffers {
    std::vector<float> storage;
    float* get(std::int64_t floats) {
        constexpr std::int64_t kAlignFloats = 16;  // 64 bytes
        if (static_cast<std::int64_t>(storage.size()) < floats + kAlignFloats)
            storage.resize(static_cast<std::size_t>(floats + kAlignFloats));
        const auto address = reinterpret_cast<std::uintptr_t>(storage.data());
        return storage.data() + (64 - address % 64) % 64 / sizeof(float);
    }
};

void scale_by_beta(std::int64_t M, std::int64_t N, float beta, float* C, std::int64_t ldc) {
    for (std::int64_t i = 0; i < M; ++i)
        for (std::int64_t j = 0; j < N; ++j) C[i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[i * ldc + j];
}

// Work below which a product stays on one thread (a chunk's flops).
constexpr double kFlopsPerChunk = 1 << 19;

}  // namespace

SgemmSplit sgemm_split() {
    int s = split_setting().load(std::memory_order_relaxed);
    if (s < 0) {
        s = static_cast<int>(split_from_environment());
        split_setting().store(s, std::memory_order_relaxed);
    }
    return static_cast<SgemmSplit>(s);
}

void set_sgemm_split(SgemmSplit split) { split_setting().store(static_cast<int>(split), std::memory_order_relaxed); }

void sgemm_own(bool ta, bool tb, std::int64_t M, std::int64_t N, std::int64_t K, float alpha, const float* A,
               std::int64_t lda, const float* B, std::int64_t ldb, float beta, float* C, std::int64_t ldc,
               const kernels::FloatKernels* chosen) {
    if (M == 0 || N == 0) return;
    if (K == 0) return scale_by_beta(M, N, beta, C, ldc);
    const kernels::FloatKernels& k = chosen ? *chosen : kernels::float_kernels();
    // Threads split C by whole register tiles, so each element's sum is the
    // same whatever the thread count. Split N (each thread packs its own
    // columns of B and all of A) unless A is the larger operand to repeat.
    const std::int64_t n_tiles = (N + k.nr - 1) / k.nr, m_tiles = (M + k.mr - 1) / k.mr;
    const bool split_n = m_tiles < 2 || (M <= N && n_tiles >= 2);
    const std::int64_t tiles = split_n ? n_tiles : m_tiles, tile = split_n ? k.nr : k.mr;
    const double flops_per_tile = 2.0 * double(tile) * double(K) * double(split_n ? M : N);
    const auto grain = static_cast<std::int64_t>(std::max(1.0, kFlopsPerChunk / flops_per_tile));
    parallel_for(tiles, grain, [&](std::int64_t t0, std::int64_t t1) {
        thread_local PackBuffers buffer_a, buffer_b;
        const std::int64_t begin = t0 * tile;
        const std::int64_t end = std::min(t1 * tile, split_n ? N : M);
        const std::int64_t m = split_n ? M : end - begin, n = split_n ? end - begin : N;
        float* pa = buffer_a.get(k.pack_a_floats(m, K));
        float* pb = buffer_b.get(k.pack_b_floats(n, K));
        if (split_n)  // columns [begin, end) of op(B) and C
            k.sgemm(ta, tb, m, n, K, alpha, A, lda, tb ? B + begin * ldb : B + begin, ldb, beta, C + begin, ldc,
                    pa, pb);
        else  // rows [begin, end) of op(A) and C
            k.sgemm(ta, tb, m, n, K, alpha, ta ? A + begin : A + begin * lda, lda, B, ldb, beta, C + begin * ldc,
                    ldc, pa, pb);
    });
}

void sgemm_onednn(bool ta, bool tb, std::int64_t M, std::int64_t N, std::int64_t K, float alpha, const float* A,
                  std::int64_t lda, const float* B, std::int64_t ldb, float beta, float* C, std::int64_t ldc) {
    if (M == 0 || N == 0) return;
    struct InFlight {  // counted while oneDNN runs (see matrix_library_calls)
        InFlight() { matrix_library_calls().fetch_add(1, std::memory_order_relaxed); }
        ~InFlight() { matrix_library_calls().fetch_sub(1, std::memory_order_relaxed); }
    } in_flight;
    if (sgemm_on_openmp_team()) {
        set_openmp_threads(get_num_threads());
        sgemm_call(ta ? 'T' : 'N', tb ? 'T' : 'N', M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    } else {
        sgemm_on_nabla_team(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    }
}

// Measured on the build machine (bench/bench_sgemm_engines.cpp,
// docs/PERFORMANCE.md): oneDNN 2.6's JIT sgemm is faster than the own kernel
// at every shape of the book's model (AVX-512: 1.1-2.5x; AVX2: 2-2.6x), so
// it keeps them all. The
// own kernel is the portable engine behind the same interface, tested at
// every level, for the day it is tuned past oneDNN (or the packed
// first-layer kernel of the performance issue needs it).
bool sgemm_prefers_own(bool, bool, std::int64_t, std::int64_t, std::int64_t) { return false; }

template <>
void gemm<float>(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, float alpha,
                 const float* A, std::int64_t lda, const float* B, std::int64_t ldb, float beta, float* C,
                 std::int64_t ldc) {
    if (sgemm_prefers_own(trans_a, trans_b, M, N, K))
        sgemm_own(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    else
        sgemm_onednn(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
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
