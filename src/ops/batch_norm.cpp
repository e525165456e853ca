// Batch normalisation, written with nabla's differentiable ops: its
// gradient (through the batch statistics too) is the tape's, which the
// float64 finite-difference and PyTorch tests check. It is not on the
// book's convnet's path, and per channel it is a handful of element-wise
// passes, so a fused kernel would buy little.
#include <string>

#include "nabla/ops/conv.hpp"
#include "nabla/ops/elementwise.hpp"
#include "nabla/ops/reduce.hpp"

namespace nabla {
inline namespace ops {

namespace {

void check_channels(const Tensor& x, const Tensor& t, const char* what) {
    if (!t.defined()) return;
    if (t.shape() != Shape{x.shape().back()})
        throw ShapeError(std::string("batch_norm: ") + what + " has shape " + to_string(t.shape()) +
                         " but the input " + to_string(x.shape()) + " has " + std::to_string(x.shape().back()) +
                         " channels (last axis): expected (" + std::to_string(x.shape().back()) + ",)");
}

void check_input(const Tensor& x) {
    if (!x.defined()) throw ValueError("batch_norm: the input tensor is undefined");
    if (!is_floating(x.dtype()))
        throw DTypeError("batch_norm: input dtype is " + std::string(name(x.dtype())) + "; expected float32 or float64");
    if (x.ndim() < 2)
        throw ShapeError("batch_norm: expects (batch, ..., channels); got " + to_string(x.shape()));
}

Tensor as(const Tensor& t, DType dt) { return t.dtype() == dt ? t : t.astype(dt); }

}  // namespace

Tensor batch_norm(const Tensor& x, const Tensor& mean_, const Tensor& variance, const Tensor& gamma,
                  const Tensor& beta, double epsilon) {
    check_input(x);
    if (!mean_.defined() || !variance.defined()) throw ValueError("batch_norm: mean and variance must be defined");
    check_channels(x, mean_, "mean");
    check_channels(x, variance, "variance");
    check_channels(x, gamma, "gamma");
    check_channels(x, beta, "beta");
    if (!(epsilon > 0)) throw ValueError("batch_norm: epsilon must be positive, got " + std::to_string(epsilon));
    // Keras's form: x * inv + (beta - mean * inv), inv = gamma / sqrt(var + eps).
    Tensor inv = 1.0 / sqrt(as(variance, x.dtype()) + epsilon);
    if (gamma.defined()) inv = inv * as(gamma, x.dtype());
    Tensor shift = -(as(mean_, x.dtype()) * inv);
    if (beta.defined()) shift = shift + as(beta, x.dtype());
    return x * inv + shift;
}

BatchNormTraining batch_norm_training(const Tensor& x, const Tensor& gamma, const Tensor& beta, double epsilon) {
    check_input(x);
    std::vector<int> axes;
    for (int a = 0; a + 1 < x.ndim(); ++a) axes.push_back(a);
    const Tensor m = mean(x, axes);
    const Tensor v = mean(square(x - m), axes);  // biased, as Keras's moments
    return {batch_norm(x, m, v, gamma, beta, epsilon), m, v};
}

}  // namespace ops
}  // namespace nabla
