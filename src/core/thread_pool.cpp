// nabla's thread team (thread_pool.hpp). One job at a time: the job is a
// chunk count and a body; a 64-bit state word holds the job's generation,
// its chunk count and its next unclaimed chunk, so a chunk is claimed by one
// compare-and-swap that also proves the job is still the current one.
#include "thread_pool.hpp"

#include <omp.h>
#include <pthread.h>

#include <atomic>
#include <chrono>
#include <exception>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#include "nabla/core/threading.hpp"

namespace nabla::detail {

namespace {

// How long an idle worker (and a caller waiting for its last chunks) spins
// before it sleeps. Long enough to bridge the gap between the kernels of one
// training step (a few microseconds), short enough that a sleeping team
// costs a loaded machine nothing: libgomp's default spins ~300,000 rounds
// (milliseconds), which is what starved oversubscribed programs.
constexpr auto kSpin = std::chrono::microseconds(50);

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#else
    std::this_thread::yield();
#endif
}

// Spins until pred() or kSpin has passed; the clock is read every 64 rounds.
template <typename P>
bool spin_until(P pred) {
    const auto until = std::chrono::steady_clock::now() + kSpin;
    for (unsigned i = 1;; ++i) {
        if (pred()) return true;
        cpu_relax();
        if (i % 64 == 0 && std::chrono::steady_clock::now() >= until) return pred();
    }
}

thread_local bool t_inside_chunk = false;

class Pool {
public:
    Pool() {
        pthread_atfork([] { instance().mutex_.lock(); }, [] { instance().mutex_.unlock(); },
                       [] { instance().after_fork_in_child(); });
    }

    static Pool& instance() {
        // Immortal: a static's destructor may still call parallel_for after
        // the team has stopped (it then runs inline). The team itself stops
        // at exit through the Shutdown object below.
        static Pool& pool = *new Pool;  // NOLINT: intentionally never destroyed
        static struct Shutdown {
            ~Shutdown() { pool.stop(); }
        } shutdown;
        return pool;
    }

    void run(std::int64_t chunks, ChunkBody body) {
        std::unique_lock lock(mutex_, std::try_to_lock);
        if (t_inside_chunk || chunks > 0xffff || !lock.owns_lock() || stopped_ || !ensure_workers()) {
            run_inline(chunks, body);
            return;
        }
        body_ = &body;
        chunks_ = static_cast<std::uint32_t>(chunks);
        done_.store(0, std::memory_order_relaxed);
        error_ = nullptr;
        failed_.store(false, std::memory_order_relaxed);
        const std::uint32_t gen = ++generation_;
        state_.store(pack(gen, chunks_), std::memory_order_release);
        wake_.store(gen, std::memory_order_seq_cst);
        if (sleepers_.load(std::memory_order_seq_cst) > 0) wake_.notify_all();
        t_inside_chunk = true;
        work(gen);
        t_inside_chunk = false;
        wait_done();
        body_ = nullptr;
        if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
    }

    int workers() {
        std::lock_guard lock(mutex_);
        return static_cast<int>(threads_.size());
    }

private:
    static void run_inline(std::int64_t chunks, ChunkBody body) {
        const bool outer = t_inside_chunk;
        t_inside_chunk = true;
        try {
            for (std::int64_t c = 0; c < chunks; ++c) body(c);
        } catch (...) {
            t_inside_chunk = outer;
            throw;
        }
        t_inside_chunk = outer;
    }

    // Workers for `wanted` helpers; a changed thread count restarts the team
    // (set_num_threads is rare). False if no thread could be started.
    bool ensure_workers() {
        const auto target = static_cast<std::size_t>(std::max(get_num_threads() - 1, 0));
        if (threads_.size() != target && !threads_.empty()) stop_workers();
        if (threads_.empty() && target > 0) {
            stop_flag_.store(false, std::memory_order_relaxed);
            try {
                for (std::size_t i = 0; i < target; ++i)
                    threads_.emplace_back([this, seen = generation_] { worker(seen); });
            } catch (const std::system_error&) {
                stop_workers();  // out of threads: this job and later ones run inline
                return false;
            }
        }
        return !threads_.empty();
    }

    void stop_workers() {
        stop_flag_.store(true, std::memory_order_seq_cst);
        wake_.fetch_add(1, std::memory_order_seq_cst);
        wake_.notify_all();
        for (std::thread& t : threads_) t.join();
        threads_.clear();
        // Workers compare against wake_, so the next generation must be new to them.
        generation_ = wake_.load(std::memory_order_relaxed);
    }

    void stop() {
        std::lock_guard lock(mutex_);
        stop_workers();
        stopped_ = true;
    }

