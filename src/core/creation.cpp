// zeros, ones, full, arange, linspace, eye.
#include <cmath>

#include "dispatch.hpp"
#include "nabla/core/tensor.hpp"

namespace nabla {

Tensor zeros(const Shape& shape, DType dtype) { return full(shape, 0.0, dtype); }
Tensor ones(const Shape& shape, DType dtype) { return full(shape, 1.0, dtype); }

Tensor full(const Shape& shape, double value, DType dtype) {
    Tensor t = Tensor::uninitialized(shape, dtype);
    detail::dispatch(dtype, [&]<typename T>() {
        T* p = t.data<T>();
        const T v = static_cast<T>(value);
        for (std::int64_t i = 0, n = t.size(); i < n; ++i) p[i] = v;
    });
    return t;
}

Tensor zeros_like(const Tensor& t) { return zeros(t.shape(), t.dtype()); }
Tensor ones_like(const Tensor& t) { return ones(t.shape(), t.dtype()); }
Tensor full_like(const Tensor& t, double value) { return full(t.shape(), value, t.dtype()); }

Tensor arange(double start, double stop, double step, DType dtype) {
    if (step == 0) throw ValueError("arange: step must not be zero");
    const double count = std::ceil((stop - start) / step);
    // A NaN or huge count must not reach the cast to int64 (undefined there).
    if (!(count < 0x1p63))
        throw ValueError("arange: cannot make " + std::to_string(count) + " elements from start " + std::to_string(start) +
                         " to stop " + std::to_string(stop) + " by step " + std::to_string(step) +
                         (count != count ? " (a bound or the step is NaN)" : " (array is too big)"));
    const auto n = static_cast<std::int64_t>(std::max(0.0, count));
    Tensor t = Tensor::uninitialized({n}, dtype);
    detail::dispatch(dtype, [&]<typename T>() {
        T* p = t.data<T>();
        for (std::int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(start + static_cast<double>(i) * step);
    });
    return t;
}

Tensor arange(std::int64_t stop, DType dtype) { return arange(0.0, static_cast<double>(stop), 1.0, dtype); }

Tensor linspace(double start, double stop, std::int64_t num, bool endpoint, DType dtype) {
    if (num < 0) throw ValueError("linspace: number of samples, " + std::to_string(num) + ", must be non-negative");
    const double div = endpoint ? static_cast<double>(num - 1) : static_cast<double>(num);
    const double step = div > 0 ? (stop - start) / div : 0.0;
    Tensor t = Tensor::uninitialized({num}, dtype);
    detail::dispatch(dtype, [&]<typename T>() {
        T* p = t.data<T>();
        for (std::int64_t i = 0; i < num; ++i) p[i] = static_cast<T>(start + static_cast<double>(i) * step);
        if (endpoint && num > 1) p[num - 1] = static_cast<T>(stop);
    });
    return t;
}

Tensor eye(std::int64_t n, std::int64_t m, std::int64_t k, DType dtype) {
    if (m < 0) m = n;
    Tensor t = zeros({n, m}, dtype);
    detail::dispatch(dtype, [&]<typename T>() {
        T* p = t.data<T>();
        for (std::int64_t i = 0; i < n; ++i)
            if (i + k >= 0 && i + k < m) p[i * m + i + k] = static_cast<T>(1);
    });
    return t;
}

}  // namespace nabla
