#include "optimizer_kernels.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "../core/parallel.hpp"
#include "../ops/kernels/float_kernels.hpp"

#if defined(__SSE2__) || defined(__AVX__)
#include <immintrin.h>
#elif defined(__aarch64__) && defined(__ARM_NEON)
#include <arm_neon.h>
#endif

namespace nabla::training_detail {

namespace {

// Elements per block: the radicand buffer (4 KiB of float) stays in L1.
constexpr std::int64_t kBlock = 1024;

void sqrt_block(float* x, std::int64_t n) {
    std::int64_t i = 0;
#if defined(__AVX512F__)
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(x + i, _mm512_sqrt_ps(_mm512_loadu_ps(x + i)));
#endif
#if defined(__AVX__)
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, _mm256_sqrt_ps(_mm256_loadu_ps(x + i)));
#endif
#if defined(__SSE2__)
    for (; i + 4 <= n; i += 4) _mm_storeu_ps(x + i, _mm_sqrt_ps(_mm_loadu_ps(x + i)));
#elif defined(__aarch64__) && defined(__ARM_NEON)
    for (; i + 4 <= n; i += 4) vst1q_f32(x + i, vsqrtq_f32(vld1q_f32(x + i)));
#endif
    for (; i < n; ++i) x[i] = std::sqrt(x[i]);
}

void sqrt_block(double* x, std::int64_t n) {
    std::int64_t i = 0;
#if defined(__AVX512F__)
    for (; i + 8 <= n; i += 8) _mm512_storeu_pd(x + i, _mm512_sqrt_pd(_mm512_loadu_pd(x + i)));
#endif
#if defined(__AVX__)
    for (; i + 4 <= n; i += 4) _mm256_storeu_pd(x + i, _mm256_sqrt_pd(_mm256_loadu_pd(x + i)));
#endif
#if defined(__SSE2__)
    for (; i + 2 <= n; i += 2) _mm_storeu_pd(x + i, _mm_sqrt_pd(_mm_loadu_pd(x + i)));
#elif defined(__aarch64__) && defined(__ARM_NEON)
    for (; i + 2 <= n; i += 2) vst1q_f64(x + i, vsqrtq_f64(vld1q_f64(x + i)));
#endif
    for (; i < n; ++i) x[i] = std::sqrt(x[i]);
}

// The gradient after clipping: scaled (clipnorm / global_clipnorm) and
// clamped (clipvalue). With the clips off this is g exactly (g * 1, and the
// clamp to +-inf); a NaN stays NaN.
template <typename T>
inline T clipped(T g, const StepScalars<T>& s) {
    T x = g * s.grad_scale;
    x = x < -s.clip ? -s.clip : x;
    return x > s.clip ? s.clip : x;
}

// Keras's _apply_weight_decay, w - w * wd * lr, before the update; with
// wd = 0 it leaves any finite w unchanged.
template <typename T>
inline T decayed(T w, const StepScalars<T>& s) {
    return w - w * s.decay * s.lr;
}

// f(begin, length) over blocks of at most kBlock elements, threaded.
template <typename F>
void for_blocks(std::int64_t n, F&& f) {
    detail::parallel_for(n, detail::kParallelGrain, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t b = begin; b < end; b += kBlock) f(b, std::min(kBlock, end - b));
    });
}

}  // namespace

