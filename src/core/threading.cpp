#include "nabla/core/threading.hpp"

#include <omp.h>

#include <cstdlib>
#include <string>

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
    return omp_get_num_procs();
}

int& thread_setting() {
    // Applied to OpenMP once, lazily: OpenMP itself starts no thread until
    // the first parallel region.
    static int n = [] {
        const int v = initial_threads();
        omp_set_num_threads(v);
        return v;
    }();
    return n;
}
}  // namespace

void set_num_threads(int n) {
    if (n < 1) throw ValueError("set_num_threads: n must be >= 1, got " + std::to_string(n));
    thread_setting() = n;
    omp_set_num_threads(n);
}

int get_num_threads() { return thread_setting(); }

}  // namespace nabla
