// Element-wise ops and reductions against the memory bandwidth a plain copy
// achieves in the same run (bytes/s counters: read + written bytes).
#include <benchmark/benchmark.h>

#include <cstring>

#include "nabla/core/random.hpp"
#include "nabla/core/threading.hpp"
#include "nabla/ops/elementwise.hpp"
#include "nabla/ops/reduce.hpp"

using namespace nabla;

namespace {

void set_bytes(benchmark::State& state, double bytes_per_iter) {
    state.counters["bytes/s"] = benchmark::Counter(bytes_per_iter, benchmark::Counter::kIsIterationInvariantRate,
                                                   benchmark::Counter::kIs1024);
}

// The reference: memcpy of the same number of bytes, split like our kernels.
void BM_Copy4M(benchmark::State& state) {
    set_num_threads(static_cast<int>(state.range(0)));
    Tensor src = random::uniform({1 << 22}, -1, 1), dst = zeros({1 << 22});
    for (auto _ : state) {
        dst.assign(src);
        benchmark::DoNotOptimize(dst.raw_data());
    }
    set_bytes(state, 2.0 * src.nbytes());
}

void BM_Relu4M(benchmark::State& state) {
    set_num_threads(static_cast<int>(state.range(0)));
    Tensor x = random::uniform({1 << 22}, -1, 1);
    for (auto _ : state) benchmark::DoNotOptimize(relu(x));
    set_bytes(state, 2.0 * x.nbytes());
}

void BM_Sum4M(benchmark::State& state) {
    set_num_threads(static_cast<int>(state.range(0)));
    Tensor x = random::uniform({1 << 22}, -1, 1);
    for (auto _ : state) benchmark::DoNotOptimize(sum(x));
    set_bytes(state, static_cast<double>(x.nbytes()));
}

// The book's bias add: (128, 512) + (512,).
void BM_BroadcastAdd128x512(benchmark::State& state) {
    set_num_threads(static_cast<int>(state.range(0)));
    Tensor x = random::uniform({128, 512}, -1, 1), b = random::uniform({512}, -1, 1);
    for (auto _ : state) benchmark::DoNotOptimize(x + b);
    set_bytes(state, 2.0 * x.nbytes() + b.nbytes());
}

void BM_Add4M(benchmark::State& state) {
    set_num_threads(static_cast<int>(state.range(0)));
    Tensor x = random::uniform({1 << 22}, -1, 1), y = random::uniform({1 << 22}, -1, 1);
    for (auto _ : state) benchmark::DoNotOptimize(x + y);
    set_bytes(state, 3.0 * x.nbytes());
}

void BM_SumAxis0_128x512(benchmark::State& state) {
    set_num_threads(static_cast<int>(state.range(0)));
    Tensor x = random::uniform({128, 512}, -1, 1);
    for (auto _ : state) benchmark::DoNotOptimize(sum(x, 0));
    set_bytes(state, static_cast<double>(x.nbytes()));
}

}  // namespace

BENCHMARK(BM_Copy4M)->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK(BM_Relu4M)->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK(BM_Add4M)->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK(BM_Sum4M)->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK(BM_BroadcastAdd128x512)->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK(BM_SumAxis0_128x512)->Arg(1)->Arg(2)->UseRealTime();
