// Matrix products at the book's shapes, with GFLOP/s counters, at 1 and 2
// threads (the thread count is the benchmark argument).
#include <benchmark/benchmark.h>

#include "nabla/core/random.hpp"
#include "nabla/core/threading.hpp"
#include "nabla/ops/linalg.hpp"
#include "ops/gemm.hpp"

using namespace nabla;

namespace {

void set_flops(benchmark::State& state, double m, double n, double k) {
    state.counters["GFLOP/s"] =
        benchmark::Counter(2 * m * n * k * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

// Raw gemm, as the training step calls it. B is placed as a Variable's
// storage is (detail::copy_placed_for_product), unless `aligned_b`.
void run_gemm(benchmark::State& state, bool ta, std::int64_t m, std::int64_t n, std::int64_t k,
              bool aligned_b = false) {
    set_num_threads(static_cast<int>(state.range(0)));
    Tensor a = random::uniform(ta ? Shape{k, m} : Shape{m, k}, -1, 1);
    Tensor b = random::uniform({k, n}, -1, 1), c = zeros({m, n});
    if (!aligned_b) b = detail::copy_placed_for_product(b);
    for (auto _ : state) {
        detail::gemm<float>(ta, false, m, n, k, 1.f, a.data<float>(), ta ? m : k, b.data<float>(), n, 0.f,
                            c.data<float>(), n);
        benchmark::DoNotOptimize(c.raw_data());
    }
    set_flops(state, double(m), double(n), double(k));
}

// C = A·Bᵀ with B stored (n, k): the input gradient g·Wᵀ.
void run_gemm_bt(benchmark::State& state, std::int64_t m, std::int64_t n, std::int64_t k) {
    set_num_threads(static_cast<int>(state.range(0)));
    Tensor a = random::uniform({m, k}, -1, 1), b = random::uniform({n, k}, -1, 1), c = zeros({m, n});
    for (auto _ : state) {
        detail::gemm<float>(false, true, m, n, k, 1.f, a.data<float>(), k, b.data<float>(), k, 0.f, c.data<float>(), n);
        benchmark::DoNotOptimize(c.raw_data());
    }
    set_flops(state, double(m), double(n), double(k));
}

// The forward pass of the first layer: (128, 784)·(784, 512).
void BM_Sgemm_128x784x512(benchmark::State& state) { run_gemm(state, false, 128, 512, 784); }
// The same with B on a 64-byte boundary, which oneDNN 2.6 does not pack.
void BM_Sgemm_128x784x512_AlignedB(benchmark::State& state) { run_gemm(state, false, 128, 512, 784, true); }
// Its weight gradient: xᵀ·g = (784, 128)·(128, 512), x stored (128, 784).
void BM_Sgemm_WeightGrad_784x128x512(benchmark::State& state) { run_gemm(state, true, 784, 512, 128); }
// The second layer (512 -> 10): forward, weight gradient, input gradient.
void BM_Sgemm_128x512x10(benchmark::State& state) { run_gemm(state, false, 128, 10, 512); }
void BM_Sgemm_WeightGrad_512x128x10(benchmark::State& state) { run_gemm(state, true, 512, 10, 128); }
void BM_Sgemm_InputGrad_128x10x512(benchmark::State& state) { run_gemm_bt(state, 128, 512, 10); }
void BM_Sgemm_1024(benchmark::State& state) { run_gemm(state, false, 1024, 1024, 1024); }

// Through the public op (allocation and dispatch included).
void BM_Matmul_128x784x512(benchmark::State& state) {
    set_num_threads(static_cast<int>(state.range(0)));
    Tensor a = random::uniform({128, 784}, -1, 1), b = random::uniform({784, 512}, -1, 1);
    for (auto _ : state) benchmark::DoNotOptimize(matmul(a, b));
    set_flops(state, 128, 512, 784);
}

}  // namespace

BENCHMARK(BM_Sgemm_128x784x512)->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK(BM_Sgemm_128x784x512_AlignedB)->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK(BM_Sgemm_WeightGrad_784x128x512)->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK(BM_Sgemm_128x512x10)->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK(BM_Sgemm_WeightGrad_512x128x10)->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK(BM_Sgemm_InputGrad_128x10x512)->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK(BM_Sgemm_1024)->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK(BM_Matmul_128x784x512)->Arg(1)->Arg(2)->UseRealTime();
