// The first layer's products on real MNIST digits (the shared test set's
// 10,000 images, ~19% nonzero), dense (oneDNN) against the zero-skipping
// kernels of src/ops/sparse_kernels.hpp; arguments: threads. GFLOP/s is
// effective: the dense product's flops (2·128·784·512 = 102.8 MFLOP) over
// the time taken, so a sparse figure above BM_PeakFma is beyond the dense
// limit.
//   BM_FirstLayerForward/{dense,sparse}     X·W   (128×784 · 784×512)
//   BM_FirstLayerWeightGrad/{dense,sparse}  Xᵀ·dY (784×128 · 128×512)
//   BM_SparseIndex                          the per-batch count + indexing
//   BM_FirstLayerByDensity/{dense,sparse}   forward + weight gradient (+ the
//                                           indexing) on random data of a
//                                           given density; args: threads,
//                                           nonzero %: where the paths cross
//   BM_DigitsStep/{dense,sparse}            the fused training step on
//                                           successive digit batches
#include <benchmark/benchmark.h>

#include <filesystem>
#include <vector>

#include "models/train_step.hpp"
#include "nabla/nabla.hpp"
#include "ops/dense_kernels.hpp"
#include "ops/sparse_kernels.hpp"

using namespace nabla;
namespace sparse = nabla::detail::sparse;

