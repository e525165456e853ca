#pragma once
// Internal: the one way kernels go parallel. Honours nabla::set_num_threads
// and stays on the calling thread below `grain` items of work, because a
// thread-team wake-up costs more than a small op (measured in bench/).
#include <omp.h>

#include <algorithm>
#include <cstdint>

#include "nabla/core/threading.hpp"

namespace nabla::detail {

// Work items below which an element-wise kernel stays single-threaded.
inline constexpr std::int64_t kParallelGrain = 32768;

// f(begin, end) over disjoint chunks of [0, n), one chunk per thread.
template <typename F>
void parallel_for(std::int64_t n, std::int64_t grain, F&& f) {
    const int threads = get_num_threads();
    if (threads <= 1 || n < 2 * grain || omp_in_parallel()) {
        if (n > 0) f(std::int64_t{0}, n);
        return;
    }
    const std::int64_t chunks = std::min<std::int64_t>(threads, n / grain);
#pragma omp parallel num_threads(static_cast<int>(chunks))
    {
        const std::int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
        const std::int64_t begin = n * t / nt, end = n * (t + 1) / nt;
        if (begin < end) f(begin, end);
    }
}

// Bytes below which a copy stays on one thread: an element-wise kernel's
// grain of floats.
inline constexpr std::int64_t kParallelCopyGrain = kParallelGrain * 4;

}  // namespace nabla::detail
