// Serving latency of the book's model (784 -> Dense 512 relu -> Dense 10
// softmax): one sample and a batch of 32, through predict (a new Tensor per
// call, as Keras) and predict_into (the caller's buffer, no allocation).
// The side-by-side against onnxruntime and PyTorch is bench/latency.py.
#include <benchmark/benchmark.h>

#include "nabla/nabla.hpp"

namespace {

using namespace nabla;

models::Sequential& book_model() {
    static models::Sequential m = [] {
        models::Sequential s({layers::Dense(512, "relu", {.input_shape = {784}}), layers::Dense(10, "softmax")});
        s.set_seed(1);
        return s;
    }();
    return m;
}

Tensor digits(std::int64_t rows) {
    random::Generator gen(2);
    return random::uniform({rows, 784}, 0.0, 1.0, gen);
}

void BM_PredictInto(benchmark::State& state) {
    const std::int64_t rows = state.range(0);
    auto& m = book_model();
    const Tensor x = digits(rows);
    Tensor out = Tensor::uninitialized({rows, 10});
    for (auto _ : state) {
        m.predict_into(x, out);
        benchmark::DoNotOptimize(out.data<float>());
    }
    state.SetItemsProcessed(state.iterations() * rows);
}
BENCHMARK(BM_PredictInto)->Arg(1)->Arg(32)->Unit(benchmark::kMicrosecond);

void BM_Predict(benchmark::State& state) {
    const std::int64_t rows = state.range(0);
    auto& m = book_model();
    const Tensor x = digits(rows);
    for (auto _ : state) benchmark::DoNotOptimize(m.predict(x, rows));
    state.SetItemsProcessed(state.iterations() * rows);
}
BENCHMARK(BM_Predict)->Arg(1)->Arg(32)->Unit(benchmark::kMicrosecond);

}  // namespace
