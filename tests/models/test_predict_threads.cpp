// predict, predict_into and model(x) on one loaded model from many threads
// at once: every result equals the single-threaded one bit for bit. Run
// under ThreadSanitizer by `bash scripts/test.sh tsan` (docs/deploy.md).
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <thread>
#include <vector>

#include "nabla/nabla.hpp"
#include "support/temp_dir.hpp"

using namespace nabla;

namespace {

constexpr int kThreads = 4;
constexpr int kPerThread = 1000;

bool same_bits(const Tensor& a, const Tensor& b) {
    if (a.shape() != b.shape() || a.dtype() != b.dtype()) return false;
    const Tensor ca = a.contiguous(), cb = b.contiguous();
    return std::memcmp(ca.raw_data(), cb.raw_data(), static_cast<std::size_t>(ca.size()) * itemsize(ca.dtype())) == 0;
}

// The book's model, trained a little, saved and loaded back (compiled: the
// loaded model has the fused training step, whose buffers must not be
// shared; a Dropout makes it take the tape instead).
models::Sequential loaded_book_model(const test::TempDir& dir, bool dropout = false) {
    models::Sequential m({layers::Dense(64, "relu", {.input_shape = {784}}), layers::Dense(10, "softmax")});
    if (dropout) m = models::Sequential({layers::Dense(64, "relu", {.input_shape = {784}}), layers::Dropout(0.5),
                                        layers::Dense(10, "softmax")});
    m.set_seed(11);
    m.compile("rmsprop", "sparse_categorical_crossentropy", {"accuracy"});
    random::Generator gen(12);
    const Tensor x = random::uniform({256, 784}, 0.0, 1.0, gen);
    m.fit(x, random::randint(0, 10, {256}, gen), {.epochs = 1, .batch_size = 64, .verbose = 0});
    m.save((dir / "m.keras").string());
    return models::load_model((dir / "m.keras").string());
}

// The same, served by the process that trained it: its fused step is
// planned and holds buffers of its own (the loaded model's step plans only
// when it trains).
models::Sequential trained_book_model() {
    models::Sequential m({layers::Dense(64, "relu", {.input_shape = {784}}), layers::Dense(10, "softmax")});
    m.set_seed(11);
    m.compile("rmsprop", "sparse_categorical_crossentropy", {"accuracy"});
    random::Generator gen(12);
    const Tensor x = random::uniform({256, 784}, 0.0, 1.0, gen);
    m.fit(x, random::randint(0, 10, {256}, gen), {.epochs = 1, .batch_size = 64, .verbose = 0});
    return m;
}

// Inputs of 1, 3 and 40 rows: the one-row kernel and the batched one.
std::vector<Tensor> inputs() {
    random::Generator gen(13);
    std::vector<Tensor> out;
    for (int i = 0; i < 12; ++i) out.push_back(random::uniform({i % 3 == 0 ? 1 : i % 3 == 1 ? 3 : 40, 784}, 0.0, 1.0, gen));
    return out;
}

// Runs `f(thread, i)` kPerThread times on each of kThreads threads, all
// started together; returns the number of calls whose result differed.
template <typename F>
int race(F f) {
    std::atomic<int> ready{0}, mismatches{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            ready.fetch_add(1);
            while (ready.load() < kThreads) std::this_thread::yield();
            for (int i = 0; i < kPerThread; ++i)
                if (!f(t, i)) mismatches.fetch_add(1);
        });
    for (auto& th : threads) th.join();
    return mismatches.load();
}

TEST(PredictThreads, PredictFromFourThreadsMatchesOneThreadBitwise) {
    test::TempDir dir;
    auto m = loaded_book_model(dir);
    const auto xs = inputs();
    std::vector<Tensor> want;
    for (const auto& x : xs) want.push_back(m.predict(x));
    EXPECT_EQ(race([&](int t, int i) {
                  const std::size_t k = static_cast<std::size_t>(t * 7 + i) % xs.size();
                  return same_bits(m.predict(xs[k]), want[k]);
              }),
              0);
}

TEST(PredictThreads, PredictFromFourThreadsAfterFitMatchesOneThreadBitwise) {
    auto m = trained_book_model();
    const auto xs = inputs();
    std::vector<Tensor> want;
    for (const auto& x : xs) want.push_back(m.predict(x));
    EXPECT_EQ(race([&](int t, int i) {
                  const std::size_t k = static_cast<std::size_t>(t * 7 + i) % xs.size();
                  return same_bits(m.predict(xs[k]), want[k]);
              }),
              0);
}

