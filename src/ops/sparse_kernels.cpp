// The zero-skipping first-layer products (sparse_kernels.hpp).
//
// Both products run over column tiles of 64 outputs: the tile's 64 sums stay
// in registers (ops/kernels/sparse_tile_impl.hpp, compiled per CPU level)
// while the nonzeros stream by, each adding
// x · (64 consecutive floats of W, or of dY). W (or dY) is first copied
// into column tiles (pack_tiles), so that a tile of W (K × 64 floats, 200 KB
// for K = 784) stays in L2 across the rows of a thread's chunk, and a tile
// of dY (rows × 64, 32 KB) in L1. Rows (forward) or input columns k (weight gradient) are split
// across the thread team: every output element is written by one thread,
// once.
#include "sparse_kernels.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

#include "core/parallel.hpp"
#include "nabla/core/error.hpp"
#include "ops/kernels/float_kernels.hpp"

namespace nabla::detail::sparse {

namespace {

constexpr std::int64_t kTile = kernels::kSparseTile;

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

// Items (rows or k) per chunk so that a chunk has a kernel's worth of work.
std::int64_t grain_for(std::int64_t items, std::int64_t nnz, std::int64_t N) {
    const std::int64_t per_item = std::max<std::int64_t>(1, nnz / std::max<std::int64_t>(1, items)) * N;
    return std::max<std::int64_t>(1, kParallelGrain * 8 / per_item);
}

// B (R × N, row-major) copied into column tiles of kTile, each tile R rows
// of kTile contiguous floats: packed[t·R·kTile + r·kTile + j] = B[r, t·kTile + j].
// Read in place, B's rows lie N floats apart, and at N = 512 (2 KB) a tile's
// rows fall into 1/8 of L2's sets: the 200 KB tile would not stay in L2.
// Rows r with start[r] == start[r + 1] are never read and not copied.
void pack_tiles(const float* B, std::int64_t R, std::int64_t N, const std::int32_t* start, float* packed) {
    const std::int64_t tiles = (N + kTile - 1) / kTile;
    parallel_for(tiles, std::max<std::int64_t>(1, kParallelGrain / std::max<std::int64_t>(1, R * kTile)),
                 [&](std::int64_t t0, std::int64_t t1) {
        for (std::int64_t t = t0; t < t1; ++t) {
            const std::int64_t c = t * kTile, n = std::min(kTile, N - c);
            float* tile = packed + t * R * kTile;
            for (std::int64_t r = 0; r < R; ++r)
                if (!start || start[r] != start[r + 1]) std::copy(B + r * N + c, B + r * N + c + n, tile + r * kTile);
        }
    });
}

// out(item, :) for items [0, items) from the compressed lists, over B packed
// by pack_tiles (R rows).
void compressed_product(const std::int32_t* start, const std::int32_t* index, const float* vals,
                        std::int64_t items, const float* packed, std::int64_t R, std::int64_t N, float* out) {
    const kernels::SparseTileFn tile_sum = kernels::float_kernels().sparse_tile;  // this CPU's level
    parallel_for(items, grain_for(items, start[items], N), [&](std::int64_t i0, std::int64_t i1) {
        for (std::int64_t t = 0; t < N; t += kTile) {
            const std::int64_t n = std::min(kTile, N - t);
            const float* tile = packed + (t / kTile) * R * kTile;
            for (std::int64_t i = i0; i < i1; ++i)
                tile_sum(index, vals, start[i], start[i + 1], tile, kTile, n, out + i * N + t);
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

bool SparseInput::prepare(const float* X, std::int64_t rows, std::int64_t K) {
    const Mode m = mode();
    active_ = false;
    if (m == Mode::dense || rows * K == 0 || rows * K > std::int64_t{1} << 31) return false;
    if (m == Mode::automatic) {
        // Without hardware FMA (the baseline level) the tile's multiply-adds
        // are libm calls: dense it is.
        if (!kernels::float_kernels().has_fma) return false;
        // Rows in blocks of 16, stopping as soon as the batch is known to be
        // too dense: a dense batch pays for a fraction of one pass.
        const auto limit = static_cast<std::int64_t>(kMaxDensity * static_cast<double>(rows * K));
        std::int64_t nnz = 0, r = 0;
        for (; r < rows && nnz <= limit; r += 16) nnz += count_nonzeros(X + r * K, std::min<std::int64_t>(16, rows - r), K);
        density_ = static_cast<double>(nnz) / static_cast<double>(std::min(r, rows) * K);  // of the rows counted
        if (nnz > limit) return false;
    } else {
        density_ = static_cast<double>(count_nonzeros(X, rows, K)) / static_cast<double>(rows * K);
    }
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
    std::int32_t* cols = cols_.data();
    float* vals = row_vals_.data();
    std::int32_t* counts = col_start_.data() + 1;
    auto keep = [&](const float* x, std::int64_t k) {
        cols[p] = static_cast<std::int32_t>(k);
        vals[p++] = x[k];
        ++counts[k];
    };
    for (std::int64_t i = 0; i < rows; ++i) {
        row_start_[static_cast<std::size_t>(i)] = p;
        const float* x = X + i * K;
        std::int64_t k = 0;
#if defined(__SSE2__)
        // Four at a time (SSE2, every x86-64): a mask of the nonzeros (NaN
        // counts as nonzero), then its set bits.
        for (; k + 4 <= K; k += 4) {
            auto mask = static_cast<unsigned>(_mm_movemask_ps(_mm_cmpneq_ps(_mm_loadu_ps(x + k), _mm_setzero_ps())));
            for (; mask; mask &= mask - 1) keep(x, k + __builtin_ctz(mask));
        }
#endif
        for (; k < K; ++k)
            if (x[k] != 0.0f) keep(x, k);
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

float* SparseInput::scratch(std::int64_t R, std::int64_t N) {
    const auto need = static_cast<std::size_t>((N + kTile - 1) / kTile * kTile * R);
    if (packed_.size() < need) packed_.resize(need);  // grows once per shape
    return packed_.data();
}

void SparseInput::forward(const float* W, std::int64_t N, float* Z) {
    float* packed = scratch(K_, N);
    pack_tiles(W, K_, N, col_start_.data(), packed);  // only the rows k some input uses
    compressed_product(row_start_.data(), cols_.data(), row_vals_.data(), rows_, packed, K_, N, Z);
}

void SparseInput::weight_gradient(const float* dY, std::int64_t N, float* dW) {
    float* packed = scratch(rows_, N);
    pack_tiles(dY, rows_, N, nullptr, packed);
    compressed_product(col_start_.data(), row_ids_.data(), col_vals_.data(), K_, packed, rows_, N, dW);
}

}  // namespace nabla::detail::sparse
