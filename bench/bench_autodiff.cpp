// What the tape costs. Small tensors make the per-op overhead visible: an add
// of two (4,) tensors is a few nanoseconds of arithmetic, so the difference
// between "no tape", "tape active but nothing watched" and "recorded" is the
// recording machinery itself. Counter "time/op" is CPU time per op.
#include <benchmark/benchmark.h>

#include "nabla/autodiff.hpp"
#include "nabla/core/random.hpp"
#include "nabla/core/threading.hpp"
#include "nabla/ops/elementwise.hpp"
#include "nabla/ops/nn.hpp"
#include "nabla/ops/reduce.hpp"

using namespace nabla;

namespace {

constexpr int kChain = 64;  // ops per iteration, so tape set-up is amortised

void per_op(benchmark::State& state, int ops_per_iter) {
    state.counters["time/op"] = benchmark::Counter(ops_per_iter,
                                                 benchmark::Counter::kIsIterationInvariantRate |
                                                     benchmark::Counter::kInvert);
}

Tensor chain_of_adds(Tensor x, const Tensor& y) {
    for (int i = 0; i < kChain; ++i) x = add(x, y);
    return x;
}

void BM_Add4_NoTape(benchmark::State& state) {
    Tensor a{1.f, 2.f, 3.f, 4.f}, b{5.f, 6.f, 7.f, 8.f};
    for (auto _ : state) benchmark::DoNotOptimize(chain_of_adds(a, b));
    per_op(state, kChain);
}

// A tape is active but neither operand is watched: the op offers the node,
// the tape declines it.
void BM_Add4_TapeNothingWatched(benchmark::State& state) {
    Tensor a{1.f, 2.f, 3.f, 4.f}, b{5.f, 6.f, 7.f, 8.f};
    for (auto _ : state) {
        GradientTape tape;
        benchmark::DoNotOptimize(chain_of_adds(a, b));
    }
    per_op(state, kChain);
}

void BM_Add4_Recorded(benchmark::State& state) {
    Variable a(Tensor{1.f, 2.f, 3.f, 4.f}, "a");
    Tensor b{5.f, 6.f, 7.f, 8.f};
    for (auto _ : state) {
        GradientTape tape;
        benchmark::DoNotOptimize(chain_of_adds(a, b));
    }
    per_op(state, kChain);
}

// Forward recorded plus the backward walk: gradient() over the 64 nodes.
void BM_Add4_RecordedWithGradient(benchmark::State& state) {
    Variable a(Tensor{1.f, 2.f, 3.f, 4.f}, "a");
    Tensor b{5.f, 6.f, 7.f, 8.f};
    for (auto _ : state) {
        GradientTape tape;
        Tensor y = chain_of_adds(a, b);
        benchmark::DoNotOptimize(tape.gradient(y, a));
    }
    per_op(state, kChain);
}

// The nn ops on the book's output layer: batch 128, 10 classes.
void BM_SoftmaxCrossentropy128x10(benchmark::State& state) {
    set_num_threads(1);
    Variable logits(random::normal({128, 10}, 0.0, 1.0), "logits");
    random::Generator gen(0);
    Tensor labels = random::randint(0, 10, {128}, gen);
    const bool record = state.range(0) != 0;
    for (auto _ : state) {
        if (record) {
            GradientTape tape;
            Tensor loss = mean(sparse_categorical_crossentropy(labels, logits, true));
            benchmark::DoNotOptimize(tape.gradient(loss, logits));
        } else {
            benchmark::DoNotOptimize(mean(sparse_categorical_crossentropy(labels, logits, true)));
        }
    }
    state.SetLabel(record ? "forward + gradient" : "forward only");
}

void BM_Softmax(benchmark::State& state) {
    set_num_threads(static_cast<int>(state.range(1)));
    const std::int64_t rows = state.range(0);
    Tensor x = random::normal({rows, 1000}, 0.0, 1.0);
    for (auto _ : state) benchmark::DoNotOptimize(softmax(x));
    state.counters["bytes/s"] = benchmark::Counter(2.0 * static_cast<double>(x.nbytes()),
                                                   benchmark::Counter::kIsIterationInvariantRate,
                                                   benchmark::Counter::kIs1024);
}

}  // namespace

BENCHMARK(BM_Add4_NoTape);
BENCHMARK(BM_Add4_TapeNothingWatched);
BENCHMARK(BM_Add4_Recorded);
BENCHMARK(BM_Add4_RecordedWithGradient);
BENCHMARK(BM_SoftmaxCrossentropy128x10)->Arg(0)->Arg(1);
BENCHMARK(BM_Softmax)->Args({128, 1})->Args({4096, 1})->Args({4096, 2});
