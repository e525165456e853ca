// fit on nabla's thread team at 2 threads: the fused Dense step, the tape
// (a Dropout model) and the validation pass share the team, and a given
// thread count trains bit for bit the same (core/parallel.hpp: splits depend
// only on the size and the thread count). Also in the ThreadSanitizer binary
// (nabla_tsan_tests, docs/CONVENTIONS.md "Sanitizers"), where it is the
// training path's race check.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "nabla/nabla.hpp"

using namespace nabla;

namespace {

struct ThreadCount {
    int saved = get_num_threads();
    explicit ThreadCount(int n) { set_num_threads(n); }
    ~ThreadCount() { set_num_threads(saved); }
};

struct Trained {
    std::map<std::string, std::vector<double>> history;
    std::vector<std::vector<float>> weights;
};

// Wide enough (256 rows × 512 units per batch) that the element-wise
// kernels, the bias gradient and the softmax split over the team.
Trained train(int threads, bool dropout) {
    const ThreadCount count(threads);
    models::Sequential m;
    m.set_seed(21);
    m.add(layers::Dense(512, "relu", {.input_shape = Shape{784}}));
    if (dropout) m.add(layers::Dropout(0.25));
    m.add(layers::Dense(10, "softmax"));
    m.compile("rmsprop", "sparse_categorical_crossentropy", {"accuracy"});
    random::Generator gen(22);
    const Tensor x = random::uniform({640, 784}, 0.0, 1.0, gen);
    const Tensor y = random::randint(0, 10, {640}, gen);
    auto h = m.fit(x, y, {.epochs = 2, .batch_size = 256, .verbose = 0, .validation_split = 0.2});
    Trained out{h.history, {}};
    for (const Tensor& w : m.get_weights()) out.weights.push_back(w.to_vector<float>());
    return out;
}

void expect_close(const Trained& a, const Trained& b, double tolerance) {
    ASSERT_EQ(a.weights.size(), b.weights.size());
    for (std::size_t i = 0; i < a.weights.size(); ++i) {
        ASSERT_EQ(a.weights[i].size(), b.weights[i].size());
        double worst = 0;
        for (std::size_t j = 0; j < a.weights[i].size(); ++j)
            worst = std::max(worst, std::abs(double(a.weights[i][j]) - double(b.weights[i][j])));
        EXPECT_LE(worst, tolerance) << "weight " << i;
    }
}

}  // namespace

TEST(FitThreads, TwoThreadsTrainTheSameTwiceAndLikeOneThread) {
    for (bool dropout : {false, true}) {
        SCOPED_TRACE(dropout ? "tape (Dropout)" : "fused Dense step");
        const Trained a = train(2, dropout), b = train(2, dropout);
        EXPECT_EQ(a.history, b.history);
        expect_close(a, b, 0.0);  // bit for bit at one thread count
        // Another thread count sums in another order: rounding only.
        expect_close(a, train(1, dropout), 1e-4);
    }
}
