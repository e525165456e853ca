#pragma once
// Internal: mini-batches of a data set without copying the data set.
//
// A shuffled batch is gathered row by row, by index, into one buffer that is
// reused for every batch of every epoch; an unshuffled batch is a view. The
// returned tensor is valid until the next gather() on the same gatherer:
// the training loop finishes each step (the tape included) before it asks
// for the next batch.
#include <cstdint>

#include "nabla/core/tensor.hpp"

namespace nabla::models::detail {

class BatchGatherer {
public:
    BatchGatherer() = default;
    // `data` has the samples on axis 0. A non-contiguous tensor is copied
    // once here (a view of the caller's data otherwise).
    BatchGatherer(const Tensor& data, std::int64_t batch_size);

    std::int64_t samples() const { return data_.defined() ? data_.shape(0) : 0; }
    // data[idx[0]], ..., data[idx[n-1]] stacked: shape (n, ...), n <= batch_size.
    Tensor gather(const std::int64_t* idx, std::int64_t n);
    // data[start : start + n], a view.
    Tensor slice(std::int64_t start, std::int64_t n) const;

private:
    Tensor data_, buffer_;
    std::int64_t row_bytes_ = 0;
};

}  // namespace nabla::models::detail
