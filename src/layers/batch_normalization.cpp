#include "nabla/layers/batch_normalization.hpp"

#include "nabla/ops/conv.hpp"
#include "nabla/ops/elementwise.hpp"

namespace nabla::layers {

BatchNormalization::BatchNormalization(BatchNormalizationOptions options)
    : Layer("batch_normalization", options.name,
            options.input_shape.empty() ? std::nullopt : std::optional<Shape>(options.input_shape)),
      options_(std::move(options)) {
    if (options_.axis != -1)
        throw ValueError(describe() + ": axis " + std::to_string(options_.axis) +
                         " is not supported; nabla normalises the channels (last) axis, axis = -1");
    if (!(options_.epsilon > 0)) throw ValueError(describe() + ": epsilon must be positive");
    if (!(options_.momentum >= 0 && options_.momentum <= 1))
        throw ValueError(describe() + ": momentum must be in [0, 1], got " + std::to_string(options_.momentum));
}

Shape BatchNormalization::compute_output_shape(const Shape& s) const {
    if (s.size() < 2)
        throw ShapeError(describe() + " expects (batch, ..., channels); got " + shape_string(s));
    if (built() && s.back() != moving_mean_.shape()[0])
        throw ShapeError(describe() + " was built for " + std::to_string(moving_mean_.shape()[0]) +
                         " channels (last axis); got " + shape_string(s));
    if (s.back() < 0) throw ShapeError(describe() + ": the channels axis must be known; got " + shape_string(s));
    return s;
}

void BatchNormalization::build_weights(const Shape& s) {
    const Shape channels{s.back()};
    // Keras's order: gamma, beta, moving_mean, moving_variance.
    if (options_.scale) gamma_ = add_weight("gamma", channels, options_.gamma_initializer);
    if (options_.center) beta_ = add_weight("beta", channels, options_.beta_initializer);
    moving_mean_ = add_weight("moving_mean", channels, options_.moving_mean_initializer, float32, false);
    moving_variance_ = add_weight("moving_variance", channels, options_.moving_variance_initializer, float32, false);
}

Tensor BatchNormalization::call(const Tensor& x, bool training) {
    if (!is_floating(x.dtype()))
        throw DTypeError(describe() + ": input dtype is " + std::string(nabla::name(x.dtype())) +
                         "; expected float32 or float64");
    const Tensor gamma = options_.scale ? gamma_.value() : Tensor();
    const Tensor beta = options_.center ? beta_.value() : Tensor();
    // A frozen layer runs in inference mode, as Keras's BatchNormalization.
    if (!training || !trainable())
        return nabla::ops::batch_norm(x, moving_mean_.value(), moving_variance_.value(), gamma, beta,
                                      options_.epsilon);
    auto r = nabla::ops::batch_norm_training(x, gamma, beta, options_.epsilon);
    // Keras: moving = moving * momentum + batch * (1 - momentum). Detached
    // copies: the update is not part of the gradient.
    const double m = options_.momentum;
    moving_mean_.assign(moving_mean_.value() * m + r.mean.copy().astype(float32) * (1 - m));
    moving_variance_.assign(moving_variance_.value() * m + r.variance.copy().astype(float32) * (1 - m));
    return r.y;
}

const Variable& BatchNormalization::gamma() const {
    if (!built()) throw ValueError(describe() + " has not been built yet: it has no gamma");
    if (!options_.scale) throw ValueError(describe() + " was created with scale = false: it has no gamma");
    return gamma_;
}

const Variable& BatchNormalization::beta() const {
    if (!built()) throw ValueError(describe() + " has not been built yet: it has no beta");
    if (!options_.center) throw ValueError(describe() + " was created with center = false: it has no beta");
    return beta_;
}

const Variable& BatchNormalization::moving_mean() const {
    if (!built()) throw ValueError(describe() + " has not been built yet: it has no moving_mean");
    return moving_mean_;
}

const Variable& BatchNormalization::moving_variance() const {
    if (!built()) throw ValueError(describe() + " has not been built yet: it has no moving_variance");
    return moving_variance_;
}

}  // namespace nabla::layers
