#include "batches.hpp"

#include <algorithm>
#include <cstring>

#include "core/parallel.hpp"

namespace nabla::models::detail {

BatchGatherer::BatchGatherer(const Tensor& data, std::int64_t batch_size) : data_(data.contiguous()) {
    Shape shape = data_.shape();
    row_bytes_ = static_cast<std::int64_t>(itemsize(data_.dtype())) * numel(Shape(shape.begin() + 1, shape.end()));
    shape[0] = std::min(batch_size, shape[0]);
    buffer_ = Tensor::uninitialized(shape, data_.dtype());
}

Tensor BatchGatherer::gather(const std::int64_t* idx, std::int64_t n) {
    const auto* src = static_cast<const unsigned char*>(data_.raw_data());
    auto* dst = static_cast<unsigned char*>(buffer_.raw_data());
    const std::int64_t row = row_bytes_;
    // Rows split across the team: a serial gather leaves the others waiting.
    const std::int64_t grain =
        std::max<std::int64_t>(1, nabla::detail::kParallelCopyGrain / std::max<std::int64_t>(row, 1));
    nabla::detail::parallel_for(n, grain, [&](std::int64_t r0, std::int64_t r1) {
        for (std::int64_t i = r0; i < r1; ++i)
            std::memcpy(dst + i * row, src + idx[i] * row, static_cast<std::size_t>(row));
    });
    return n == buffer_.shape(0) ? buffer_ : buffer_(Slice(0, n));
}

Tensor BatchGatherer::slice(std::int64_t start, std::int64_t n) const { return data_(Slice(start, start + n)); }

}  // namespace nabla::models::detail