template <typename T>
void sgd_update(T* w, const T* g, std::int64_t n, const StepScalars<T>& s, const SGDKernel<T>& k) {
    const T lr = s.lr, mu = k.momentum;
    if (k.m == nullptr) {
        for_blocks(n, [&](std::int64_t b, std::int64_t len) {
            T* __restrict wp = w + b;
            const T* __restrict gp = g + b;
#pragma omp simd
            for (std::int64_t i = 0; i < len; ++i) wp[i] = decayed(wp[i], s) - clipped(gp[i], s) * lr;
        });
        return;
    }
    const bool nesterov = k.nesterov;
    for_blocks(n, [&](std::int64_t b, std::int64_t len) {
        T* __restrict wp = w + b;
        T* __restrict mp = k.m + b;
        const T* __restrict gp = g + b;
        if (nesterov) {
#pragma omp simd
            for (std::int64_t i = 0; i < len; ++i) {
                const T gl = clipped(gp[i], s) * lr;
                const T m = mp[i] * mu - gl;
                mp[i] = m;
                wp[i] = decayed(wp[i], s) + (m * mu - gl);
            }
        } else {
#pragma omp simd
            for (std::int64_t i = 0; i < len; ++i) {
                const T m = mp[i] * mu - clipped(gp[i], s) * lr;
                mp[i] = m;
                wp[i] = decayed(wp[i], s) + m;
            }
        }
    });
}

// float: the CPU level's block kernel (ops/kernels/rmsprop_impl.hpp, the
// same arithmetic as below, vectorised for AVX2/AVX-512 where the CPU has them).
template <>
void rmsprop_update<float>(float* w, const float* g, std::int64_t n, const StepScalars<float>& s,
                           const RMSpropKernel<float>& k) {
    static_assert(detail::kernels::kRmspropBlock == kBlock);
    const detail::kernels::RmspropArgs args{s.lr,  s.grad_scale,      s.clip,     s.decay,
                                            k.rho, k.one_minus_rho, k.momentum, k.epsilon};
    const auto block = detail::kernels::float_kernels().rmsprop_block;
    for_blocks(n, [&](std::int64_t b, std::int64_t len) {
        block(w + b, g + b, k.v + b, k.mg ? k.mg + b : nullptr, k.m ? k.m + b : nullptr, len, args);
    });
}

template <typename T>
void rmsprop_update(T* w, const T* g, std::int64_t n, const StepScalars<T>& s, const RMSpropKernel<T>& k) {
    const T lr = s.lr, rho = k.rho, omr = k.one_minus_rho, eps = k.epsilon, mu = k.momentum;
    for_blocks(n, [&](std::int64_t b, std::int64_t len) {
        T root[kBlock];
        T* __restrict wp = w + b;
        T* __restrict vp = k.v + b;
        const T* __restrict gp = g + b;
        if (k.mg != nullptr) {
            T* __restrict ap = k.mg + b;
#pragma omp simd
            for (std::int64_t i = 0; i < len; ++i) {
                const T gi = clipped(gp[i], s);
                const T v = rho * vp[i] + omr * (gi * gi);
                const T a = rho * ap[i] + omr * gi;
                vp[i] = v;
                ap[i] = a;
                root[i] = v - a * a + eps;
            }
        } else {
#pragma omp simd
            for (std::int64_t i = 0; i < len; ++i) {
                const T gi = clipped(gp[i], s);
                const T v = rho * vp[i] + omr * (gi * gi);
                vp[i] = v;
                root[i] = v + eps;
            }
        }
        sqrt_block(root, len);
        if (k.m != nullptr) {
            T* __restrict mp = k.m + b;
#pragma omp simd
            for (std::int64_t i = 0; i < len; ++i) {
                const T m = mu * mp[i] + (lr * clipped(gp[i], s)) / root[i];
                mp[i] = m;
                wp[i] = decayed(wp[i], s) - m;
            }
        } else {
#pragma omp simd
            for (std::int64_t i = 0; i < len; ++i)
                wp[i] = decayed(wp[i], s) - (lr * clipped(gp[i], s)) / root[i];
        }
    });
}

template <typename T>
void adagrad_update(T* w, const T* g, std::int64_t n, const StepScalars<T>& s, const AdagradKernel<T>& k) {
    const T lr = s.lr, eps = k.epsilon;
    for_blocks(n, [&](std::int64_t b, std::int64_t len) {
        T root[kBlock];
        T* __restrict wp = w + b;
        T* __restrict ap = k.a + b;
        const T* __restrict gp = g + b;
#pragma omp simd
        for (std::int64_t i = 0; i < len; ++i) {
            const T gi = clipped(gp[i], s);
            const T a = ap[i] + gi * gi;
            ap[i] = a;
            root[i] = a + eps;
        }
        sqrt_block(root, len);
#pragma omp simd
        for (std::int64_t i = 0; i < len; ++i) wp[i] = decayed(wp[i], s) - (lr * clipped(gp[i], s)) / root[i];
    });
}

