#pragma once
// nabla's own communicator: the few collectives data-parallel training needs,
// behind an interface so that an engine other than MPI (Gloo, NCCL) can be
// added without touching the training code (docs/distributed.md).
//
//   auto comm = distributed::world();   // MPI when built with it, else one process
//   comm->allreduce(std::span(grads), distributed::ReduceOp::mean);
//
// Every call is collective: every rank makes the same calls, in the same
// order, with the same sizes. Only the thread that created the communicator
// calls it (MPI_THREAD_FUNNELED).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace nabla::distributed {

enum class ReduceOp { sum, mean };

class Communicator {
public:
    virtual ~Communicator() = default;
    virtual int rank() const = 0;
    virtual int size() const = 0;
    // "mpi" or "single process": for messages.
    virtual std::string engine() const = 0;

    // In place: every rank ends with the element-wise sum (or mean) over the
    // ranks, the same bits on every rank.
    virtual void allreduce(std::span<float> data, ReduceOp op) = 0;
    virtual void allreduce(std::span<double> data, ReduceOp op) = 0;
    // In place: every rank ends with `root`'s bytes.
    virtual void broadcast(std::span<std::byte> data, int root) = 0;
    virtual void barrier() = 0;
    // Every rank's `mine` (any length), concatenated in rank order; `counts`
    // (if given) receives each rank's length.
    virtual std::vector<std::byte> allgather(std::span<const std::byte> mine,
                                             std::vector<std::size_t>* counts = nullptr) = 0;
    // Ends every rank of the job, after printing `message` (which should
    // name this rank) on stderr: the way out of a failure only this rank
    // saw, which would otherwise leave the others waiting forever.
    [[noreturn]] virtual void abort(std::string_view message, int exit_code = 1) = 0;

    // Typed conveniences over the byte calls.
    template <typename T>
    void broadcast(std::span<T> data, int root) {
        static_assert(std::is_trivially_copyable_v<T>);
        broadcast(std::as_writable_bytes(data), root);
    }
    template <typename T>
    T broadcast_value(T value, int root) {
        broadcast(std::span<T>(&value, 1), root);
        return value;
    }
};

// A world of one: every collective is the identity (mean of one = itself).
std::shared_ptr<Communicator> single_process();

// The process's world: an MPI communicator (a duplicate of MPI_COMM_WORLD,
// MPI initialised on first use and finalised at exit) when nabla was built
// with NABLA_MPI, else single_process(). Run without mpirun it is a world
// of one.
std::shared_ptr<Communicator> world();

// True when nabla was built with MPI.
bool mpi_built();

}  // namespace nabla::distributed
