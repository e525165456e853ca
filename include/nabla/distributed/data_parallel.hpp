#pragma once
// Data parallelism in Keras's spirit (keras.distribution.DataParallel,
// tf.distribute.MultiWorkerMirroredStrategy): every process holds the whole
// model, each takes its shard of every global batch, and the gradients are
// averaged over the processes before the same optimizer step everywhere.
//
//   distributed::DataParallel strategy;          // the MPI world (or one process)
//   model.fit(x, y, {.epochs = 5, .batch_size = 128, .distribution = &strategy});
//   model.evaluate(x_test, y_test, {.distribution = &strategy});
//
// launched as `mpirun -np 4 ./program`. batch_size stays the GLOBAL batch:
// 4 ranks with batch_size 128 take 32 samples each per step and train as
// one process with 128 (docs/distributed.md: semantics, launching, cost).
#include <cstdint>
#include <memory>

#include "nabla/distributed/communicator.hpp"

namespace nabla::distributed {

// The rows [offset, offset + count) of one rank's share of `total` rows:
// contiguous, in rank order, sizes differing by at most one (the first
// total % size ranks take one more).
struct Shard {
    std::int64_t offset = 0, count = 0;
};
Shard shard_of(std::int64_t total, int rank, int size);

class DataParallel {
public:
    // The process's world (distributed::world()).
    DataParallel();
    explicit DataParallel(std::shared_ptr<Communicator> communicator);

    Communicator& communicator() const { return *comm_; }
    int rank() const { return comm_->rank(); }
    int size() const { return comm_->size(); }
    // Rank 0: the one process that prints progress and writes files.
    bool is_chief() const { return comm_->rank() == 0; }
    Shard shard(std::int64_t total) const { return shard_of(total, rank(), size()); }

private:
    std::shared_ptr<Communicator> comm_;
};

}  // namespace nabla::distributed
