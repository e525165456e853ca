#pragma once
// Internal: a small convolution (a convnet's first layer: a few input
// channels) fused with the max pooling above it, for the fused training step
// (models/stack_step.cpp). The convolution's full-resolution output — the
// largest activation of the book's convnet, 5.5 MB a batch — is never
// stored or read back: the forward pass keeps, per pooled value, the
// position of its window's maximum, and the weight gradient is summed from
// the pooled gradient at those positions. Nobody needs the input gradient
// of a first layer, so there is none.
//
// The same arithmetic as conv2d, its activation (linear or relu), then
// max_pool2d and their gradients (the first maximum of a window takes the
// gradient, as on the tape); tests/ops/test_conv_pool.cpp compares the two.
// The sums run in a different order from oneDNN's, so they agree to float
// rounding. Per-image partial sums added in image order make the weight
// gradient independent of the thread count.
#include <cstdint>
#include <vector>

#include "conv_kernels.hpp"
#include "kernels/float_kernels.hpp"

namespace nabla::detail::conv {

// Fused backward passes this thread has run: tests check that the fused
// training step took this path.
std::int64_t& conv_pool_runs() noexcept;

class ConvPool {
public:
    static constexpr std::int64_t kMaxTaps = 32;  // kh·kw·c: larger kernels go to oneDNN

    // Whether the pair is within the fused kernels' reach: `conv` (one
    // sample: n ignored) with at most kMaxTaps taps and a multiple of 16
    // output channels, `pool` a max pooling of its output without padding
    // whose windows do not overlap.
    static bool fits(const Geometry& conv, const Geometry& pool);

    ConvPool(const Geometry& conv, const Geometry& pool, bool relu,
             const kernels::FloatKernels& kernels = kernels::float_kernels());

    // Room for batches of `rows` images (the buffers only grow).
    void reserve(std::int64_t rows);
    // y: the pooled output (rows, pool.oh, pool.ow, o). Keeps the maxima's
    // positions for backward_weights.
    void forward(std::int64_t rows, const float* x, const float* k, const float* bias, float* y);
    // dk (HWIO) and dbias (null: no bias) of the batch x, from the pooled
    // output's gradient dy, after forward() on the same batch.
    void backward_weights(std::int64_t rows, const float* x, const float* dy, float* dk, float* dbias);

private:
    // x, or its copy with the convolution's zero padding (copied by forward).
    const float* input(std::int64_t rows, const float* x, bool copy);

    Geometry conv_, pool_;
    const kernels::FloatKernels* kernels_;
    std::vector<std::int64_t> tap_, position_;
    kernels::ConvPoolPlan plan_{};
    std::int64_t in_floats_ = 0, out_floats_ = 0;  // per image: the (padded) input, the pooled output
    bool pads_ = false;
    std::int64_t rows_ = 0;
    std::vector<float> padded_, arg_, partials_;
};

}  // namespace nabla::detail::conv
