#include "batches.hpp"

#include <algorithm>
#include <cstring>

#include "core/parallel.hpp"

namespace nabla::models::detail {

namespace {

constexpr std::int64_t kPrefetchRows = 8;  // 8 rows of 3 KB: well inside L1

void prefetch_row(const unsigned char* p, std::int64_t bytes) {
    constexpr std::int64_t kLine = 64;
    for (std::int64_t o = 0; o < bytes; o += kLine) __builtin_prefetch(p + o, /*read*/ 0, /*keep*/ 3);
}

}  // namespace

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
        for (std::int64_t i = r0; i < r1; ++i) {
            // Shuffled rows are scattered over the data set (188 MB for
            // Fashion-MNIST): each starts with a cache miss to memory that the
            // hardware prefetchers cannot predict. Requesting the row
            // kPrefetchRows ahead overlaps those misses; it halved the gather's
            // time (48 -> 25 ms per Fashion-MNIST epoch, docs/PERFORMANCE.md).
            if (i + kPrefetchRows < r1) prefetch_row(src + idx[i + kPrefetchRows] * row, row);
            std::memcpy(dst + i * row, src + idx[i] * row, static_cast<std::size_t>(row));
        }
    });
    return n == buffer_.shape(0) ? buffer_ : buffer_(Slice(0, n));
}

Tensor BatchGatherer::slice(std::int64_t start, std::int64_t n) const { return data_(Slice(start, start + n)); }

}  // namespace nabla::models::detail
