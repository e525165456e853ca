#include "nabla/core/threading.hpp"

#include <sched.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <string>
#include <thread>

#include "nabla/core/error.hpp"

namespace nabla {

namespace {
int initial_threads() {
    if (const char* env = std::getenv("NABLA_NUM_THREADS")) {
        char* end = nullptr;
        const long n = std::strtol(env, &end, 10);
        if (end != env && *end == '\0' && n >= 1) return static_cast<int>(n);
        throw ValueError(std::string("NABLA_NUM_THREADS must be a positive integer, got '") + env + "'");
    }
    // The CPUs this process may run on (its affinity mask), as OpenMP counts them.
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
    return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

std::atomic<int>& thread_setting() {
    // Read once, lazily. The thread team starts on the first parallel job
    // (core/thread_pool.cpp); the matrix library picks the count up at its
    // next call (ops/gemm.cpp).
    // Atomic: kernels on other threads read it while set_num_threads writes.
    static std::atomic<int> n{initial_threads()};
    return n;
}
}  // namespace

void set_num_threads(int n) {
    if (n < 1) throw ValueError("set_num_threads: n must be >= 1, got " + std::to_string(n));
    thread_setting().store(n, std::memory_order_relaxed);
}

int get_num_threads() { return thread_setting().load(std::memory_order_relaxed); }

}  // namespace nabla
