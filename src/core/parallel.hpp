#pragma once
// Internal: the one way kernels go parallel, on nabla's own thread team
// (thread_pool.hpp). Honours nabla::set_num_threads and stays on the calling
// thread below `grain` items of work, because a wake-up costs more than a
// small op (measured in bench/).
//
// Splits are a function of (n, grain, thread count) only: chunk c of C
// covers [n·c/C, n·(c+1)/C), whichever thread runs it, and also when the
// chunks run inline (a nested call, or the team busy with another
// application thread's job). Element-wise results therefore never depend on
// the thread count, and a reduction that folds per-chunk partials in chunk
// order is deterministic for a given thread count.
#include <algorithm>
#include <cstdint>

#include "core/thread_pool.hpp"
#include "nabla/core/threading.hpp"

namespace nabla::detail {

// Work items below which an element-wise kernel stays single-threaded.
inline constexpr std::int64_t kParallelGrain = 32768;

// The number of chunks parallel_for splits n items into (1: no split).
inline std::int64_t parallel_chunk_count(std::int64_t n, std::int64_t grain) {
    const int threads = get_num_threads();
    if (threads <= 1 || n < 2 * grain) return 1;
    return std::min<std::int64_t>(threads, n / grain);
}

// Chunk c of `chunks` over [0, n): [n·c/chunks, n·(c+1)/chunks).
struct ChunkRange {
    std::int64_t begin, end;
};
inline ChunkRange chunk_range(std::int64_t n, std::int64_t chunks, std::int64_t c) {
    return {n * c / chunks, n * (c + 1) / chunks};
}

// f(chunk, begin, end) over the disjoint chunks of [0, n); returns the
// number of chunks (for per-chunk partials).
template <typename F>
std::int64_t parallel_chunks(std::int64_t n, std::int64_t grain, F&& f) {
    const std::int64_t chunks = parallel_chunk_count(n, grain);
    if (chunks == 1) {
        if (n > 0) f(std::int64_t{0}, std::int64_t{0}, n);
        return 1;
    }
    auto body = [&](std::int64_t c) {
        const ChunkRange r = chunk_range(n, chunks, c);
        if (r.begin < r.end) f(c, r.begin, r.end);
    };
    run_chunks(chunks, ChunkBody(body));
    return chunks;
}

// f(begin, end) over disjoint chunks of [0, n), one chunk per thread.
template <typename F>
void parallel_for(std::int64_t n, std::int64_t grain, F&& f) {
    parallel_chunks(n, grain, [&](std::int64_t, std::int64_t begin, std::int64_t end) { f(begin, end); });
}

// Bytes below which a copy stays on one thread: an element-wise kernel's
// grain of floats.
inline constexpr std::int64_t kParallelCopyGrain = kParallelGrain * 4;

}  // namespace nabla::detail
