#pragma once
// Neural-network operations: activations, softmax, the fused dense layer op
// and Keras's losses, each numerically stable and differentiable.
#include <string_view>

#include "nabla/core/tensor.hpp"

namespace nabla {
inline namespace ops {

enum class Activation { Linear, ReLU, Sigmoid, Tanh, Softmax };
// "linear", "relu", "sigmoid", "tanh", "softmax"; "" and "none" mean linear.
// An unknown name throws ValueError listing the valid ones.
Activation activation_from_name(std::string_view name);
std::string_view name(Activation a);
Tensor activate(const Tensor& x, Activation a);

// Over `axis` (default: last), max-subtracted so ±1e4 logits stay finite.
// softmax is a function object, not a function, so that it passes as an
// activation function like relu (a function's default argument does not
// survive taking its address): std::function<Tensor(const Tensor&)> f =
// softmax and layers::Dense(10, softmax) work, and softmax(x, axis) too.
struct SoftmaxFunction {
    Tensor operator()(const Tensor& x, int axis = -1) const;
};
inline constexpr SoftmaxFunction softmax{};
Tensor log_softmax(const Tensor& x, int axis = -1);

// activation(x·W + b) in one pass forward and backward: x (batch, in),
// W (in, out), b (out,) or undefined for no bias. Mismatches throw ShapeError
// naming the shapes.
Tensor dense(const Tensor& x, const Tensor& W, const Tensor& b,
             Activation activation = Activation::Linear);

// Keras's losses, one value per sample (shape y_pred.shape()[:-1]).
// From probabilities they clip y_pred to [1e-7, 1 - 1e-7] as Keras does;
// from logits they use the stable log-sum-exp / softplus forms.
Tensor categorical_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool from_logits = false);
// y_true holds integer class ids with shape y_pred.shape()[:-1] (or a
// trailing axis of 1); an id outside [0, classes) throws ValueError naming it.
Tensor sparse_categorical_crossentropy(const Tensor& y_true, const Tensor& y_pred,
                                       bool from_logits = false);
// Mean over the last axis.
Tensor binary_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool from_logits = false);
Tensor mean_squared_error(const Tensor& y_true, const Tensor& y_pred);

}  // namespace ops
}  // namespace nabla