TEST(PredictThreads, PredictIntoAndCallFromFourThreadsMatchOneThreadBitwise) {
    test::TempDir dir;
    auto m = loaded_book_model(dir, /*dropout=*/true);
    const auto xs = inputs();
    std::vector<Tensor> want_into, want_call;
    for (const auto& x : xs) {
        Tensor out = Tensor::uninitialized({x.shape(0), 10});
        m.predict_into(x, out);
        want_into.push_back(out);
        want_call.push_back(m(x));
    }
    EXPECT_EQ(race([&](int t, int i) {
                  const std::size_t k = static_cast<std::size_t>(t * 5 + i) % xs.size();
                  if (i % 2) return same_bits(m(xs[k]), want_call[k]);
                  Tensor out = zeros({xs[k].shape(0), 10});
                  m.predict_into(xs[k], out);
                  return same_bits(out, want_into[k]);
              }),
              0);
}

TEST(PredictThreads, TwoModelsAlternatingOnEachThread) {
    // Each thread's plan follows the model it is given.
    test::TempDir dir;
    auto a = loaded_book_model(dir);
    models::Sequential b({layers::Dense(10, "tanh", {.input_shape = {784}})});
    b.set_seed(14);
    b.build({-1, 784});
    const auto xs = inputs();
    std::vector<Tensor> wa, wb;
    for (const auto& x : xs) {
        wa.push_back(a.predict(x));
        wb.push_back(b.predict(x));
    }
    EXPECT_EQ(race([&](int t, int i) {
                  const std::size_t k = static_cast<std::size_t>(t + i) % xs.size();
                  return i % 2 ? same_bits(a.predict(xs[k]), wa[k]) : same_bits(b.predict(xs[k]), wb[k]);
              }),
              0);
}

TEST(PredictThreads, LazyBuildRaceBuildsOnce) {
    // No input shape: the first calls, from four threads at once, build it.
    for (int round = 0; round < 5; ++round) {
        models::Sequential m({layers::Dense(16, "relu"), layers::Dense(3, "softmax")});
        m.set_seed(15);
        random::Generator gen(16);
        const Tensor x = random::uniform({2, 8}, 0.0, 1.0, gen);
        std::vector<Tensor> got(kThreads);
        std::vector<std::thread> threads;
        std::atomic<int> ready{0};
        for (int t = 0; t < kThreads; ++t)
            threads.emplace_back([&, t] {
                ready.fetch_add(1);
                while (ready.load() < kThreads) std::this_thread::yield();
                got[static_cast<std::size_t>(t)] = t % 2 ? m(x) : m.predict(x);
            });
        for (auto& th : threads) th.join();
        EXPECT_EQ(m.weights().size(), 4u);  // one kernel and bias per layer: built once
        for (const auto& g : got) EXPECT_TRUE(g.shape() == (Shape{2, 3}));
        for (int t = 1; t < kThreads; ++t) EXPECT_TRUE(allclose(got[t], got[0], 1e-6, 1e-6));
    }
}

TEST(PredictThreads, PredictIntoChecksItsArguments) {
    models::Sequential m({layers::Dense(10, "softmax", {.input_shape = {784}})});
    Tensor x = zeros({2, 784}), out = zeros({2, 10});
    m.predict_into(x, out);
    Tensor small = zeros({2, 9});
    EXPECT_THROW(m.predict_into(x, small), ShapeError);
    Tensor rows = zeros({3, 10});
    EXPECT_THROW(m.predict_into(x, rows), ShapeError);
    Tensor wide = zeros({2, 785});
    EXPECT_THROW(m.predict_into(wide, out), ShapeError);
    Tensor doubles = zeros({2, 10}, float64);
    EXPECT_THROW(m.predict_into(x, doubles), DTypeError);
    Tensor strided = zeros({2, 1568})(Slice(), Slice(0, 1568, 2));
    EXPECT_THROW(m.predict_into(strided, out), DTypeError);
    // The same numbers as predict.
    random::Generator gen(17);
    const Tensor r = random::uniform({1, 784}, 0.0, 1.0, gen);
    Tensor one = zeros({1, 10});
    m.predict_into(r, one);
    EXPECT_TRUE(allclose(one, m.predict(r), 1e-6, 1e-7));
}

}  // namespace
