#pragma once
// Keras's loss objects over the per-sample loss ops of nabla/ops/nn.hpp.
//
//   auto loss = nabla::losses::get("sparse_categorical_crossentropy");
//   Tensor value = loss->call(y_true, y_pred);   // 0-d, differentiable
//
// Reduction is Keras's default "sum_over_batch_size": the per-sample losses
// (optionally multiplied by sample weights) are summed and divided by their
// number of elements, NOT by the sum of the weights (Keras 3 semantics; a
// zero weight still counts in the denominator).
#include <memory>
#include <string>
#include <string_view>

#include "nabla/core/tensor.hpp"

namespace nabla::losses {

class Loss {
public:
    virtual ~Loss() = default;

    // The scalar (0-d) loss: mean of per_sample() over all its elements.
    // Differentiable: recorded on an active GradientTape.
    virtual Tensor call(const Tensor& y_true, const Tensor& y_pred) const;
    // As call(), each per-sample loss multiplied by sample_weight (shape
    // per_sample's shape, or broadcastable to it; ShapeError otherwise)
    // before the sum; the divisor stays the number of per-sample losses.
    Tensor call(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) const;
    Tensor operator()(const Tensor& y_true, const Tensor& y_pred) const { return call(y_true, y_pred); }

    // One loss per sample: shape y_pred.shape()[:-1] for the built-in losses.
    virtual Tensor per_sample(const Tensor& y_true, const Tensor& y_pred) const = 0;
    // Keras's name: "categorical_crossentropy", "mean_squared_error"...
    virtual std::string name() const = 0;
};

// y_true one-hot (or soft) labels with y_pred's shape; y_pred probabilities
// (renormalised over the last axis, then clipped to [1e-7, 1 - 1e-7], as
// Keras does) or logits when from_logits.
class CategoricalCrossentropy final : public Loss {
public:
    explicit CategoricalCrossentropy(bool from_logits = false) : from_logits_(from_logits) {}
    Tensor per_sample(const Tensor& y_true, const Tensor& y_pred) const override;
    std::string name() const override { return "categorical_crossentropy"; }
    bool from_logits() const { return from_logits_; }

private:
    bool from_logits_;
};

// y_true integer class ids, shape y_pred.shape()[:-1] (or with a trailing
// axis of 1); an id outside [0, classes) throws ValueError.
class SparseCategoricalCrossentropy final : public Loss {
public:
    explicit SparseCategoricalCrossentropy(bool from_logits = false) : from_logits_(from_logits) {}
    Tensor per_sample(const Tensor& y_true, const Tensor& y_pred) const override;
    std::string name() const override { return "sparse_categorical_crossentropy"; }
    bool from_logits() const { return from_logits_; }

private:
    bool from_logits_;
};

// Element-wise binary crossentropy averaged over the last axis; y_pred are
// probabilities (clipped to [1e-7, 1 - 1e-7]) or logits when from_logits.
class BinaryCrossentropy final : public Loss {
public:
    explicit BinaryCrossentropy(bool from_logits = false) : from_logits_(from_logits) {}
    Tensor per_sample(const Tensor& y_true, const Tensor& y_pred) const override;
    std::string name() const override { return "binary_crossentropy"; }
    bool from_logits() const { return from_logits_; }

private:
    bool from_logits_;
};

// mean((y_true - y_pred)^2) over the last axis.
class MeanSquaredError final : public Loss {
public:
    Tensor per_sample(const Tensor& y_true, const Tensor& y_pred) const override;
    std::string name() const override { return "mean_squared_error"; }
};

// A loss by Keras name: "categorical_crossentropy", "sparse_categorical_crossentropy",
// "binary_crossentropy", "mean_squared_error" / "mse" (case-insensitive, as
// Keras's deserialiser also accepts the class names "CategoricalCrossentropy"...).
// The returned object uses from_logits = false. An unknown name throws
// ValueError listing the valid ones.
std::shared_ptr<Loss> get(std::string_view name);

}  // namespace nabla::losses
