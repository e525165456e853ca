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
#include <iostream>

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
    optimizers::RMSprop optimizer;
    metrics::Accuracy accuracy;
    metrics::Mean loss_tracker("loss");
    auto step = models::detail::make_train_step(model, *loss, optimizer);
    models::detail::BatchGatherer gx(x, batch), gy(y, batch);
    const Tensor order = random::permutation(n, gen);
    const std::int64_t* idx = order.data<std::int64_t>();

    allocations = 0;
    library_allocations = 0;
    trap = std::getenv("NABLA_TRAP_ALLOC") != nullptr;
    for (int s = 0; s < steps; ++s) {
        counting = s > 0;
        const Tensor xb = gx.gather(idx + s * batch, batch), yb = gy.gather(idx + s * batch, batch);
        const models::detail::StepResult r = step->train(xb, yb);
        loss_tracker.update_state(r.loss, double(batch));
        accuracy.update_state(yb, r.y_pred);
        counting = false;
        EXPECT_TRUE(r.applied);
    }
    EXPECT_GT(accuracy.result(), 0.0);
    std::cout << "steps 2.." << steps << ": " << allocations.load() << " allocations by nabla, "
              << library_allocations.load() << " by oneDNN inside its sgemm\n";
    return allocations.load();
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
