// The book's training step at batch 128 (784 -> Dense 512 relu -> Dense 10
// softmax, RMSprop, categorical crossentropy) and its parts, at 1 and 2
// threads (the argument). GFLOP/s counts the step's 209.5 MFLOP (forward
// 104.1, weight gradients 104.1, the second layer's input gradient 1.3).
//   BM_TrainStep/fused     the whole step as fit() runs it
//   BM_TrainStep/tape      the same step through the GradientTape (the
//                          fallback path, NABLA_FUSED_STEP=0)
//   BM_ForwardAndLoss      forward pass + loss (evaluate's work per batch)
//   BM_RMSpropUpdate       the optimizer pass over all 407,050 weights
//   BM_FitEpoch            one epoch of fit(): the step plus the loop around
//                          it (shuffle, batch gather, metrics, callbacks;
//                          progress display off); arguments: threads,
//                          samples (15,000 to 60,000: time is linear in them)
//   BM_WeightGradUpdate    the first layer's weight gradient (784x128x512)
//                          and its RMSprop update, the phase the split of
//                          the product serves (process CPU time, which
//                          reads more fairly than wall time under load)
//   BM_BatchGather         fit's shuffled batch gather over one epoch of
//                          60,000 rows of 784 floats (BM_FitEpoch's data)
// The backward pass is the step minus the other two.
#include <benchmark/benchmark.h>

#include <cstdlib>

#include "ops/gemm.hpp"

#include "models/batches.hpp"
#include "models/train_step.hpp"
#include "nabla/nabla.hpp"

using namespace nabla;

namespace {

constexpr double kStepFlops = 2.0 * 128 * (784 * 512 + 512 * 10) * 2 + 2.0 * 128 * 10 * 512;

struct BookSetup {
    models::Sequential model{{layers::Dense(512, "relu", {.input_shape = {784}}), layers::Dense(10, "softmax")}};
    losses::CategoricalCrossentropy loss;
    optimizers::RMSprop optimizer;
    Tensor x, y;
    std::unique_ptr<models::detail::TrainStep> step;

    explicit BookSetup(bool fused) {
        random::Generator gen(1);
        x = random::uniform({128, 784}, 0.0, 1.0, gen);
        y = utils::to_categorical(random::randint(0, 10, {128}, gen), 10);
        if (!fused) setenv("NABLA_FUSED_STEP", "0", 1);
        step = models::detail::make_train_step(model, loss, optimizer);
        unsetenv("NABLA_FUSED_STEP");
        step->train(x, y);  // sizes the buffers and the optimizer's slots
    }
};

void set_rate(benchmark::State& state, double flops) {
    state.counters["GFLOP/s"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_TrainStep(benchmark::State& state, bool fused) {
    set_num_threads(static_cast<int>(state.range(0)));
    BookSetup s(fused);
    for (auto _ : state) benchmark::DoNotOptimize(s.step->train(s.x, s.y).loss);
    set_rate(state, kStepFlops);
    state.counters["s/epoch"] =
        benchmark::Counter(1.0 / 469, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

void BM_ForwardAndLoss(benchmark::State& state) {
    set_num_threads(static_cast<int>(state.range(0)));
    BookSetup s(true);
    for (auto _ : state) benchmark::DoNotOptimize(s.step->test(s.x, s.y).loss);
    set_rate(state, 2.0 * 128 * (784 * 512 + 512 * 10));
}

void BM_RMSpropUpdate(benchmark::State& state) {
    set_num_threads(static_cast<int>(state.range(0)));
    BookSetup s(true);
    std::vector<Variable> vars = s.model.trainable_weights();
    std::vector<optimizers::GradientAndVariable> pairs;
    std::vector<Tensor> grads;
    for (const Variable& v : vars) grads.push_back(random::uniform(v.shape(), -1e-3, 1e-3));
    for (std::size_t i = 0; i < vars.size(); ++i) pairs.emplace_back(grads[i], &vars[i]);
    for (auto _ : state) s.optimizer.apply_gradients(pairs);
    // Bytes moved: read w, g, v; write w, v.
    state.counters["GB/s"] = benchmark::Counter(407050.0 * 4 * 5 * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_WeightGradUpdate(benchmark::State& state) {
    set_num_threads(static_cast<int>(state.range(0)));
    BookSetup s(true);
    Variable kernel = s.model.trainable_weights().front();  // 784x512
    Tensor delta = random::uniform({128, 512}, -1e-3, 1e-3), grad = zeros({784, 512});
    std::vector<optimizers::GradientAndVariable> pairs{{grad, &kernel}};
    for (auto _ : state) {
        detail::gemm<float>(true, false, 784, 512, 128, 1.f, s.x.data<float>(), 784, delta.data<float>(), 512, 0.f,
                            grad.data<float>(), 512);
        s.optimizer.apply_gradients(pairs);
    }
    set_rate(state, 2.0 * 784 * 128 * 512);
}

// 60,000 uniform images and one-hot labels, made once for every run.
const std::pair<Tensor, Tensor>& fit_data() {
    static const std::pair<Tensor, Tensor> data = [] {
        random::Generator gen(2);
        return std::pair{random::uniform({60000, 784}, 0.0, 1.0, gen),
                         utils::to_categorical(random::randint(0, 10, {60000}, gen), 10)};
    }();
    return data;
}

void BM_FitEpoch(benchmark::State& state) {
    set_num_threads(static_cast<int>(state.range(0)));
    const std::int64_t samples = state.range(1);
    const Tensor x = fit_data().first(Slice(0, samples)), y = fit_data().second(Slice(0, samples));
    models::Sequential model{{layers::Dense(512, "relu", {.input_shape = {784}}), layers::Dense(10, "softmax")}};
    model.compile("rmsprop", "categorical_crossentropy", {"accuracy"});
    model.fit(x(Slice(0, 1280)), y(Slice(0, 1280)), {.batch_size = 128, .verbose = 0});  // warm-up
    for (auto _ : state) model.fit(x, y, {.epochs = 1, .batch_size = 128, .verbose = 0});
    set_rate(state, kStepFlops * double(samples) / 128);
    state.counters["s/epoch(60k)"] = benchmark::Counter(
        double(samples) / 60000, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

void BM_BatchGather(benchmark::State& state) {
    set_num_threads(static_cast<int>(state.range(0)));
    const Tensor& x = fit_data().first;
    models::detail::BatchGatherer gather(x, 128);
    random::Generator gen(3);
    const Tensor order = random::permutation(x.shape(0), gen);
    const std::int64_t* idx = order.data<std::int64_t>();
    for (auto _ : state)
        for (std::int64_t b = 0; b + 128 <= x.shape(0); b += 128) benchmark::DoNotOptimize(gather.gather(idx + b, 128));
    state.counters["GB/s"] = benchmark::Counter(double(x.shape(0) / 128 * 128) * 784 * 4 * 1e-9,
                                                benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

BENCHMARK_CAPTURE(BM_TrainStep, fused, true)->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK_CAPTURE(BM_TrainStep, tape, false)->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK(BM_ForwardAndLoss)->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK(BM_RMSpropUpdate)->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK(BM_WeightGradUpdate)->Arg(1)->Arg(2)->UseRealTime()->MeasureProcessCPUTime();
BENCHMARK(BM_BatchGather)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FitEpoch)
    ->ArgsProduct({{1, 2}, {15000, 30000, 60000}})
    ->ArgNames({"threads", "samples"})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(2);
