// Sequential's input checks: every problem with (x, y) is found before the
// first batch, and named with the numbers a user needs to fix it.
#include <algorithm>
#include <cmath>

#include "nabla/ops/reduce.hpp"
#include "sequential_state.hpp"

namespace nabla::models {

namespace {

std::string samples_text(const Tensor& t) { return std::to_string(t.shape(0)) + " (shape " + to_string(t.shape()) + ")"; }

void check_labels_sparse(const char* who, const Tensor& y, std::int64_t classes) {
    const std::vector<double> v = y.to_vector<double>();
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (v[i] != std::floor(v[i]))
            throw ValueError(std::string(who) + ": sparse_categorical_crossentropy takes integer class ids; y[" +
                             std::to_string(i) + "] = " + std::to_string(v[i]) + " is not an integer");
        if (v[i] < 0 || v[i] >= double(classes))
            throw ValueError(std::string(who) + ": label y[" + std::to_string(i) + "] = " +
                             std::to_string(static_cast<long long>(v[i])) + " is out of range for the model's " +
                             std::to_string(classes) + " output classes (valid ids: 0.." + std::to_string(classes - 1) +
                             ")");
    }
}

Tensor prepare_sparse(const char* who, const Tensor& y, std::int64_t n, std::int64_t classes) {
    const bool column = y.ndim() == 2 && y.shape(1) == 1;
    if (y.ndim() == 2 && y.shape(1) == classes && classes > 1)
        throw ShapeError(std::string(who) + ": sparse_categorical_crossentropy takes integer class ids of shape (" +
                         std::to_string(n) + ",), but y has shape " + to_string(y.shape()) +
                         ", which looks one-hot — compile with loss 'categorical_crossentropy' instead");
    if (y.ndim() != 1 && !column)
        throw ShapeError(std::string(who) + ": sparse_categorical_crossentropy takes integer class ids of shape (" +
                         std::to_string(n) + ",); y has shape " + to_string(y.shape()));
    check_labels_sparse(who, y, classes);
    return is_integral(y.dtype()) ? y : y.astype(int64);
}

Tensor prepare_one_hot(const char* who, const Tensor& y, std::int64_t n, std::int64_t classes) {
    if (y.ndim() == 1 && classes > 1)
        throw ShapeError(std::string(who) + ": categorical_crossentropy takes one-hot labels of shape (" +
                         std::to_string(n) + ", " + std::to_string(classes) + "); y has shape " + to_string(y.shape()) +
                         " — one-hot encode it with utils::to_categorical(y, " + std::to_string(classes) +
                         "), or compile with loss 'sparse_categorical_crossentropy' for integer labels");
    if (y.ndim() != 2 || y.shape(1) != classes)
        throw ShapeError(std::string(who) + ": one-hot labels must have " + std::to_string(classes) +
                         " columns, one per output unit of the model; y has shape " + to_string(y.shape()));
    return is_floating(y.dtype()) ? y : y.astype(float32);
}

// Labels with the model's output shape per sample (binary crossentropy, mse).
Tensor prepare_dense_target(const char* who, const std::string& loss, const Tensor& y, const Shape& out) {
    Tensor t = y;
    if (t.ndim() == 1 && out.size() == 2 && out[1] == 1) t = t.reshape({t.shape(0), 1});
    const bool ok = t.ndim() == static_cast<int>(out.size()) && std::equal(out.begin() + 1, out.end(), t.shape().begin() + 1);
    if (!ok) {
        Shape want = out;
        want[0] = y.shape(0);
        throw ShapeError(std::string(who) + ": " + loss + " takes labels shaped like the model's output " +
                         to_string(want) + "; y has shape " + to_string(y.shape()));
    }
    return is_floating(t.dtype()) ? t : t.astype(float32);
}

}  // namespace

Tensor Sequential::prepare_x(const char* who, const Tensor& x) {
    if (!x.defined()) throw ValueError(std::string(who) + ": x is an undefined tensor");
    if (x.ndim() < 1 || x.shape(0) == 0)
        throw ValueError(std::string(who) + ": x has no samples (shape " + to_string(x.shape()) + ")");
    if (!is_floating(x.dtype()))
        throw DTypeError(std::string(who) + ": x has dtype " + std::string(nabla::name(x.dtype())) +
                         "; the model takes floating-point inputs — convert first, as the book does: "
                         "x.reshape({n, 28 * 28}).astype(float32) / 255");
    if (layers_.empty()) throw ValueError(std::string(who) + ": model '" + name_ + "' has no layers");
    try {
        // Build first when needed (with its own dry run, under a lock: other
        // threads may be racing to the same first call), then a dry run with
        // the real batch size, so that messages show the caller's shapes:
        // "got (128, 28, 28)".
        if (!built_) build_lazily(x.shape());
        Shape s = x.shape();
        for (const auto& layer : layers_) s = layer->compute_output_shape(s);
    } catch (const ShapeError& e) {
        throw ShapeError(std::string(who) + ": x of shape " + to_string(x.shape()) + " does not fit model '" + name_ +
                         "': " + e.what());
    }
    return x;
}

Sequential::Prepared Sequential::prepare(const char* who, const Tensor& x, const Tensor& y) {
    Prepared p;
    p.x = prepare_x(who, x);
    if (!y.defined()) throw ValueError(std::string(who) + ": y is an undefined tensor");
    if (y.ndim() < 1 || y.shape(0) != x.shape(0))
        throw ValueError(std::string(who) + ": x and y have different numbers of samples: x has " + samples_text(x) +
                         ", y has " + (y.ndim() < 1 ? std::string("none (a scalar)") : samples_text(y)) +
                         ". Make sure both contain the same number of samples");
    const std::string loss = require_compiled(who).loss->name();
    const std::int64_t n = x.shape(0);
    const std::int64_t classes = output_shape_.back();
    if (loss == "sparse_categorical_crossentropy") p.y = prepare_sparse(who, y, n, classes);
    else if (loss == "categorical_crossentropy") p.y = prepare_one_hot(who, y, n, classes);
    else if (loss == "binary_crossentropy" || loss == "mean_squared_error")
        p.y = prepare_dense_target(who, loss, y, output_shape_);
    else p.y = y;  // a user-defined loss checks its own labels
    return p;
}

}  // namespace nabla::models
