#include "conv_pool.hpp"

#include <algorithm>
#include <cstring>

#include "core/parallel.hpp"

namespace nabla::detail::conv {

std::int64_t& conv_pool_runs() noexcept {
    thread_local std::int64_t runs = 0;
    return runs;
}

bool ConvPool::fits(const Geometry& conv, const Geometry& pool) {
    const bool small = conv.kh * conv.kw * conv.c <= kMaxTaps && conv.o % kernels::kConvPoolChannels == 0;
    const bool pool_of_conv = pool.h == conv.oh && pool.w == conv.ow && pool.c == conv.o && pool.o == conv.o;
    const bool unpadded = pool.pt == 0 && pool.pb == 0 && pool.pl == 0 && pool.pr == 0;
    const bool apart = pool.sh >= pool.kh && pool.sw >= pool.kw && pool.dh == 1 && pool.dw == 1;
    return small && conv.o > 0 && pool_of_conv && unpadded && apart && pool.oh > 0 && pool.ow > 0;
}

ConvPool::ConvPool(const Geometry& conv, const Geometry& pool, bool relu, const kernels::FloatKernels& kernels)
    : conv_(conv), pool_(pool), kernels_(&kernels) {
    pads_ = conv.pt || conv.pb || conv.pl || conv.pr;
    const std::int64_t hp = conv.h + conv.pt + conv.pb, wp = conv.w + conv.pl + conv.pr, c = conv.c;
    in_floats_ = hp * wp * c;
    out_floats_ = pool.oh * pool.ow * conv.o;
    for (std::int64_t i = 0; i < conv.kh; ++i)  // HWIO's row order
        for (std::int64_t j = 0; j < conv.kw; ++j)
            for (std::int64_t ci = 0; ci < c; ++ci) tap_.push_back((i * conv.dh * wp + j * conv.dw) * c + ci);
    for (std::int64_t i = 0; i < pool.kh; ++i)
        for (std::int64_t j = 0; j < pool.kw; ++j) position_.push_back((i * conv.sh * wp + j * conv.sw) * c);
    plan_.tap = tap_.data();
    plan_.taps = static_cast<std::int64_t>(tap_.size());
    plan_.position = position_.data();
    plan_.positions = static_cast<std::int64_t>(position_.size());
    plan_.oh = pool.oh, plan_.ow = pool.ow, plan_.o = conv.o;
    plan_.step_h = pool.sh * conv.sh * wp * c;
    plan_.step_w = pool.sw * conv.sw * c;
    plan_.relu = relu;
}

void ConvPool::reserve(std::int64_t rows) {
    if (rows <= rows_) return;
    rows_ = rows;
    if (pads_) padded_.assign(static_cast<std::size_t>(rows * in_floats_), 0.0f);  // the borders stay 0
    arg_.resize(static_cast<std::size_t>(rows * out_floats_));
    partials_.resize(static_cast<std::size_t>(rows * (plan_.taps + 1) * conv_.o));
}

const float* ConvPool::input(std::int64_t rows, const float* x, bool copy) {
    if (!pads_) return x;
    if (copy) {
        const std::int64_t wp = conv_.w + conv_.pl + conv_.pr, row = conv_.w * conv_.c;
        parallel_for(rows * conv_.h, std::max<std::int64_t>(1, kParallelGrain / row), [&](std::int64_t r0, std::int64_t r1) {
            for (std::int64_t r = r0; r < r1; ++r) {
                const std::int64_t b = r / conv_.h, i = r % conv_.h;
                float* to = padded_.data() + b * in_floats_ + ((i + conv_.pt) * wp + conv_.pl) * conv_.c;
                std::memcpy(to, x + r * row, sizeof(float) * static_cast<std::size_t>(row));
            }
        });
    }
    return padded_.data();
}

namespace {

// Images per chunk: a few hundred thousand multiply-adds each is enough to
// pay for a wake-up.
std::int64_t image_grain(const kernels::ConvPoolPlan& p) {
    const std::int64_t work = p.oh * p.ow * p.positions * p.taps * p.o;
    return std::max<std::int64_t>(1, kParallelGrain * 4 / std::max<std::int64_t>(1, work));
}

}  // namespace

void ConvPool::forward(std::int64_t rows, const float* x, const float* k, const float* bias, float* y) {
    reserve(rows);
    const float* in = input(rows, x, /*copy=*/true);
    parallel_for(rows, image_grain(plan_), [&](std::int64_t b0, std::int64_t b1) {
        for (std::int64_t b = b0; b < b1; ++b)
            kernels_->conv_pool_forward(plan_, in + b * in_floats_, k, bias, y + b * out_floats_,
                                        arg_.data() + b * out_floats_);
    });
}

void ConvPool::backward_weights(std::int64_t rows, const float* x, const float* dy, float* dk, float* dbias) {
    ++conv_pool_runs();
    const float* in = input(rows, x, /*copy=*/false);
    const std::int64_t dk_size = plan_.taps * conv_.o, stride = dk_size + conv_.o;
    parallel_for(rows, image_grain(plan_), [&](std::int64_t b0, std::int64_t b1) {
        for (std::int64_t b = b0; b < b1; ++b) {
            float* part = partials_.data() + b * stride;
            kernels_->conv_pool_backward_weights(plan_, in + b * in_floats_, dy + b * out_floats_,
                                                 arg_.data() + b * out_floats_, part, dbias ? part + dk_size : nullptr);
        }
    });
    // Image by image, in order: the same sums on any number of threads.
    const auto add_up = [&](float* out, std::int64_t offset, std::int64_t n) {
        const float* first = partials_.data() + offset;
        std::copy(first, first + n, out);
        for (std::int64_t b = 1; b < rows; ++b) {
            const float* part = first + b * stride;
            for (std::int64_t e = 0; e < n; ++e) out[e] += part[e];
        }
    };
    add_up(dk, 0, dk_size);
    if (dbias) add_up(dbias, dk_size, conv_.o);
}

}  // namespace nabla::detail::conv