    void after_fork_in_child() {
        // Only the forking thread exists in the child: the workers' handles
        // refer to threads that are gone and can be neither joined nor
        // detached, so they are dropped unreleased; the child starts its own
        // team on its first parallel job.
        (void)new std::vector<std::thread>(std::move(threads_));  // NOLINT: leaked on purpose
        threads_.clear();
        sleepers_.store(0, std::memory_order_relaxed);
        generation_ = wake_.load(std::memory_order_relaxed);
        mutex_.unlock();
    }

    void worker(std::uint32_t seen) {
        t_inside_chunk = true;
        // A worker is a leaf: OpenMP code inside a chunk (oneDNN's
        // primitives) runs on this thread alone. Set here, when the team
        // starts, libgomp's per-thread state is made now rather than in
        // whichever later training step first reaches OpenMP on this thread.
        omp_set_num_threads(1);
        for (;;) {
            if (!spin_until([&] { return wake_.load(std::memory_order_acquire) != seen; })) {
                sleepers_.fetch_add(1, std::memory_order_seq_cst);
                while (wake_.load(std::memory_order_seq_cst) == seen) wake_.wait(seen, std::memory_order_seq_cst);
                sleepers_.fetch_sub(1, std::memory_order_relaxed);
            }
            if (stop_flag_.load(std::memory_order_acquire)) return;
            seen = wake_.load(std::memory_order_acquire);
            work(seen);
        }
    }

    // The state word: generation (32 bits) | chunk count (16) | next chunk (16).
    static std::uint64_t pack(std::uint32_t gen, std::uint32_t chunks) {
        return std::uint64_t{gen} << 32 | std::uint64_t{chunks} << 16;
    }

    // Claims and runs chunks of job `gen` until none is left. Everything the
    // claim needs is in the state word; the job's body is read only after a
    // successful claim, which keeps the job (and its fields) current until
    // the claimed chunk is counted done.
    void work(std::uint32_t gen) {
        std::uint64_t s = state_.load(std::memory_order_acquire);
        for (;;) {
            const auto total = static_cast<std::uint32_t>(s >> 16) & 0xffffu;
            const auto next = static_cast<std::uint32_t>(s) & 0xffffu;
            if (static_cast<std::uint32_t>(s >> 32) != gen || next >= total) return;
            if (state_.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel, std::memory_order_acquire)) {
                run_chunk(next, total);
                s = state_.load(std::memory_order_acquire);
            }
        }
    }

    void run_chunk(std::uint32_t c, std::uint32_t total) {
        if (!failed_.load(std::memory_order_relaxed)) {
            try {
                (*body_)(c);
            } catch (...) {
                std::lock_guard lock(error_mutex_);
                if (!error_) error_ = std::current_exception();
                failed_.store(true, std::memory_order_relaxed);
            }
        }
        // After the last increment the caller may post the next job: touch
        // nothing of this one but the two atomics.
        if (done_.fetch_add(1, std::memory_order_acq_rel) + 1 == total &&
            caller_sleeping_.load(std::memory_order_seq_cst))
            done_.notify_one();
    }

    void wait_done() {
        const auto total = chunks_;
        if (spin_until([&] { return done_.load(std::memory_order_acquire) == total; })) return;
        caller_sleeping_.store(true, std::memory_order_seq_cst);
        for (std::uint32_t d; (d = done_.load(std::memory_order_seq_cst)) != total;)
            done_.wait(d, std::memory_order_seq_cst);
        caller_sleeping_.store(false, std::memory_order_relaxed);
    }

    std::mutex mutex_;  // one job at a time; held by the caller for the job
    std::vector<std::thread> threads_;
    bool stopped_ = false;
    std::uint32_t generation_ = 0;  // the current job's generation (under mutex_)

    std::atomic<std::uint64_t> state_{0};   // see pack()
    std::atomic<std::uint32_t> wake_{0};    // bumped per job and at stop: workers wait on it
    std::atomic<int> sleepers_{0};          // workers asleep (or about to be) on wake_
    std::atomic<bool> stop_flag_{false};
    std::atomic<std::uint32_t> done_{0};    // chunks of the current job finished
    std::atomic<bool> caller_sleeping_{false};
    std::atomic<bool> failed_{false};

    // The job; written by the caller before the state store, read by a
    // worker only after it claimed a chunk (release/acquire through state_).
    ChunkBody* body_ = nullptr;
    std::uint32_t chunks_ = 0;
    std::mutex error_mutex_;
    std::exception_ptr error_;
};

}  // namespace

void run_chunks(std::int64_t chunks, ChunkBody body) {
    if (chunks <= 0) return;
    if (chunks == 1) {
        body(0);
        return;
    }
    Pool::instance().run(chunks, body);
}

int pool_worker_count() { return Pool::instance().workers(); }

bool inside_pool_chunk() { return t_inside_chunk; }

}  // namespace nabla::detail
