// The steady-state training step allocates nothing: after the first step
// (which sizes every buffer and the optimizer's slots), gathering a shuffled
// batch, the fused step (forward, loss, backward, optimizer update) and the
// accuracy metric run without a single malloc, on any thread.
//
// This is its own executable because it replaces the C allocator: malloc
// and friends are interposed here and counted while `counting` is on, then
// forwarded to glibc. (Not built under the sanitizers, which interpose the
// allocator themselves.)
#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>

#include "models/batches.hpp"
#include "models/train_step.hpp"
#include "ops/gemm.hpp"
#include "nabla/nabla.hpp"

extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* __libc_memalign(std::size_t, std::size_t);
}

namespace {
std::atomic<bool> counting{false};
std::atomic<long> allocations{0};      // by nabla's own code
std::atomic<long> library_allocations{0};  // by oneDNN, inside a matrix product
bool trap = false;
void count() {
    if (!counting.load(std::memory_order_relaxed)) return;
    if (nabla::detail::matrix_library_calls().load(std::memory_order_relaxed) > 0) {
        library_allocations.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    allocations.fetch_add(1, std::memory_order_relaxed);
    if (trap) __builtin_trap();  // NABLA_TRAP_ALLOC=1 under gdb shows where
}
}  // namespace

extern "C" {
void* malloc(std::size_t n) {
    count();
    return __libc_malloc(n);
}
void* calloc(std::size_t n, std::size_t size) {
    count();
    return __libc_calloc(n, size);
}
void* realloc(void* p, std::size_t n) {
    count();
    return __libc_realloc(p, n);
}
void* memalign(std::size_t alignment, std::size_t n) {
    count();
    return __libc_memalign(alignment, n);
}
void* aligned_alloc(std::size_t alignment, std::size_t n) {
    count();
    return __libc_memalign(alignment, n);
}
int posix_memalign(void** out, std::size_t alignment, std::size_t n) {
    count();
    void* p = __libc_memalign(alignment, n);
    if (!p) return ENOMEM;
    *out = p;
    return 0;
}
}

namespace {

using namespace nabla;

// Trains `steps` shuffled batches as fit() does (gather, step, loss and
// accuracy metrics) and counts the allocations of the steps after the first
// `warm_up`; prints them with `what`.
long count_step_allocations(models::Sequential& model, const losses::Loss& loss, const Tensor& x, const Tensor& y,
                            std::int64_t batch, int steps, int warm_up, random::Generator& gen, const char* what) {
    optimizers::RMSprop optimizer;
    metrics::Accuracy accuracy;
    metrics::Mean loss_tracker("loss");
    auto step = models::detail::make_train_step(model, loss, optimizer);
    models::detail::BatchGatherer gx(x, batch), gy(y, batch);
    const Tensor order = random::permutation(x.shape(0), gen);
    const std::int64_t* idx = order.data<std::int64_t>();

    allocations = 0;
    library_allocations = 0;
    trap = std::getenv("NABLA_TRAP_ALLOC") != nullptr;
    for (int s = 0; s < steps; ++s) {
        counting = s >= warm_up;
        const Tensor xb = gx.gather(idx + s * batch, batch), yb = gy.gather(idx + s * batch, batch);
        const models::detail::StepResult r = step->train(xb, yb);
        loss_tracker.update_state(r.loss, double(batch));
        accuracy.update_state(yb, r.y_pred);
        counting = false;
        EXPECT_TRUE(r.applied);
    }
    EXPECT_GT(accuracy.result(), 0.0);
    std::cout << what << ", steps " << warm_up + 1 << ".." << steps << ": " << allocations.load()
              << " allocations by nabla, " << library_allocations.load() << " by oneDNN\n";
    return allocations.load();
}

// Runs `steps` shuffled steps of the book's model and returns the number of
// allocations made by steps 2..N.
long allocations_after_first_step(bool sparse, int threads, int steps = 6) {
    set_num_threads(threads);
    models::Sequential model({layers::Dense(512, "relu", {.input_shape = {784}}), layers::Dense(10, "softmax")});
    model.set_seed(1);
    random::Generator gen(2);
    const std::int64_t n = 128 * steps, batch = 128;
    const Tensor x = random::uniform({n, 784}, 0.0, 1.0, gen);
    const Tensor ids = random::randint(0, 10, {n}, gen);
    const Tensor y = sparse ? ids.astype(uint8) : utils::to_categorical(ids, 10);
    std::shared_ptr<losses::Loss> loss = sparse ? losses::get("sparse_categorical_crossentropy")
                                                : losses::get("categorical_crossentropy");
    return count_step_allocations(model, *loss, x, y, batch, steps, 1, gen, "book's model");
}

TEST(SteadyState, CountingIsLive) {
    // The interposition works: a vector's growth is counted.
    allocations = 0;
    counting = true;
    std::vector<int> v(1000);
    counting = false;
    EXPECT_GE(allocations.load(), 1);
}

TEST(SteadyState, OneHotStepAllocatesNothingOneThread) { EXPECT_EQ(allocations_after_first_step(false, 1), 0); }
TEST(SteadyState, OneHotStepAllocatesNothingTwoThreads) { EXPECT_EQ(allocations_after_first_step(false, 2), 0); }
TEST(SteadyState, SparseStepAllocatesNothing) { EXPECT_EQ(allocations_after_first_step(true, 2), 0); }

// Issue 15: the book's convnet (listing 8.1) through the same fused step:
// the fused first convolution and pooling, oneDNN's convolutions and nabla's
// pooling, batch 64, sparse labels. The team's threads claim chunks as they
// come, so a thread may first run some kernel in any later step: whatever it
// needs must not be made per thread on first use (conv_dnnl.cpp's entries
// are made by the calling thread, per chunk; thread_pool.cpp sets each
// worker's OpenMP state when it starts).
long convnet_allocations_after_warm_up(int threads, int steps = 6) {
    set_num_threads(threads);
    models::Sequential model({layers::Input({28, 28, 1}), layers::Conv2D(32, 3, "relu"), layers::MaxPooling2D(2),
                              layers::Conv2D(64, 3, "relu"), layers::MaxPooling2D(2), layers::Conv2D(128, 3, "relu"),
                              layers::Flatten(), layers::Dense(10, "softmax")});
    model.set_seed(3);
    random::Generator gen(4);
    const std::int64_t batch = 64, n = batch * steps;
    const Tensor x = random::uniform({n, 28, 28, 1}, 0.0, 1.0, gen);
    const Tensor y = random::randint(0, 10, {n}, gen).astype(uint8);
    losses::SparseCategoricalCrossentropy loss;
    return count_step_allocations(model, loss, x, y, batch, steps, 1, gen, "the book's convnet");
}

TEST(SteadyState, ConvnetStepAllocatesNothingOneThread) { EXPECT_EQ(convnet_allocations_after_warm_up(1), 0); }
TEST(SteadyState, ConvnetStepAllocatesNothingTwoThreads) { EXPECT_EQ(convnet_allocations_after_warm_up(2), 0); }

}  // namespace

// Issue 13 item 20: one element through a 0-d view costs one allocation (the
// view's handle), for a read, a write from a C++ scalar, and fill.
TEST(SteadyState, ElementReadAndWriteThroughAViewAllocateOnlyTheView) {
    Tensor x = zeros({4, 5});
    const Tensor s = Tensor::scalar(2.0);
    allocations = 0;
    counting = true;
    x(2, 3) = 1.5;
    counting = false;
    EXPECT_LE(allocations.exchange(0), 1);
    counting = true;
    const double v = x(2, 3).item();
    counting = false;
    EXPECT_LE(allocations.exchange(0), 1);
    counting = true;
    x(1, 1).fill(4.0);
    x(0, 0) = s;
    x(3, 4) = 7;
    counting = false;
    EXPECT_LE(allocations.exchange(0), 3);
    EXPECT_EQ(v, 1.5);
    EXPECT_EQ(x.to_vector<float>()[1 * 5 + 1], 4.0f);
    EXPECT_EQ(x.to_vector<float>()[0], 2.0f);
    EXPECT_EQ(x.to_vector<float>()[19], 7.0f);
}

// Issue 14: serving. predict_into of one sample allocates nothing after the
// first call on a thread — not even inside a matrix library, which it does
// not call — and starts no thread team; a batch allocates only inside
// oneDNN's sgemm (its packing buffer).
namespace {

models::Sequential served_model() {
    models::Sequential model({layers::Dense(512, "relu", {.input_shape = {784}}), layers::Dense(10, "softmax")});
    model.set_seed(21);
    model.compile("rmsprop", "sparse_categorical_crossentropy", {"accuracy"});  // as a loaded model is
    return model;
}

long predict_into_allocations(std::int64_t rows, int calls = 50) {
    set_num_threads(2);
    models::Sequential model = served_model();
    random::Generator gen(22);
    const Tensor x = random::uniform({rows, 784}, 0.0, 1.0, gen);
    Tensor out = Tensor::uninitialized({rows, 10});
    model.predict_into(x, out);  // the first call plans and sizes the buffers
    allocations = 0;
    library_allocations = 0;
    trap = std::getenv("NABLA_TRAP_ALLOC") != nullptr;
    counting = true;
    for (int i = 0; i < calls; ++i) model.predict_into(x, out);
    counting = false;
    std::cout << rows << "-row predict_into x" << calls << ": " << allocations.load() << " allocations by nabla, "
              << library_allocations.load() << " by oneDNN\n";
    EXPECT_NEAR(out.sum().item<double>(), double(rows), 1e-4);  // softmax rows
    return allocations.load();
}

int threads_of_this_process() {
    int n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/task")) ++n;
    return n;
}

}  // namespace

TEST(ServingPredict, SingleSamplePredictIntoAllocatesNothing) {
    EXPECT_EQ(predict_into_allocations(1), 0);
    EXPECT_EQ(library_allocations.load(), 0);  // no matrix-library call either
}

TEST(ServingPredict, BatchPredictIntoAllocatesOnlyInsideOneDnn) { EXPECT_EQ(predict_into_allocations(32, 10), 0); }

TEST(ServingPredict, SingleSampleStartsNoThreadTeam) {
    // In a fresh process (this test binary run again), where no OpenMP team
    // exists yet: the threads of the process are counted before and after.
    if (std::getenv("NABLA_TEAM_PROBE_CHILD")) {
        set_num_threads(1);  // build without a team
        models::Sequential model = served_model();
        random::Generator gen(23);
        const Tensor x = random::uniform({1, 784}, 0.0, 1.0, gen), batch = random::uniform({256, 784}, 0.0, 1.0, gen);
        Tensor out = Tensor::uninitialized({1, 10}), outs = Tensor::uninitialized({256, 10});
        ASSERT_EQ(threads_of_this_process(), 1);
        set_num_threads(4);
        for (int i = 0; i < 100; ++i) model.predict_into(x, out);
        EXPECT_EQ(threads_of_this_process(), 1) << "a single-sample predict started threads";
        model.predict_into(batch, outs);  // the probe sees a team when there is one
        EXPECT_GT(threads_of_this_process(), 1) << "the probe did not see the batch's team";
        return;
    }
    // Resolved here: inside popen's shell, /proc/self/exe would be the shell.
    const std::string cmd = "NABLA_TEAM_PROBE_CHILD=1 '" + std::filesystem::read_symlink("/proc/self/exe").string() +
                            "' --gtest_filter=ServingPredict.SingleSampleStartsNoThreadTeam 2>&1";
    std::string output;
    FILE* p = popen(cmd.c_str(), "r");
    ASSERT_NE(p, nullptr);
    char buf[4096];
    while (std::fgets(buf, sizeof buf, p)) output += buf;
    const int status = pclose(p);
    EXPECT_EQ(WEXITSTATUS(status), 0) << output;
    EXPECT_NE(output.find("[  PASSED  ] 1 test"), std::string::npos) << output;
}
