// The MPI communicator (Open MPI's C API; the C++ bindings are deprecated).
// Built only with NABLA_MPI; without it world() is the one-process world.
#include <cstdlib>
#include <iostream>
#include <limits>
#include <mutex>

#include "nabla/core/error.hpp"
#include "nabla/distributed/communicator.hpp"

#ifdef NABLA_HAVE_MPI
#include <mpi.h>
#endif

namespace nabla::distributed {

bool mpi_built() {
#ifdef NABLA_HAVE_MPI
    return true;
#else
    return false;
#endif
}

#ifndef NABLA_HAVE_MPI

std::shared_ptr<Communicator> world() {
    static const std::shared_ptr<Communicator> w = single_process();
    return w;
}

#else

namespace {

// MPI_Init_thread / MPI_Finalize, once per process. A program that
// initialised MPI itself keeps ownership (nabla then never finalises).
class MpiRuntime {
public:
    static MpiRuntime& instance() {
        static MpiRuntime runtime;
        return runtime;
    }
    ~MpiRuntime() {
        int finalized = 0;
        MPI_Finalized(&finalized);
        if (owned_ && !finalized) MPI_Finalize();
    }
    MpiRuntime(const MpiRuntime&) = delete;
    MpiRuntime& operator=(const MpiRuntime&) = delete;

private:
    MpiRuntime() {
        int initialized = 0;
        MPI_Initialized(&initialized);
        if (initialized) return;
        int provided = 0;
        // Only the main thread calls MPI; OpenMP workers never do.
        if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
            throw Error("distributed: MPI_Init_thread failed");
        owned_ = true;
    }
    bool owned_ = false;
};

int checked_count(std::size_t n, const char* what) {
    if (n > static_cast<std::size_t>(std::numeric_limits<int>::max()))
        throw ValueError(std::string("distributed: ") + what + " of " + std::to_string(n) +
                         " elements is more than MPI's int count allows; split it");
    return static_cast<int>(n);
}

class MpiCommunicator final : public Communicator {
public:
    MpiCommunicator() {
        MpiRuntime::instance();
        // A private duplicate: nabla's collectives never match a user's
        // messages on MPI_COMM_WORLD.
        MPI_Comm_dup(MPI_COMM_WORLD, &comm_);
        MPI_Comm_rank(comm_, &rank_);
        MPI_Comm_size(comm_, &size_);
    }
    ~MpiCommunicator() override {
        int finalized = 0;
        MPI_Finalized(&finalized);
        if (!finalized) MPI_Comm_free(&comm_);
    }
    MpiCommunicator(const MpiCommunicator&) = delete;
    MpiCommunicator& operator=(const MpiCommunicator&) = delete;

    int rank() const override { return rank_; }
    int size() const override { return size_; }
    std::string engine() const override { return "mpi"; }

    void allreduce(std::span<float> data, ReduceOp op) override {
        MPI_Allreduce(MPI_IN_PLACE, data.data(), checked_count(data.size(), "allreduce"), MPI_FLOAT, MPI_SUM, comm_);
        if (op == ReduceOp::mean)
            for (float& v : data) v /= static_cast<float>(size_);
    }
    void allreduce(std::span<double> data, ReduceOp op) override {
        MPI_Allreduce(MPI_IN_PLACE, data.data(), checked_count(data.size(), "allreduce"), MPI_DOUBLE, MPI_SUM, comm_);
        if (op == ReduceOp::mean)
            for (double& v : data) v /= static_cast<double>(size_);
    }
    void broadcast(std::span<std::byte> data, int root) override {
        MPI_Bcast(data.data(), checked_count(data.size(), "broadcast"), MPI_BYTE, root, comm_);
    }
    void barrier() override { MPI_Barrier(comm_); }

    std::vector<std::byte> allgather(std::span<const std::byte> mine, std::vector<std::size_t>* counts) override {
        int n = checked_count(mine.size(), "allgather");
        std::vector<int> sizes(static_cast<std::size_t>(size_)), offsets(sizes.size());
        MPI_Allgather(&n, 1, MPI_INT, sizes.data(), 1, MPI_INT, comm_);
        std::size_t total = 0;
        for (std::size_t r = 0; r < sizes.size(); ++r) {
            offsets[r] = checked_count(total, "allgather");
            total += static_cast<std::size_t>(sizes[r]);
        }
        checked_count(total, "allgather");
        std::vector<std::byte> out(total);
        MPI_Allgatherv(mine.data(), n, MPI_BYTE, out.data(), sizes.data(), offsets.data(), MPI_BYTE, comm_);
        if (counts) counts->assign(sizes.begin(), sizes.end());
        return out;
    }

    [[noreturn]] void abort(std::string_view message, int exit_code) override {
        std::cerr << message << std::endl;
        MPI_Abort(comm_, exit_code);
        std::_Exit(exit_code);  // MPI_Abort does not return; in case it does
    }

private:
    MPI_Comm comm_ = MPI_COMM_NULL;
    int rank_ = 0, size_ = 1;
};

}  // namespace

std::shared_ptr<Communicator> world() {
    static const std::shared_ptr<Communicator> w = std::make_shared<MpiCommunicator>();
    return w;
}

#endif

}  // namespace nabla::distributed
