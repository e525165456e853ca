// The book's convnet (listing 8.1) at batch 64 on 28x28x1 images, 1 and 2
// threads (the argument):
//   BM_ConvnetTrainStep   one fit() step (tape, RMSprop, sparse CCE): images/s
//   BM_ConvnetPredict     inference on one batch of 64: images/s
//   BM_LargestConvForward the largest convolution's forward product
//                         (64x11x11x64 from 13x13x32, 3x3 kernel): GFLOP/s,
//                         to compare with BM_PeakFma
// The PyTorch peer is bench/peers/torch_convnet.py.
#include <benchmark/benchmark.h>

#include "models/train_step.hpp"
#include "nabla/nabla.hpp"

using namespace nabla;

namespace {

models::Sequential convnet() {
    return models::Sequential({layers::Input({28, 28, 1}), layers::Conv2D(32, 3, "relu"), layers::MaxPooling2D(2),
                               layers::Conv2D(64, 3, "relu"), layers::MaxPooling2D(2), layers::Conv2D(128, 3, "relu"),
                               layers::Flatten(), layers::Dense(10, "softmax")});
}

void images_per_s(benchmark::State& state) {
    state.counters["images/s"] = benchmark::Counter(64, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_ConvnetTrainStep(benchmark::State& state) {
    set_num_threads(static_cast<int>(state.range(0)));
    models::Sequential model = convnet();
    losses::SparseCategoricalCrossentropy loss;
    optimizers::RMSprop optimizer;
    random::Generator gen(1);
    const Tensor x = random::uniform({64, 28, 28, 1}, 0.0, 1.0, gen), y = random::randint(0, 10, {64}, gen);
    auto step = models::detail::make_train_step(model, loss, optimizer);
    step->train(x, y);  // primitives, optimizer slots
    for (auto _ : state) benchmark::DoNotOptimize(step->train(x, y).loss);
    images_per_s(state);
}

void BM_ConvnetPredict(benchmark::State& state) {
    set_num_threads(static_cast<int>(state.range(0)));
    models::Sequential model = convnet();
    random::Generator gen(1);
    const Tensor x = random::uniform({64, 28, 28, 1}, 0.0, 1.0, gen);
    model(x);
    for (auto _ : state) benchmark::DoNotOptimize(model(x));
    images_per_s(state);
}

void BM_LargestConvForward(benchmark::State& state) {
    set_num_threads(static_cast<int>(state.range(0)));
    random::Generator gen(1);
    const Tensor x = random::uniform({64, 13, 13, 32}, 0.0, 1.0, gen), k = random::normal({3, 3, 32, 64}, 0.0, 0.1, gen);
    const Tensor b = zeros({64});
    conv2d(x, k, b);
    for (auto _ : state) benchmark::DoNotOptimize(conv2d(x, k, b));
    const double flops = 2.0 * 64 * 11 * 11 * 64 * 3 * 3 * 32;
    state.counters["GFLOP/s"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

BENCHMARK(BM_ConvnetTrainStep)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ConvnetPredict)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LargestConvForward)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMicrosecond);
