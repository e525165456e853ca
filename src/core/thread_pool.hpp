#pragma once
// Internal: nabla's own thread team, behind detail::parallel_for
// (docs/PERFORMANCE.md, "Thread pool"). One team for the whole process,
// sized by nabla::set_num_threads / NABLA_NUM_THREADS. Workers spin for a
// short while after a job and then sleep on a futex (std::atomic::wait), so
// an oversubscribed machine is not starved by waiting threads; the calling
// thread runs chunks too. A call made while the team is busy (a nested call
// from inside a chunk, or a second application thread) runs its chunks
// inline, in order, on the calling thread: the same chunks, so the same
// results.
#include <cstdint>
#include <type_traits>
#include <utility>

namespace nabla::detail {

// A non-owning reference to a callable `void(std::int64_t)`: no allocation,
// which the steady-state allocation test requires of every training step.
class ChunkBody {
public:
    template <typename F, typename = std::enable_if_t<!std::is_same_v<std::decay_t<F>, ChunkBody>>>
    ChunkBody(F& f) : object_(&f), call_([](void* o, std::int64_t c) { (*static_cast<F*>(o))(c); }) {}
    void operator()(std::int64_t chunk) const { call_(object_, chunk); }

private:
    void* object_;
    void (*call_)(void*, std::int64_t);
};

// Runs body(c) for every c in [0, chunks), each exactly once, and returns
// when all have finished. Which thread runs a chunk is not fixed (a chunk is
// taken by whoever is free first, so a preempted worker does not hold up the
// others); what a chunk computes must depend only on c. The first exception
// a chunk throws is rethrown here, after every started chunk has finished;
// chunks not yet started are then skipped.
void run_chunks(std::int64_t chunks, ChunkBody body);

// Test hooks: worker threads currently alive, and whether the calling thread
// is inside a chunk.
int pool_worker_count();
bool inside_pool_chunk();

}  // namespace nabla::detail
