#include "nabla/training/losses.hpp"

#include <algorithm>

#include "names.hpp"
#include "nabla/ops/elementwise.hpp"
#include "nabla/ops/nn.hpp"
#include "nabla/ops/reduce.hpp"

namespace nabla::losses {

namespace {

// Aligns Keras-style sample weights with the per-sample losses: a trailing
// axis of 1 is dropped and missing trailing axes are added, so (batch,) and
// (batch, 1) weights both fit (batch,) or (batch, steps) losses.
Tensor align_weights(const Tensor& weights, const Tensor& values, const std::string& loss) {
    Tensor w = weights;
    if (w.ndim() == values.ndim() + 1 && w.shape(-1) == 1) w = w.squeeze(-1);
    if (w.ndim() < values.ndim()) {
        Shape s = w.shape();
        s.resize(static_cast<std::size_t>(values.ndim()), 1);
        w = w.reshape(s);
    }
    const Shape joint = broadcast_shapes(w.shape(), values.shape(), loss.c_str());
    if (joint != values.shape())
        throw ShapeError(loss + ": sample_weight of shape " + to_string(weights.shape()) +
                         " does not fit the per-sample losses of shape " + to_string(values.shape()));
    return w.dtype() == values.dtype() ? w : w.astype(values.dtype());
}

// Keras's "sum_over_batch_size": the sum divided by the number of losses
// (not by the sum of any weights), 0 for an empty batch (divide_no_nan).
Tensor sum_over_batch_size(const Tensor& values) {
    const double n = static_cast<double>(std::max<std::int64_t>(values.size(), 1));
    return sum(values) / n;
}

}  // namespace

Tensor Loss::call(const Tensor& y_true, const Tensor& y_pred) const {
    return sum_over_batch_size(per_sample(y_true, y_pred));
}

Tensor Loss::call(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) const {
    const Tensor values = per_sample(y_true, y_pred);
    if (!sample_weight.defined()) return sum_over_batch_size(values);
    return sum_over_batch_size(values * align_weights(sample_weight, values, name()));
}

Tensor CategoricalCrossentropy::per_sample(const Tensor& y_true, const Tensor& y_pred) const {
    return categorical_crossentropy(y_true, y_pred, from_logits_);
}

Tensor SparseCategoricalCrossentropy::per_sample(const Tensor& y_true, const Tensor& y_pred) const {
    return sparse_categorical_crossentropy(y_true, y_pred, from_logits_);
}

Tensor BinaryCrossentropy::per_sample(const Tensor& y_true, const Tensor& y_pred) const {
    return binary_crossentropy(y_true, y_pred, from_logits_);
}

Tensor MeanSquaredError::per_sample(const Tensor& y_true, const Tensor& y_pred) const {
    return mean_squared_error(y_true, y_pred);
}

std::shared_ptr<Loss> get(std::string_view name) {
    const std::string key = training_detail::canonical_name(name);
    if (key == "categoricalcrossentropy") return std::make_shared<CategoricalCrossentropy>();
    if (key == "sparsecategoricalcrossentropy") return std::make_shared<SparseCategoricalCrossentropy>();
    if (key == "binarycrossentropy") return std::make_shared<BinaryCrossentropy>();
    if (key == "meansquarederror" || key == "mse") return std::make_shared<MeanSquaredError>();
    throw ValueError("losses::get: unknown loss '" + std::string(name) +
                     "'; valid names: 'categorical_crossentropy', 'sparse_categorical_crossentropy', "
                     "'binary_crossentropy', 'mean_squared_error', 'mse'");
}

}  // namespace nabla::losses
