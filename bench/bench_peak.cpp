// The machine's arithmetic ceiling: single-precision FMA throughput per
// thread count, with enough independent accumulators to hide the FMA
// latency. Matrix-product and training-step figures are read against it
// (docs/PERFORMANCE.md).
#include <benchmark/benchmark.h>

#include <omp.h>
#include <time.h>

#include <vector>

#if defined(__AVX512F__) || defined(__AVX__)
#include <immintrin.h>
#endif

#include "nabla/core/threading.hpp"

namespace {

// 2^20 iterations: about 1.6 ms per thread at 250 GFLOP/s, long enough
// that the team's fork and join (a few microseconds) and a late wake-up do
// not count. (2^16, 0.1 ms, let one delayed thread at the join read as a
// third of the 2-thread peak.)
constexpr long kIterations = 1 << 20;

#if defined(__AVX512F__)
using Vec = __m512;
constexpr int kLanes = 16;
inline Vec splat(float x) { return _mm512_set1_ps(x); }
inline Vec fma(Vec a, Vec b, Vec c) { return _mm512_fmadd_ps(a, b, c); }
inline float first(Vec v) { return _mm512_cvtss_f32(v); }
#elif defined(__FMA__)
using Vec = __m256;
constexpr int kLanes = 8;
inline Vec splat(float x) { return _mm256_set1_ps(x); }
inline Vec fma(Vec a, Vec b, Vec c) { return _mm256_fmadd_ps(a, b, c); }
inline float first(Vec v) { return _mm256_cvtss_f32(v); }
#else
using Vec = float;
constexpr int kLanes = 1;
inline Vec splat(float x) { return x; }
inline Vec fma(Vec a, Vec b, Vec c) { return a * b + c; }
inline float first(Vec v) { return v; }
#endif

// 12 chains: two FMA pipes times a latency of up to 6 cycles.
float fma_chains(long iterations) {
    constexpr int kChains = 12;
    Vec acc[kChains];
    for (int c = 0; c < kChains; ++c) acc[c] = splat(float(c));
    const Vec a = splat(0.999999f), b = splat(1e-7f);
    for (long i = 0; i < iterations; ++i)
        for (int c = 0; c < kChains; ++c) acc[c] = fma(acc[c], a, b);
    float sum = 0;
    for (int c = 0; c < kChains; ++c) sum += first(acc[c]);
    return sum;
}

double thread_cpu_seconds() {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

// GFLOP/s: every thread's flops over the wall time (what an epoch is
// measured in). GFLOP/s(cpu): the sum over the threads of each one's flops
// over its own CPU time, i.e. what the cores do while they run: the same
// figure on a quiet machine, and still the hardware's ceiling when other
// processes take turns on the cores (wall-time figures then drop; this one
// does not flatter them). bench/side_by_side reads the larger of the two.
void BM_PeakFma(benchmark::State& state) {
    const int threads = static_cast<int>(state.range(0));
    nabla::set_num_threads(threads);
    std::vector<double> cpu(static_cast<std::size_t>(threads), 0.0);
    for (auto _ : state) {
        float total = 0;
#pragma omp parallel num_threads(threads) reduction(+ : total)
        {
            const double t0 = thread_cpu_seconds();
            total += fma_chains(kIterations);
            cpu[static_cast<std::size_t>(omp_get_thread_num())] += thread_cpu_seconds() - t0;
        }
        benchmark::DoNotOptimize(total);
    }
    // Per iteration: every thread, kIterations × 12 chains × lanes × 2 flops.
    const double flops_per_thread = double(kIterations) * 12 * kLanes * 2;
    state.counters["GFLOP/s"] = benchmark::Counter(double(threads) * flops_per_thread * 1e-9,
                                                   benchmark::Counter::kIsIterationInvariantRate);
    double rate = 0;
    for (double seconds : cpu)
        if (seconds > 0) rate += flops_per_thread * double(state.iterations()) / seconds * 1e-9;
    state.counters["GFLOP/s(cpu)"] = rate;
}

}  // namespace

BENCHMARK(BM_PeakFma)->Arg(1)->Arg(2)->UseRealTime();
