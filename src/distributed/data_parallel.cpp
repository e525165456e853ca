#include "nabla/distributed/data_parallel.hpp"

#include <algorithm>

#include "nabla/core/error.hpp"

namespace nabla::distributed {

Shard shard_of(std::int64_t total, int rank, int size) {
    const std::int64_t base = total / size, extra = total % size, r = rank;
    return {r * base + std::min(r, extra), base + (r < extra ? 1 : 0)};
}

DataParallel::DataParallel() : DataParallel(world()) {}

DataParallel::DataParallel(std::shared_ptr<Communicator> communicator) : comm_(std::move(communicator)) {
    if (!comm_) throw ValueError("DataParallel: the communicator is a null pointer");
}

}  // namespace nabla::distributed
