// One element through a 0-d view, as the book's element loops do it
// (issue 13, item 20): time per element for reads, writes and the view
// itself. items/s is elements per second.
#include <benchmark/benchmark.h>

#include "nabla/core/tensor.hpp"

using namespace nabla;

namespace {

constexpr std::int64_t kRows = 32, kCols = 32;

template <typename Body>
void element_loop(benchmark::State& state, Body body) {
    Tensor x = zeros({kRows, kCols});
    for (auto _ : state)
        for (std::int64_t i = 0; i < kRows; ++i)
            for (std::int64_t j = 0; j < kCols; ++j) body(x, i, j);
    benchmark::DoNotOptimize(x.raw_data());
    state.SetItemsProcessed(state.iterations() * kRows * kCols);
}

void BM_ElementView(benchmark::State& state) {
    element_loop(state, [](Tensor& x, std::int64_t i, std::int64_t j) {
        Tensor v = x(i, j);
        benchmark::DoNotOptimize(v);
    });
}

void BM_ElementRead(benchmark::State& state) {
    element_loop(state, [](Tensor& x, std::int64_t i, std::int64_t j) {
        double v = x(i, j).item();
        benchmark::DoNotOptimize(v);
    });
}

void BM_ElementWriteView(benchmark::State& state) {
    element_loop(state, [](Tensor& x, std::int64_t i, std::int64_t j) { x(i, j) = 1.5; });
}

void BM_ElementFillView(benchmark::State& state) {
    element_loop(state, [](Tensor& x, std::int64_t i, std::int64_t j) { x(i, j).fill(2.5); });
}

void BM_ElementAssignScalarTensor(benchmark::State& state) {
    const Tensor s = Tensor::scalar(3.5);
    element_loop(state, [&](Tensor& x, std::int64_t i, std::int64_t j) { x(i, j) = s; });
}

}  // namespace

BENCHMARK(BM_ElementView);
BENCHMARK(BM_ElementRead);
BENCHMARK(BM_ElementWriteView);
BENCHMARK(BM_ElementFillView);
BENCHMARK(BM_ElementAssignScalarTensor);
