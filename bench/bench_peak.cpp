// The machine's arithmetic ceiling: single-precision FMA throughput per
// thread count, with enough independent accumulators to hide the FMA
// latency. Matrix-product and training-step figures are read against it
// (docs/PERFORMANCE.md).
#include <benchmark/benchmark.h>

#include <omp.h>

#if defined(__AVX512F__) || defined(__AVX__)
#include <immintrin.h>
#endif

#include "nabla/core/threading.hpp"

namespace {

constexpr long kIterations = 1 << 16;

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

void BM_PeakFma(benchmark::State& state) {
    const int threads = static_cast<int>(state.range(0));
    nabla::set_num_threads(threads);
    for (auto _ : state) {
        float total = 0;
#pragma omp parallel num_threads(threads) reduction(+ : total)
        total += fma_chains(kIterations);
        benchmark::DoNotOptimize(total);
    }
    // Per iteration: every thread, kIterations × 12 chains × lanes × 2 flops.
    state.counters["GFLOP/s"] = benchmark::Counter(double(threads) * kIterations * 12 * kLanes * 2 * 1e-9,
                                                   benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

BENCHMARK(BM_PeakFma)->Arg(1)->Arg(2)->UseRealTime();
