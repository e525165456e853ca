// The zero-skipping first-layer products (sparse_kernels.hpp).
//
// Both products run over column tiles of 64 outputs: the tile's 64 sums stay
// in eight AVX registers while the nonzeros stream by, each adding
// x · (64 consecutive floats of W, or of dY). For the forward product a
// tile of W (K × 64 floats, 200 KB for K = 784) stays in L2 across the rows
// of a thread's chunk; for the weight gradient a tile of dY (rows × 64) stays
// in L1. Rows (forward) or input columns k (weight gradient) are split
// across the thread team: every output element is written by one thread,
// once.
#include "sparse_kernels.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#endif

#include "core/parallel.hpp"
#include "nabla/core/error.hpp"

namespace nabla::detail::sparse {

namespace {

constexpr std::int64_t kTile = 64;

Mode mode_from_environment() {
    const char* env = std::getenv("NABLA_SPARSE_INPUT");
    if (!env || !*env || std::strcmp(env, "auto") == 0) return Mode::automatic;
    if (std::strcmp(env, "dense") == 0) return Mode::dense;
    if (std::strcmp(env, "sparse") == 0) return Mode::sparse;
    throw ValueError(std::string("NABLA_SPARSE_INPUT must be auto, dense or sparse, got '") + env + "'");
}

std::atomic<std::int64_t> g_sparse_batches{0};

std::atomic<Mode>& mode_setting() {
    static std::atomic<Mode> m{mode_from_environment()};
    return m;
}

// out[0, n) = Σ_p vals[p] · (base + index[p]·stride)[0, n), p in [p0, p1),
// for n <= kTile.
inline void tile_sum(const std::int32_t* index, const float* vals, std::int64_t p0, std::int64_t p1,
                     const float* base, std::int64_t stride, std::int64_t n, float* out) {
#if defined(__AVX2__) && defined(__FMA__)
    if (n == kTile) {
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
    // The last, narrower tile (and machines without AVX2): the same sums, in
    // the same order, one fused multiply-add per term as above.
    float acc[kTile] = {};
    for (std::int64_t p = p0; p < p1; ++p) {
        const float x = vals[p];
        const float* w = base + static_cast<std::int64_t>(index[p]) * stride;
        for (std::int64_t j = 0; j < n; ++j) acc[j] = std::fma(x, w[j], acc[j]);
    }
    std::copy(acc, acc + n, out);
}

// Items (rows or k) per chunk so that a chunk has a kernel's worth of work.
std::int64_t grain_for(std::int64_t items, std::int64_t nnz, std::int64_t N) {
    const std::int64_t per_item = std::max<std::int64_t>(1, nnz / std::max<std::int64_t>(1, items)) * N;
    return std::max<std::int64_t>(1, kParallelGrain * 8 / per_item);
}

// out(item, :) for items [0, items) from the compressed lists.
void compressed_product(const std::int32_t* start, const std::int32_t* index, const float* vals,
                        std::int64_t items, const float* base, std::int64_t N, float* out) {
    parallel_for(items, grain_for(items, start[items], N), [&](std::int64_t i0, std::int64_t i1) {
        for (std::int64_t t = 0; t < N; t += kTile) {
            const std::int64_t n = std::min(kTile, N - t);
            for (std::int64_t i = i0; i < i1; ++i)
                tile_sum(index, vals, start[i], start[i + 1], base + t, N, n, out + i * N + t);
        }
    });
}

}  // namespace

Mode mode() { return mode_setting().load(std::memory_order_relaxed); }
void set_mode(Mode m) { mode_setting().store(m, std::memory_order_relaxed); }
std::int64_t sparse_batches() { return g_sparse_batches.load(std::memory_order_relaxed); }

std::int64_t count_nonzeros(const float* X, std::int64_t rows, std::int64_t K) {
    const std::int64_t n = rows * K;
    std::int64_t count = 0;
#pragma omp simd reduction(+ : count)
    for (std::int64_t i = 0; i < n; ++i) count += X[i] != 0.0f;
    return count;
}

void forward(const std::int32_t* row_start, const std::int32_t* cols, const float* vals, std::int64_t rows,
             const float* W, std::int64_t N, float* Z) {
    compressed_product(row_start, cols, vals, rows, W, N, Z);
}

void weight_gradient(const std::int32_t* col_start, const std::int32_t* row_ids, const float* vals, std::int64_t K,
                     const float* dY, std::int64_t N, float* dW) {
    compressed_product(col_start, row_ids, vals, K, dY, N, dW);
}

bool SparseInput::prepare(const float* X, std::int64_t rows, std::int64_t K) {
    const Mode m = mode();
    active_ = false;
    if (m == Mode::dense || rows * K == 0 || rows * K > std::int64_t{1} << 31) return false;
    const std::int64_t nnz = count_nonzeros(X, rows, K);
    density_ = static_cast<double>(nnz) / static_cast<double>(rows * K);
    if (m == Mode::automatic && density_ > kMaxDensity) return false;
    index(X, rows, K);
    active_ = true;
    g_sparse_batches.fetch_add(1, std::memory_order_relaxed);
    return true;
}

// The batch's nonzeros by row and by column; row ids within a column and
// columns within a row increase, which fixes each sum's order.
void SparseInput::index(const float* X, std::int64_t rows, std::int64_t K) {
    rows_ = rows;
    K_ = K;
    const auto cap = static_cast<std::size_t>(rows * K);
    if (cols_.size() < cap) {  // grow once to the worst case: no allocation per batch
        cols_.resize(cap);
        row_vals_.resize(cap);
        row_ids_.resize(cap);
        col_vals_.resize(cap);
    }
    row_start_.resize(static_cast<std::size_t>(rows + 1));
    col_start_.assign(static_cast<std::size_t>(K + 1), 0);
    std::int32_t p = 0;
    for (std::int64_t i = 0; i < rows; ++i) {
        row_start_[static_cast<std::size_t>(i)] = p;
        const float* x = X + i * K;
        for (std::int64_t k = 0; k < K; ++k) {
            if (x[k] == 0.0f) continue;
            cols_[static_cast<std::size_t>(p)] = static_cast<std::int32_t>(k);
            row_vals_[static_cast<std::size_t>(p)] = x[k];
            ++col_start_[static_cast<std::size_t>(k + 1)];
            ++p;
        }
    }
    row_start_[static_cast<std::size_t>(rows)] = p;
    for (std::int64_t k = 0; k < K; ++k) col_start_[static_cast<std::size_t>(k + 1)] += col_start_[static_cast<std::size_t>(k)];
    // Scatter by column, rows in order; col_start_[k] serves as the cursor
    // and is shifted back afterwards.
    for (std::int64_t i = 0; i < rows; ++i)
        for (std::int32_t q = row_start_[static_cast<std::size_t>(i)]; q < row_start_[static_cast<std::size_t>(i + 1)]; ++q) {
            const auto at = static_cast<std::size_t>(col_start_[static_cast<std::size_t>(cols_[static_cast<std::size_t>(q)])]++);
            row_ids_[at] = static_cast<std::int32_t>(i);
            col_vals_[at] = row_vals_[static_cast<std::size_t>(q)];
        }
    for (std::int64_t k = K; k > 0; --k) col_start_[static_cast<std::size_t>(k)] = col_start_[static_cast<std::size_t>(k - 1)];
    col_start_[0] = 0;
}

void SparseInput::forward(const float* W, std::int64_t N, float* Z) const {
    sparse::forward(row_start_.data(), cols_.data(), row_vals_.data(), rows_, W, N, Z);
}

void SparseInput::weight_gradient(const float* dY, std::int64_t N, float* dW) const {
    sparse::weight_gradient(col_start_.data(), row_ids_.data(), col_vals_.data(), K_, dY, N, dW);
}

}  // namespace nabla::detail::sparse
