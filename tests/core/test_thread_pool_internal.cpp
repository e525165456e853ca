// nabla's own thread team (src/core/thread_pool.hpp) behind parallel_for.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <thread>
#include <vector>

#include "core/parallel.hpp"
#include "core/thread_pool.hpp"
#include "nabla/core/threading.hpp"
#include "nabla/ops/reduce.hpp"
#include "nabla/core/tensor.hpp"

namespace {

using nabla::detail::ChunkBody;
using nabla::detail::run_chunks;

// Restores the thread count a test changed.
struct ThreadCount {
    int saved = nabla::get_num_threads();
    explicit ThreadCount(int n) { nabla::set_num_threads(n); }
    ~ThreadCount() { nabla::set_num_threads(saved); }
};

TEST(ThreadPool, EveryChunkRunsExactlyOnce) {
    ThreadCount threads(4);
    for (int round = 0; round < 200; ++round) {
        std::vector<std::atomic<int>> hits(4);
        auto body = [&](std::int64_t c) { hits[static_cast<std::size_t>(c)].fetch_add(1); };
        run_chunks(4, ChunkBody(body));
        for (auto& h : hits) ASSERT_EQ(h.load(), 1) << "round " << round;
    }
    EXPECT_EQ(nabla::detail::pool_worker_count(), 3);  // the caller is the fourth
}

TEST(ThreadPool, SplitDependsOnlyOnSizeAndThreadCount) {
    ThreadCount threads(3);
    const std::int64_t n = 10 * nabla::detail::kParallelGrain + 7;
    std::vector<std::pair<std::int64_t, std::int64_t>> seen(3);
    const auto chunks = nabla::detail::parallel_chunks(n, nabla::detail::kParallelGrain,
                                                       [&](std::int64_t c, std::int64_t b, std::int64_t e) {
        seen[static_cast<std::size_t>(c)] = {b, e};
    });
    ASSERT_EQ(chunks, 3);
    for (std::int64_t c = 0; c < 3; ++c) {
        EXPECT_EQ(seen[c].first, n * c / 3);
        EXPECT_EQ(seen[c].second, n * (c + 1) / 3);
    }
}

TEST(ThreadPool, ExceptionFromAWorkerReachesTheCaller) {
    ThreadCount threads(4);
    for (int round = 0; round < 50; ++round) {
        std::atomic<int> ran{0};
        auto body = [&](std::int64_t c) {
            ran.fetch_add(1);
            if (c == 3) throw std::runtime_error("chunk 3 failed");
        };
        EXPECT_THROW(run_chunks(4, ChunkBody(body)), std::runtime_error);
        EXPECT_GE(ran.load(), 1);
    }
    // The team is still usable after a failed job.
    std::atomic<int> sum{0};
    auto ok = [&](std::int64_t c) { sum.fetch_add(static_cast<int>(c) + 1); };
    run_chunks(4, ChunkBody(ok));
    EXPECT_EQ(sum.load(), 10);
}

TEST(ThreadPool, NestedCallsRunInlineWithTheSameChunks) {
    ThreadCount threads(4);
    std::vector<std::atomic<int>> inner(16);
    auto outer = [&](std::int64_t c) {
        EXPECT_TRUE(nabla::detail::inside_pool_chunk());
        auto body = [&](std::int64_t k) { inner[static_cast<std::size_t>(c * 4 + k)].fetch_add(1); };
        run_chunks(4, ChunkBody(body));
    };
    run_chunks(4, ChunkBody(outer));
    for (auto& h : inner) EXPECT_EQ(h.load(), 1);
    EXPECT_FALSE(nabla::detail::inside_pool_chunk());
}

TEST(ThreadPool, ConcurrentCallersFromApplicationThreads) {
    ThreadCount threads(3);
    std::atomic<long> total{0};
    std::vector<std::thread> callers;
    for (int t = 0; t < 4; ++t)
        callers.emplace_back([&] {
            for (int round = 0; round < 300; ++round) {
                auto body = [&](std::int64_t c) { total.fetch_add(c + 1); };
                run_chunks(3, ChunkBody(body));
            }
        });
    for (auto& c : callers) c.join();
    EXPECT_EQ(total.load(), 4L * 300 * 6);
}

TEST(ThreadPool, ThreadCountChangeResizesTheTeam) {
    auto noop = [](std::int64_t) {};
    {
        ThreadCount threads(2);
        run_chunks(2, ChunkBody(noop));
        EXPECT_EQ(nabla::detail::pool_worker_count(), 1);
    }
    ThreadCount threads(5);
    run_chunks(5, ChunkBody(noop));
    EXPECT_EQ(nabla::detail::pool_worker_count(), 4);
}

TEST(ThreadPool, SleepingTeamWakesForTheNextJob) {
    ThreadCount threads(3);
    std::atomic<int> n{0};
    auto body = [&](std::int64_t) { n.fetch_add(1); };
    run_chunks(3, ChunkBody(body));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // past the spin: workers asleep
    run_chunks(3, ChunkBody(body));
    EXPECT_EQ(n.load(), 6);
}

TEST(ThreadPool, ForkedChildStartsItsOwnTeam) {
    ThreadCount threads(3);
    auto noop = [](std::int64_t) {};
    run_chunks(3, ChunkBody(noop));
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        std::atomic<int> n{0};
        auto body = [&](std::int64_t) { n.fetch_add(1); };
        run_chunks(3, ChunkBody(body));
        _exit(n.load() == 3 && nabla::detail::pool_worker_count() == 2 ? 0 : 1);
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
}

// A reduction over a large tensor: per-chunk partials in chunk order give
// the same sum on every run for a given thread count (whichever thread ran
// which chunk).
TEST(ThreadPool, ReductionIsDeterministicForAThreadCount) {
    const std::int64_t n = 40 * nabla::detail::kParallelGrain + 13;
    nabla::Tensor x = nabla::Tensor::uninitialized({n}, nabla::float32);
    float* p = x.data<float>();
    for (std::int64_t i = 0; i < n; ++i) p[i] = std::sin(0.001f * static_cast<float>(i)) * 1e3f + 1e-3f;
    for (int t : {2, 3, 4}) {
        ThreadCount threads(t);
        const float first = nabla::ops::sum(x).item<float>();
        for (int round = 0; round < 20; ++round) ASSERT_EQ(nabla::ops::sum(x).item<float>(), first);
        // And the right value (float rounding over 1.3 M terms aside).
        double expected = 0;
        for (std::int64_t i = 0; i < n; ++i) expected += p[i];
        EXPECT_NEAR(first, expected, std::abs(expected) * 1e-5) << t << " threads";
    }
}

}  // namespace
