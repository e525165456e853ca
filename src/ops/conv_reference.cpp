// Direct convolution loops on NHWC / HWIO: the float64 path and the
// reference the oneDNN float32 path is tested against. The innermost loop
// runs over output channels (contiguous in both the kernel and the output),
// which the compiler vectorises.
#include <algorithm>
#include <vector>
#include <cstring>

#include "conv_kernels.hpp"
#include "core/parallel.hpp"
#include "nabla/core/error.hpp"

namespace nabla::detail::conv {

namespace {

std::string dims(std::int64_t a, std::int64_t b) { return "(" + std::to_string(a) + ", " + std::to_string(b) + ")"; }

// TensorFlow's rule for one axis: out = ceil(in / s) with "same" (pad total
// split, the extra at the end); floor((in - extent) / s) + 1 with "valid".
void plan_axis(std::int64_t in, std::int64_t k, std::int64_t s, std::int64_t d, Padding p, std::int64_t& out,
               std::int64_t& before, std::int64_t& after) {
    const std::int64_t extent = (k - 1) * d + 1;
    if (p == Padding::Same) {
        out = (in + s - 1) / s;
        const std::int64_t total = std::max<std::int64_t>((out - 1) * s + extent - in, 0);
        before = total / 2;
        after = total - before;
    } else {
        out = in >= extent ? (in - extent) / s + 1 : 0;
        before = after = 0;
    }
}

// Rows of one output position's window that fall inside the image.
struct Window {
    std::int64_t i0, i1, j0, j1;  // valid kernel index ranges [i0, i1) x [j0, j1)
};

Window window(const Geometry& g, std::int64_t oy, std::int64_t ox) {
    const auto range = [](std::int64_t start, std::int64_t d, std::int64_t k, std::int64_t size, std::int64_t& a,
                          std::int64_t& b) {
        a = 0;
        while (a < k && start + a * d < 0) ++a;
        b = k;
        while (b > a && start + (b - 1) * d >= size) --b;
    };
    Window win{};
    range(oy * g.sh - g.pt, g.dh, g.kh, g.h, win.i0, win.i1);
    range(ox * g.sw - g.pl, g.dw, g.kw, g.w, win.j0, win.j1);
    return win;
}

}  // namespace

void plan(Geometry& g, Size2 strides, Padding padding, Size2 dilation, const std::string& op) {
    if (strides.h < 1 || strides.w < 1)
        throw ValueError(op + ": strides must be positive, got " + dims(strides.h, strides.w));
    if (dilation.h < 1 || dilation.w < 1)
        throw ValueError(op + ": dilation_rate must be positive, got " + dims(dilation.h, dilation.w));
    if ((strides.h > 1 || strides.w > 1) && (dilation.h > 1 || dilation.w > 1))
        throw ValueError(op + ": strides > 1 together with dilation_rate > 1 is not supported (as Keras)");
    g.sh = strides.h;
    g.sw = strides.w;
    g.dh = dilation.h;
    g.dw = dilation.w;
    plan_axis(g.h, g.kh, g.sh, g.dh, padding, g.oh, g.pt, g.pb);
    plan_axis(g.w, g.kw, g.sw, g.dw, padding, g.ow, g.pl, g.pr);
    if (g.oh < 1 || g.ow < 1)
        throw ShapeError(op + ": the window " + dims((g.kh - 1) * g.dh + 1, (g.kw - 1) * g.dw + 1) +
                         " does not fit in the input's " + dims(g.h, g.w) + " images with padding 'valid' (input " +
                         "(None, " + std::to_string(g.h) + ", " + std::to_string(g.w) + ", " + std::to_string(g.c) + ")" +
                         "); use padding 'same', a smaller window, or larger images");
}

template <typename T>
void conv_reference_forward(const Geometry& g, const T* x, const T* k, const T* bias, T* y) {
    const std::int64_t row_work = std::max<std::int64_t>(1, g.ow * g.o * g.kh * g.kw * g.c);
    parallel_for(g.n * g.oh, std::max<std::int64_t>(1, kParallelGrain / row_work), [&](std::int64_t r0, std::int64_t r1) {
        for (std::int64_t r = r0; r < r1; ++r) {
            const std::int64_t b = r / g.oh, oy = r % g.oh;
            for (std::int64_t ox = 0; ox < g.ow; ++ox) {
                T* out = y + ((b * g.oh + oy) * g.ow + ox) * g.o;
                for (std::int64_t f = 0; f < g.o; ++f) out[f] = bias ? bias[f] : T(0);
                const Window win = window(g, oy, ox);
                for (std::int64_t i = win.i0; i < win.i1; ++i)
                    for (std::int64_t j = win.j0; j < win.j1; ++j) {
                        const std::int64_t iy = oy * g.sh - g.pt + i * g.dh, ix = ox * g.sw - g.pl + j * g.dw;
                        const T* in = x + ((b * g.h + iy) * g.w + ix) * g.c;
                        const T* kk = k + (i * g.kw + j) * g.c * g.o;
                        for (std::int64_t ci = 0; ci < g.c; ++ci) {
                            const T v = in[ci];
                            const T* krow = kk + ci * g.o;
                            for (std::int64_t f = 0; f < g.o; ++f) out[f] += v * krow[f];
                        }
                    }
            }
        }
    });
}

template <typename T>
void conv_reference_backward_data(const Geometry& g, const T* dy, const T* k, T* dx) {
    std::fill(dx, dx + g.in_size(), T(0));
    const std::int64_t image_work = std::max<std::int64_t>(1, g.oh * g.ow * g.o * g.kh * g.kw * g.c);
    parallel_for(g.n, std::max<std::int64_t>(1, kParallelGrain / image_work), [&](std::int64_t b0, std::int64_t b1) {  // one image per thread: no races
        for (std::int64_t b = b0; b < b1; ++b)
            for (std::int64_t oy = 0; oy < g.oh; ++oy)
                for (std::int64_t ox = 0; ox < g.ow; ++ox) {
                    const T* grad = dy + ((b * g.oh + oy) * g.ow + ox) * g.o;
                    const Window win = window(g, oy, ox);
                    for (std::int64_t i = win.i0; i < win.i1; ++i)
                        for (std::int64_t j = win.j0; j < win.j1; ++j) {
                            const std::int64_t iy = oy * g.sh - g.pt + i * g.dh, ix = ox * g.sw - g.pl + j * g.dw;
                            T* out = dx + ((b * g.h + iy) * g.w + ix) * g.c;
                            const T* kk = k + (i * g.kw + j) * g.c * g.o;
                            for (std::int64_t ci = 0; ci < g.c; ++ci) {
                                const T* krow = kk + ci * g.o;
                                T s = 0;
                                for (std::int64_t f = 0; f < g.o; ++f) s += grad[f] * krow[f];
                                out[ci] += s;
                            }
                        }
                }
    });
}

template <typename T>
void conv_reference_backward_weights(const Geometry& g, const T* x, const T* dy, T* dk, T* dbias) {
    std::fill(dk, dk + g.kh * g.kw * g.c * g.o, T(0));
    if (dbias) std::fill(dbias, dbias + g.o, T(0));
    // One kernel tap (i, j) per thread: each writes its own slice of dk.
    const std::int64_t tap_work = std::max<std::int64_t>(1, g.n * g.oh * g.ow * g.o * g.c);
    parallel_for(g.kh * g.kw, std::max<std::int64_t>(1, kParallelGrain / tap_work), [&](std::int64_t t0, std::int64_t t1) {
        for (std::int64_t t = t0; t < t1; ++t) {
            const std::int64_t i = t / g.kw, j = t % g.kw;
            T* kk = dk + t * g.c * g.o;
            for (std::int64_t b = 0; b < g.n; ++b)
                for (std::int64_t oy = 0; oy < g.oh; ++oy)
                    for (std::int64_t ox = 0; ox < g.ow; ++ox) {
                        const std::int64_t iy = oy * g.sh - g.pt + i * g.dh, ix = ox * g.sw - g.pl + j * g.dw;
                        if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
                        const T* grad = dy + ((b * g.oh + oy) * g.ow + ox) * g.o;
                        const T* in = x + ((b * g.h + iy) * g.w + ix) * g.c;
                        for (std::int64_t ci = 0; ci < g.c; ++ci) {
                            T* krow = kk + ci * g.o;
                            const T v = in[ci];
                            for (std::int64_t f = 0; f < g.o; ++f) krow[f] += v * grad[f];
                        }
                    }
        }
    });
    if (dbias)
        for (std::int64_t p = 0, positions = g.n * g.oh * g.ow; p < positions; ++p)
            for (std::int64_t f = 0; f < g.o; ++f) dbias[f] += dy[p * g.o + f];
}

// --- pooling (every dtype: memory-bound loops, no library needed) ---

template <typename T>
void max_pool_forward(const Geometry& g, const T* x, T* y) {
    parallel_for(g.n * g.oh, std::max<std::int64_t>(1, kParallelGrain / std::max<std::int64_t>(1, g.ow * g.c)),
                 [&](std::int64_t r0, std::int64_t r1) {
        for (std::int64_t r = r0; r < r1; ++r) {
            const std::int64_t b = r / g.oh, oy = r % g.oh;
            for (std::int64_t ox = 0; ox < g.ow; ++ox) {
                T* out = y + ((b * g.oh + oy) * g.ow + ox) * g.c;
                const Window win = window(g, oy, ox);
                bool first = true;
                for (std::int64_t i = win.i0; i < win.i1; ++i)
                    for (std::int64_t j = win.j0; j < win.j1; ++j) {
                        const T* in = x + ((b * g.h + oy * g.sh - g.pt + i) * g.w + ox * g.sw - g.pl + j) * g.c;
                        if (first) std::memcpy(out, in, sizeof(T) * g.c);
                        else
                            for (std::int64_t ci = 0; ci < g.c; ++ci) out[ci] = in[ci] > out[ci] ? in[ci] : out[ci];
                        first = false;
                    }
            }
        }
    });
}

// The first maximum (row-major) of one window over a block of kBlock
// channels: `pixels` are the window's positions' offsets. Branch-free, so
// the compare and the selects vectorise (a branch per element mispredicts on
// real activations and took a quarter of a convnet's step).
constexpr std::int64_t kPoolBlock = 16;

template <typename T>
void first_max_block(const T* x, const std::int64_t* pixels, std::int64_t count, std::int64_t* at) {
    // GCC's vector extension (GCC and Clang), 16-byte vectors (the baseline
    // ISA's): left to itself the compiler unrolls this into scalar branches.
    // The position is kept as a T (exact: windows are far smaller than 2^24)
    // so the compare and both selects share a width.
    typedef T V __attribute__((vector_size(16)));
    constexpr std::int64_t kLanes = 16 / sizeof(T), kVectors = kPoolBlock / kLanes;
    V m[kVectors], arg[kVectors], in;
    for (std::int64_t v = 0; v < kVectors; ++v) {
        std::memcpy(&m[v], x + pixels[0] + v * kLanes, sizeof(V));
        arg[v] = V{};
    }
    for (std::int64_t p = 1; p < count; ++p) {
        const V pos = V{} + static_cast<T>(p);
        for (std::int64_t v = 0; v < kVectors; ++v) {
            std::memcpy(&in, x + pixels[p] + v * kLanes, sizeof(V));
            const auto larger = in > m[v];
            m[v] = larger ? in : m[v];
            arg[v] = larger ? pos : arg[v];
        }
    }
    for (std::int64_t v = 0; v < kVectors; ++v)
        for (std::int64_t l = 0; l < kLanes; ++l)
            at[v * kLanes + l] = pixels[static_cast<std::int64_t>(arg[v][l])] + v * kLanes + l;
}

// Windows that do not overlap (strides at least the pool size, Keras's
// default): each input position belongs to at most one window, so its
// gradient is written once, without zeroing dx first or scattering: in each
// window, the first position (row-major) whose value equals the window's
// output y gets dy, the others 0. Branch-free over a block of channels.
template <typename T>
void first_max_equal_block(const T* x, const T* y, const T* dy, const std::int64_t* pixels, std::int64_t count,
                           T* dx) {
    typedef T V __attribute__((vector_size(16)));
    constexpr std::int64_t kLanes = 16 / sizeof(T), kVectors = kPoolBlock / kLanes;
    V m[kVectors], g[kVectors], in;
    decltype(in > in) taken[kVectors];
    for (std::int64_t v = 0; v < kVectors; ++v) {
        std::memcpy(&m[v], y + v * kLanes, sizeof(V));
        std::memcpy(&g[v], dy + v * kLanes, sizeof(V));
        taken[v] = decltype(in > in){};
    }
    for (std::int64_t p = 0; p < count; ++p)
        for (std::int64_t v = 0; v < kVectors; ++v) {
            std::memcpy(&in, x + pixels[p] + v * kLanes, sizeof(V));
            const auto hit = (in == m[v]) & ~taken[v];
            const V out = hit ? g[v] : V{};
            std::memcpy(dx + pixels[p] + v * kLanes, &out, sizeof(V));
            taken[v] |= hit;
        }
}

bool windows_overlap(const Geometry& g) {
    return g.sh < g.kh || g.sw < g.kw;
}

// Every input position inside some window (the others get no gradient).
bool windows_cover_input(const Geometry& g) {
    return g.pt == 0 && g.pl == 0 && g.oh * g.sh == g.h && g.ow * g.sw == g.w && g.sh == g.kh && g.sw == g.kw;
}

// Room for a large window's offsets, kept per thread. Only touched for such
// windows: a thread_local's first use allocates (its destructor's record).
std::int64_t* large_window_pixels(std::int64_t count) {
    thread_local std::vector<std::int64_t> pixels;
    pixels.resize(static_cast<std::size_t>(count));
    return pixels.data();
}

template <typename T>
void max_pool_backward(const Geometry& g, const T* x, const T* y, const T* dy, T* dx, bool relu_below) {
    const bool overlap = windows_overlap(g);
    if (overlap || !windows_cover_input(g)) std::fill(dx, dx + g.in_size(), T(0));
    // The gradient goes to the first maximum of each window (row-major), as
    // TensorFlow and PyTorch do; one image per thread, so windows that
    // overlap never race. Channels are contiguous in NHWC: each window is
    // scanned position by position, a block of channels at a time.
    parallel_for(g.n, std::max<std::int64_t>(1, kParallelGrain / std::max<std::int64_t>(1, g.h * g.w * g.c)),
                 [&](std::int64_t b0, std::int64_t b1) {
        // A window's offsets on the stack (thread-local storage for larger
        // windows): a thread that first meets this pass in a later step then
        // still allocates nothing.
        std::int64_t local_pixels[64];
        std::int64_t* pixels = g.kh * g.kw > 64 ? large_window_pixels(g.kh * g.kw) : local_pixels;
        T masked[kPoolBlock];
        const std::int64_t c = g.c;
        std::int64_t at[kPoolBlock];
        for (std::int64_t b = b0; b < b1; ++b)
            for (std::int64_t oy = 0; oy < g.oh; ++oy)
                for (std::int64_t ox = 0; ox < g.ow; ++ox) {
                    const Window win = window(g, oy, ox);
                    std::int64_t count = 0;
                    for (std::int64_t i = win.i0; i < win.i1; ++i)
                        for (std::int64_t j = win.j0; j < win.j1; ++j)
                            pixels[count++] = ((b * g.h + oy * g.sh - g.pt + i) * g.w + ox * g.sw - g.pl + j) * c;
                    if (count == 0) continue;
                    const std::int64_t o = ((b * g.oh + oy) * g.ow + ox) * c;
                    // With relu_below, relu's derivative at the maximum: 0 where y is 0.
                    const auto grad_at = [&](std::int64_t ci) {
                        return relu_below && !(y[o + ci] > T(0)) ? T(0) : dy[o + ci];
                    };
                    std::int64_t ci = 0;
                    for (; ci + kPoolBlock <= c; ci += kPoolBlock) {
                        for (std::int64_t k = 0; k < kPoolBlock; ++k) masked[k] = grad_at(ci + k);
                        if (!overlap) {
                            first_max_equal_block(x + ci, y + o + ci, masked, pixels, count, dx + ci);
                            continue;
                        }
                        first_max_block(x + ci, pixels, count, at);
                        for (std::int64_t k = 0; k < kPoolBlock; ++k) dx[at[k] + ci] += masked[k];
                    }
                    for (; ci < c; ++ci) {  // the channels left over
                        if (!overlap) {
                            bool taken = false;
                            for (std::int64_t p = 0; p < count; ++p) {
                                const bool hit = !taken && x[pixels[p] + ci] == y[o + ci];
                                dx[pixels[p] + ci] = hit ? grad_at(ci) : T(0);
                                taken = taken || hit;
                            }
                            continue;
                        }
                        std::int64_t best = pixels[0];
                        for (std::int64_t p = 1; p < count; ++p)
                            if (x[pixels[p] + ci] > x[best + ci]) best = pixels[p];
                        dx[best + ci] += grad_at(ci);
                    }
                }
    });
}

template <typename T>
void avg_pool_forward(const Geometry& g, const T* x, T* y) {
    parallel_for(g.n * g.oh, std::max<std::int64_t>(1, kParallelGrain / std::max<std::int64_t>(1, g.ow * g.c)),
                 [&](std::int64_t r0, std::int64_t r1) {
        for (std::int64_t r = r0; r < r1; ++r) {
            const std::int64_t b = r / g.oh, oy = r % g.oh;
            for (std::int64_t ox = 0; ox < g.ow; ++ox) {
                T* out = y + ((b * g.oh + oy) * g.ow + ox) * g.c;
                std::fill(out, out + g.c, T(0));
                const Window win = window(g, oy, ox);
                for (std::int64_t i = win.i0; i < win.i1; ++i)
                    for (std::int64_t j = win.j0; j < win.j1; ++j) {
                        const T* in = x + ((b * g.h + oy * g.sh - g.pt + i) * g.w + ox * g.sw - g.pl + j) * g.c;
                        for (std::int64_t ci = 0; ci < g.c; ++ci) out[ci] += in[ci];
                    }
                const T inv = T(1) / static_cast<T>((win.i1 - win.i0) * (win.j1 - win.j0));
                for (std::int64_t ci = 0; ci < g.c; ++ci) out[ci] *= inv;
            }
        }
    });
}

template <typename T>
void avg_pool_backward(const Geometry& g, const T* dy, T* dx) {
    std::fill(dx, dx + g.in_size(), T(0));
    parallel_for(g.n, std::max<std::int64_t>(1, kParallelGrain / std::max<std::int64_t>(1, g.h * g.w * g.c)),
                 [&](std::int64_t b0, std::int64_t b1) {
        for (std::int64_t b = b0; b < b1; ++b)
            for (std::int64_t oy = 0; oy < g.oh; ++oy)
                for (std::int64_t ox = 0; ox < g.ow; ++ox) {
                    const Window win = window(g, oy, ox);
                    const T* grad = dy + ((b * g.oh + oy) * g.ow + ox) * g.c;
                    const T inv = T(1) / static_cast<T>((win.i1 - win.i0) * (win.j1 - win.j0));
                    for (std::int64_t i = win.i0; i < win.i1; ++i)
                        for (std::int64_t j = win.j0; j < win.j1; ++j) {
                            T* out = dx + ((b * g.h + oy * g.sh - g.pt + i) * g.w + ox * g.sw - g.pl + j) * g.c;
                            for (std::int64_t ci = 0; ci < g.c; ++ci) out[ci] += grad[ci] * inv;
                        }
                }
    });
}

#define NABLA_CONV_INSTANTIATE(T)                                                                     \
    template void conv_reference_forward<T>(const Geometry&, const T*, const T*, const T*, T*);       \
    template void conv_reference_backward_data<T>(const Geometry&, const T*, const T*, T*);           \
    template void conv_reference_backward_weights<T>(const Geometry&, const T*, const T*, T*, T*);    \
    template void max_pool_forward<T>(const Geometry&, const T*, T*);                                 \
    template void max_pool_backward<T>(const Geometry&, const T*, const T*, const T*, T*, bool);                      \
    template void avg_pool_forward<T>(const Geometry&, const T*, T*);                                 \
    template void avg_pool_backward<T>(const Geometry&, const T*, T*);
NABLA_CONV_INSTANTIATE(float)
NABLA_CONV_INSTANTIATE(double)
#undef NABLA_CONV_INSTANTIATE

}  // namespace nabla::detail::conv
