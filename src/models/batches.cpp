#include "batches.hpp"

#include <cstring>

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
    const auto row = static_cast<std::size_t>(row_bytes_);
    for (std::int64_t i = 0; i < n; ++i) std::memcpy(dst + i * row, src + idx[i] * row_bytes_, row);
    return n == buffer_.shape(0) ? buffer_ : buffer_(Slice(0, n));
}

Tensor BatchGatherer::slice(std::int64_t start, std::int64_t n) const { return data_(Slice(start, start + n)); }

}  // namespace nabla::models::detail
