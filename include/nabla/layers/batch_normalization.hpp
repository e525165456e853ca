#pragma once
// BatchNormalization over the channels (last) axis, Keras's layer:
//
//   layers::BatchNormalization()                        // momentum 0.99, epsilon 1e-3
//
// In training (fit) it normalises with the batch's mean and biased variance
// and updates the moving averages, Keras's rule:
//   moving = moving * momentum + batch_statistic * (1 - momentum)
// In inference (predict, evaluate, a plain call) it uses the moving
// averages. Weights, in Keras's order: gamma (scale), beta (center), then
// the non-trainable moving_mean and moving_variance.
#include <string>

#include "nabla/layers/layer.hpp"

namespace nabla::layers {

struct BatchNormalizationOptions {
    int axis = -1;  // only the last axis (channels_last) is supported
    double momentum = 0.99;
    double epsilon = 1e-3;
    bool center = true;
    bool scale = true;
    initializers::Initializer beta_initializer = initializers::zeros();
    initializers::Initializer gamma_initializer = initializers::ones();
    initializers::Initializer moving_mean_initializer = initializers::zeros();
    initializers::Initializer moving_variance_initializer = initializers::ones();
    Shape input_shape = {};
    std::string name = "";
};

class BatchNormalization : public Layer {
public:
    explicit BatchNormalization(BatchNormalizationOptions options = {});

    std::string_view class_name() const override { return "BatchNormalization"; }
    Shape compute_output_shape(const Shape& input_shape) const override;

    const BatchNormalizationOptions& options() const { return options_; }
    // ValueError before build (and for gamma/beta when scale/center is off).
    const Variable& gamma() const;
    const Variable& beta() const;
    const Variable& moving_mean() const;
    const Variable& moving_variance() const;

protected:
    void build_weights(const Shape& input_shape) override;
    Tensor call(const Tensor& x, bool training) override;

private:
    BatchNormalizationOptions options_;
    Variable gamma_, beta_, moving_mean_, moving_variance_;
};

}  // namespace nabla::layers
