// One thread's share of the first layer's two products on 2 threads, run
// alone on 1 thread: the split of C by columns (256-column halves, the whole
// of the other operand read) against the split by rows (392- or 64-row
// halves). CPU time on 1 thread is what the split costs a core, and reads
// fairly under load, where 2-thread wall times do not (docs/PERFORMANCE.md,
// "The 2-thread split").
#include <benchmark/benchmark.h>

#include "nabla/core/random.hpp"
#include "nabla/core/threading.hpp"
#include "ops/gemm.hpp"

using namespace nabla;

namespace {

// C (m x n, row stride ldc) = op(A) (m x k) · B (k x n) inside the full
// operands of the product, at the offsets a share starts at.
struct Half {
    bool ta;
    std::int64_t m, n, k, lda, ldb, ldc, a_offset, b_offset, c_offset;
};

void BM_GemmHalf(benchmark::State& state, Half h) {
    set_num_threads(1);
    // Full-size operands (784x512 kernel and gradient, 128x784 batch).
    Tensor a = random::uniform({128, 784}, -1, 1), w = detail::copy_placed_for_product(random::uniform({784, 512}, -1, 1));
    Tensor d = random::uniform({128, 512}, -1, 1), c = zeros({784, 512});
    const float* A = a.data<float>() + h.a_offset;
    const float* B = (h.ta ? d.data<float>() : w.data<float>()) + h.b_offset;
    for (auto _ : state) {
        detail::sgemm_onednn(h.ta, false, h.m, h.n, h.k, 1.f, A, h.lda, B, h.ldb, 0.f, c.data<float>() + h.c_offset,
                             h.ldc);
        benchmark::DoNotOptimize(c.raw_data());
    }
    state.counters["GFLOP/s"] = benchmark::Counter(2.0 * double(h.m) * double(h.n) * double(h.k) * 1e-9,
                                                   benchmark::Counter::kIsIterationInvariantRate);
}

// Second halves: the share the team's other thread runs.
BENCHMARK_CAPTURE(BM_GemmHalf, WeightGrad_columns_784x128x256, Half{true, 784, 256, 128, 784, 512, 512, 0, 256, 256});
BENCHMARK_CAPTURE(BM_GemmHalf, WeightGrad_rows_392x128x512, Half{true, 392, 512, 128, 784, 512, 512, 392, 0, 392 * 512});
BENCHMARK_CAPTURE(BM_GemmHalf, Forward_columns_128x784x256, Half{false, 128, 256, 784, 784, 512, 512, 0, 256, 256});
BENCHMARK_CAPTURE(BM_GemmHalf, Forward_rows_64x784x512, Half{false, 64, 512, 784, 784, 512, 512, 64 * 784, 0, 0});

}  // namespace