namespace {

constexpr std::int64_t kRows = 128, kIn = 784, kUnits = 512;
constexpr double kLayerFlops = 2.0 * kRows * kIn * kUnits;

// (10000, 784) float32 in [0, 1].
const Tensor& digits() {
    static const Tensor x = [] {
        const auto dir = std::filesystem::path(NABLA_BENCH_SHARED_DATA) / "mnist";
        auto [images, labels] = datasets::mnist::load_subset(datasets::Subset::test, dir);
        return images.reshape({images.shape(0), kIn}).astype(float32) / 255;
    }();
    return x;
}

void set_rate(benchmark::State& state, double flops) {
    state.counters["GFLOP/s"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

struct Layer {
    Tensor x = digits()(Slice(0, kRows)).copy();
    std::vector<float> W = std::vector<float>(kIn * kUnits, 0.01f), dY = std::vector<float>(kRows * kUnits, 0.02f);
    std::vector<float> out = std::vector<float>(kIn * kUnits);
    sparse::SparseInput in;
    Layer() {
        sparse::set_mode(sparse::Mode::sparse);
        in.prepare(x.data<float>(), kRows, kIn);
        sparse::set_mode(sparse::Mode::automatic);
    }
};

void BM_FirstLayerForward(benchmark::State& state, bool use_sparse) {
    set_num_threads(static_cast<int>(state.range(0)));
    Layer l;
    for (auto _ : state) {
        if (use_sparse) l.in.forward(l.W.data(), kUnits, l.out.data());
        else detail::dense::product<float>(false, false, kRows, kUnits, kIn, l.x.data<float>(), l.W.data(), l.out.data());
        benchmark::ClobberMemory();
    }
    set_rate(state, kLayerFlops);
    state.counters["density"] = l.in.density();
}

void BM_FirstLayerWeightGrad(benchmark::State& state, bool use_sparse) {
    set_num_threads(static_cast<int>(state.range(0)));
    Layer l;
    for (auto _ : state) {
        if (use_sparse) l.in.weight_gradient(l.dY.data(), kUnits, l.out.data());
        else detail::dense::product<float>(true, false, kIn, kUnits, kRows, l.x.data<float>(), l.dY.data(), l.out.data());
        benchmark::ClobberMemory();
    }
    set_rate(state, kLayerFlops);
}

void BM_SparseIndex(benchmark::State& state) {
    Layer l;
    for (auto _ : state) benchmark::DoNotOptimize(l.in.prepare(l.x.data<float>(), kRows, kIn));
}

void BM_FirstLayerByDensity(benchmark::State& state, bool use_sparse) {
    set_num_threads(static_cast<int>(state.range(0)));
    const double density = static_cast<double>(state.range(1)) / 100;
    random::Generator gen(2);
    Tensor u = random::uniform({kRows, kIn}, 0.0, 1.0, gen);
    std::vector<float> x(kRows * kIn);
    for (std::int64_t i = 0; i < kRows * kIn; ++i) {
        const float v = u.data<float>()[i];
        x[static_cast<std::size_t>(i)] = v < density ? v + 0.01f : 0.0f;
    }
    Layer l;
    std::vector<float> z(kRows * kUnits);
    sparse::set_mode(sparse::Mode::sparse);
    for (auto _ : state) {
        if (use_sparse) {
            l.in.prepare(x.data(), kRows, kIn);
            l.in.forward(l.W.data(), kUnits, z.data());
            l.in.weight_gradient(l.dY.data(), kUnits, l.out.data());
        } else {
            detail::dense::product<float>(false, false, kRows, kUnits, kIn, x.data(), l.W.data(), z.data());
            detail::dense::product<float>(true, false, kIn, kUnits, kRows, x.data(), l.dY.data(), l.out.data());
        }
        benchmark::ClobberMemory();
    }
    sparse::set_mode(sparse::Mode::automatic);
    set_rate(state, 2 * kLayerFlops);
}

// One epoch's worth of steps (79 batches) over the 10,000 digits.
void BM_DigitsStep(benchmark::State& state, bool use_sparse) {
    set_num_threads(static_cast<int>(state.range(0)));
    sparse::set_mode(use_sparse ? sparse::Mode::automatic : sparse::Mode::dense);
    models::Sequential model{{layers::Dense(kUnits, "relu", {.input_shape = {kIn}}), layers::Dense(10, "softmax")}};
    losses::CategoricalCrossentropy loss;
    optimizers::RMSprop optimizer;
    auto step = models::detail::make_train_step(model, loss, optimizer);
    std::vector<Tensor> xs, ys;
    random::Generator gen(1);
    for (std::int64_t b = 0; b + kRows <= digits().shape(0); b += kRows) {
        xs.push_back(digits()(Slice(b, b + kRows)).copy());
        ys.push_back(utils::to_categorical(random::randint(0, 10, {kRows}, gen), 10));
    }
    step->train(xs[0], ys[0]);
    std::size_t i = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(step->train(xs[i], ys[i]).loss);
        i = (i + 1) % xs.size();
    }
    sparse::set_mode(sparse::Mode::automatic);
    const double step_flops = 2.0 * kRows * (kIn * kUnits + kUnits * 10) * 2 + 2.0 * kRows * 10 * kUnits;
    set_rate(state, step_flops);
    state.counters["s/epoch"] = benchmark::Counter(1.0 / 79, benchmark::Counter::kIsIterationInvariantRate |
                                                                  benchmark::Counter::kInvert);
}

}  // namespace

BENCHMARK_CAPTURE(BM_FirstLayerForward, dense, false)->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK_CAPTURE(BM_FirstLayerForward, sparse, true)->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK_CAPTURE(BM_FirstLayerWeightGrad, dense, false)->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK_CAPTURE(BM_FirstLayerWeightGrad, sparse, true)->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK(BM_SparseIndex);
BENCHMARK_CAPTURE(BM_FirstLayerByDensity, dense, false)->ArgsProduct({{1, 2}, {10, 20, 30, 40, 50}})->UseRealTime();
BENCHMARK_CAPTURE(BM_FirstLayerByDensity, sparse, true)->ArgsProduct({{1, 2}, {10, 20, 30, 40, 50}})->UseRealTime();
BENCHMARK_CAPTURE(BM_DigitsStep, dense, false)->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK_CAPTURE(BM_DigitsStep, sparse, true)->Arg(1)->Arg(2)->UseRealTime();
