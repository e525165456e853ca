#include "nabla/layers/dropout.hpp"

#include "../core/dispatch.hpp"
#include "nabla/ops/elementwise.hpp"

namespace nabla::layers {

Dropout::Dropout(double rate, DropoutOptions options) : Layer("dropout", std::move(options.name)), rate_(rate), seed_(options.seed) {
    if (!(rate >= 0.0 && rate < 1.0))
        throw ValueError(describe() + ": rate must be in [0, 1), got " + std::to_string(rate));
    if (options.seed) set_seed(*options.seed);
}

Tensor Dropout::call(const Tensor& x, bool training) {
    if (!training || rate_ == 0.0) return x;
    if (!is_floating(x.dtype()))
        throw DTypeError(describe() + ": input dtype is " + std::string(nabla::name(x.dtype())) +
                         "; expected float32 or float64");
    // The mask already holds 0 or 1/(1-rate): one multiply, whose backward
    // multiplies the gradient by the same mask.
    Tensor mask = Tensor::uninitialized(x.shape(), x.dtype());
    random::Generator& gen = generator();
    const double keep_scale = 1.0 / (1.0 - rate_);
    detail::dispatch_floating(x.dtype(), "Dropout", [&]<typename T>() {
        T* m = mask.data<T>();
        for (std::int64_t i = 0, n = mask.size(); i < n; ++i)
            m[i] = gen.next_double() < rate_ ? T(0) : static_cast<T>(keep_scale);
    });
    return x * mask;
}

}  // namespace nabla::layers