template <typename T>
void adam_update(T* w, const T* g, std::int64_t n, const StepScalars<T>& s, const AdamKernel<T>& k) {
    const T alpha = k.alpha, omb1 = k.one_minus_beta_1, omb2 = k.one_minus_beta_2, eps = k.epsilon;
    for_blocks(n, [&](std::int64_t b, std::int64_t len) {
        T root[kBlock];
        T* __restrict wp = w + b;
        T* __restrict mp = k.m + b;
        T* __restrict vp = k.v + b;
        const T* __restrict gp = g + b;
        if (k.v_hat != nullptr) {
            T* __restrict hp = k.v_hat + b;
#pragma omp simd
            for (std::int64_t i = 0; i < len; ++i) {
                const T gi = clipped(gp[i], s);
                mp[i] = mp[i] + (gi - mp[i]) * omb1;
                const T v = vp[i] + (gi * gi - vp[i]) * omb2;
                vp[i] = v;
                const T h = hp[i] > v ? hp[i] : v;
                hp[i] = h;
                root[i] = h;
            }
        } else {
#pragma omp simd
            for (std::int64_t i = 0; i < len; ++i) {
                const T gi = clipped(gp[i], s);
                mp[i] = mp[i] + (gi - mp[i]) * omb1;
                const T v = vp[i] + (gi * gi - vp[i]) * omb2;
                vp[i] = v;
                root[i] = v;
            }
        }
        sqrt_block(root, len);
#pragma omp simd
        for (std::int64_t i = 0; i < len; ++i) wp[i] = decayed(wp[i], s) - (mp[i] * alpha) / (root[i] + eps);
    });
}

template <typename T>
double squared_norm(const T* g, std::int64_t n) {
    // Per-chunk partials summed in chunk order: the same value for a given
    // thread count, whichever thread ran which chunk. On the stack up to
    // kStackChunks threads (no allocation in a training step).
    constexpr std::int64_t kStackChunks = 64;
    const std::int64_t chunks = detail::parallel_chunk_count(n, detail::kParallelGrain);
    std::array<double, kStackChunks> stack{};
    std::vector<double> heap(chunks > kStackChunks ? static_cast<std::size_t>(chunks) : 0);
    double* partial = chunks > kStackChunks ? heap.data() : stack.data();
    detail::parallel_chunks(n, detail::kParallelGrain, [&](std::int64_t c, std::int64_t begin, std::int64_t end) {
        double acc = 0.0;
#pragma omp simd reduction(+ : acc)
        for (std::int64_t i = begin; i < end; ++i) acc += static_cast<double>(g[i]) * static_cast<double>(g[i]);
        partial[c] = acc;
    });
    double total = 0.0;
    for (std::int64_t c = 0; c < chunks; ++c) total += partial[c];
    return total;
}

#define NABLA_INSTANTIATE(T)                                                                           \
    template void sgd_update<T>(T*, const T*, std::int64_t, const StepScalars<T>&, const SGDKernel<T>&); \
    template void rmsprop_update<T>(T*, const T*, std::int64_t, const StepScalars<T>&,                 \
                                    const RMSpropKernel<T>&);                                          \
    template void adagrad_update<T>(T*, const T*, std::int64_t, const StepScalars<T>&,                 \
                                    const AdagradKernel<T>&);                                          \
    template void adam_update<T>(T*, const T*, std::int64_t, const StepScalars<T>&, const AdamKernel<T>&); \
    template double squared_norm<T>(const T*, std::int64_t);
NABLA_INSTANTIATE(float)
NABLA_INSTANTIATE(double)
#undef NABLA_INSTANTIATE

}  // namespace nabla::training_detail
