// nabla's own sgemm (at every CPU level this machine runs) against oneDNN's,
// at the book's shapes, with GFLOP/s counters to read against BM_PeakFma.
// Argument: the thread count. Names: BM_Own<level>_<shape>, BM_OneDNN_<shape>.
#include <benchmark/benchmark.h>

#include <string>

#include "nabla/core/cpu.hpp"
#include "nabla/core/random.hpp"
#include "nabla/core/threading.hpp"
#include "ops/gemm.hpp"
#include "ops/kernels/float_kernels.hpp"

using namespace nabla;

namespace {

struct Shape3 {
    const char* name;
    bool ta, tb;
    std::int64_t m, n, k;
};

// The book's model, batch 128: first layer forward, its weight gradient,
// second layer forward, weight gradient and input gradient.
constexpr Shape3 kShapes[] = {
    {"Forward_128x784x512", false, false, 128, 512, 784},
    {"WeightGrad_784x128x512", true, false, 784, 512, 128},
    {"Forward_128x512x10", false, false, 128, 10, 512},
    {"WeightGrad_512x128x10", true, false, 512, 10, 128},
    {"InputGrad_128x10x512", false, true, 128, 512, 10},
};

void run(benchmark::State& state, const Shape3& s, const detail::kernels::FloatKernels* own) {
    set_num_threads(static_cast<int>(state.range(0)));
    Tensor a = random::uniform(s.ta ? nabla::Shape{s.k, s.m} : nabla::Shape{s.m, s.k}, -1, 1);
    Tensor b = random::uniform(s.tb ? nabla::Shape{s.n, s.k} : nabla::Shape{s.k, s.n}, -1, 1);
    // The kernel placed as a Variable keeps it (oneDNN's faster case).
    b = detail::copy_placed_for_product(b);
    Tensor c = zeros({s.m, s.n});
    const std::int64_t lda = s.ta ? s.m : s.k, ldb = s.tb ? s.k : s.n;
    for (auto _ : state) {
        if (own)
            detail::sgemm_own(s.ta, s.tb, s.m, s.n, s.k, 1.f, a.data<float>(), lda, b.data<float>(), ldb, 0.f,
                              c.data<float>(), s.n, own);
        else
            detail::sgemm_onednn(s.ta, s.tb, s.m, s.n, s.k, 1.f, a.data<float>(), lda, b.data<float>(), ldb, 0.f,
                                 c.data<float>(), s.n);
        benchmark::DoNotOptimize(c.raw_data());
    }
    state.counters["GFLOP/s"] = benchmark::Counter(2.0 * double(s.m) * double(s.n) * double(s.k) * 1e-9,
                                                   benchmark::Counter::kIsIterationInvariantRate);
}

// Registered at start-up: one case per shape and engine (own at each level
// the CPU runs, and oneDNN).
const bool registered = [] {
    for (const Shape3& s : kShapes) {
        for (CpuLevel level : supported_cpu_levels()) {
            const auto* k = detail::kernels::float_kernels_for(level);
            const std::string name = std::string("BM_Own_") + cpu_level_name(level) + "_" + s.name;
            benchmark::RegisterBenchmark(name.c_str(), [&s, k](benchmark::State& st) { run(st, s, k); })
                ->Arg(1)->Arg(2)->UseRealTime();
        }
        const std::string name = std::string("BM_OneDNN_") + s.name;
        benchmark::RegisterBenchmark(name.c_str(), [&s](benchmark::State& st) { run(st, s, nullptr); })
            ->Arg(1)->Arg(2)->UseRealTime();
    }
    return true;
}();

}  // namespace
