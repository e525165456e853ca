#include "nabla/training/metrics.hpp"

#include <cmath>

#include "names.hpp"

// Metrics read their inputs with to_vector<double>() and compute in plain
// loops: fit() updates them inside a GradientTape scope, and going through
// ops would record nodes the tape keeps alive for nothing.
namespace nabla::metrics {

namespace {

// Index of the first maximal element of row[0, n), NaN counting as maximal
// (numpy.argmax).
template <typename T>
std::int64_t argmax_row(const T* row, std::int64_t n) {
    std::int64_t best = 0;
    for (std::int64_t j = 1; j < n; ++j) {
        if (std::isnan(row[best])) break;
        if (row[j] > row[best] || std::isnan(row[j])) best = j;
    }
    return best;
}

// The fast paths of the accuracy metrics: hits counted straight from
// contiguous float32 predictions, with no per-sample tensor (and so no heap
// allocation in the training loop). They return false for anything else,
// and the general path (which also raises the errors) takes over.
bool categorical_hits(const Tensor& y_true, const Tensor& y_pred, double& hits, double& rows) {
    if (y_pred.dtype() != float32 || y_true.dtype() != float32 || y_pred.ndim() != 2 ||
        y_true.shape() != y_pred.shape() || !y_pred.is_contiguous() || !y_true.is_contiguous())
        return false;
    const std::int64_t n = y_pred.shape(0), c = y_pred.shape(1);
    const float *t = y_true.data<float>(), *p = y_pred.data<float>();
    std::int64_t h = 0;
    for (std::int64_t r = 0; r < n; ++r) h += argmax_row(t + r * c, c) == argmax_row(p + r * c, c);
    hits = static_cast<double>(h);
    rows = static_cast<double>(n);
    return true;
}

template <typename L>
std::int64_t sparse_hit_count(const L* labels, const float* p, std::int64_t n, std::int64_t c) {
    std::int64_t h = 0;
    for (std::int64_t r = 0; r < n; ++r)
        h += static_cast<double>(labels[r]) == static_cast<double>(argmax_row(p + r * c, c));
    return h;
}

bool sparse_hits(const Tensor& y_true, const Tensor& y_pred, double& hits, double& rows) {
    if (y_pred.dtype() != float32 || y_pred.ndim() != 2 || !y_pred.is_contiguous() || !y_true.is_contiguous())
        return false;
    const std::int64_t n = y_pred.shape(0), c = y_pred.shape(1);
    const Shape& t = y_true.shape();  // compared by hand: a Shape temporary allocates
    if (t.empty() || t[0] != n || t.size() > 2 || (t.size() == 2 && t[1] != 1)) return false;
    const float* p = y_pred.data<float>();
    std::int64_t h = 0;
    switch (y_true.dtype()) {
        case uint8: h = sparse_hit_count(y_true.data<std::uint8_t>(), p, n, c); break;
        case int32: h = sparse_hit_count(y_true.data<std::int32_t>(), p, n, c); break;
        case int64: h = sparse_hit_count(y_true.data<std::int64_t>(), p, n, c); break;
        case float32: h = sparse_hit_count(y_true.data<float>(), p, n, c); break;
        default: return false;
    }
    hits = static_cast<double>(h);
    rows = static_cast<double>(n);
    return true;
}

Shape drop_last(const Shape& s) { return Shape(s.begin(), s.end() - 1); }

std::int64_t last_dim(const Tensor& t, const std::string& metric, const char* which) {
    if (t.ndim() == 0) throw ShapeError(metric + ": " + which + " must have at least one axis, got shape ()");
    return t.shape(-1);
}

// Keras's squeeze_or_expand_to_same_rank for (y_true, y_pred): a trailing
// axis of 1 on one side matches a missing axis on the other. Returns the
// common shape, or throws ShapeError naming both.
Shape aligned_shape(const Tensor& y_true, const Tensor& y_pred, const std::string& metric) {
    Shape t = y_true.shape(), p = y_pred.shape();
    if (t.size() == p.size() + 1 && t.back() == 1) t.pop_back();
    if (p.size() == t.size() + 1 && p.back() == 1) p.pop_back();
    if (t != p)
        throw ShapeError(metric + ": y_true of shape " + to_string(y_true.shape()) +
                         " does not match y_pred of shape " + to_string(y_pred.shape()));
    return t;
}

// Per-sample values from per-element ones over `shape`: the mean over the
// last axis when there are two or more axes, else the elements themselves.
Tensor per_sample_mean(const std::vector<double>& elems, const Shape& shape) {
    if (shape.size() < 2) return Tensor(elems, shape.empty() ? Shape{1} : shape);
    const std::int64_t cols = shape.back(), rows = cols == 0 ? 0 : numel(shape) / cols;
    std::vector<double> out(static_cast<std::size_t>(rows), 0.0);
    for (std::int64_t r = 0; r < rows; ++r) {
        double s = 0.0;
        for (std::int64_t c = 0; c < cols; ++c) s += elems[static_cast<std::size_t>(r * cols + c)];
        out[static_cast<std::size_t>(r)] = s / static_cast<double>(cols);
    }
    return Tensor(out, drop_last(shape));
}

// Keras's sample-weight alignment for per-sample values: a trailing axis of
// 1 is dropped, missing trailing axes are broadcast.
std::vector<double> aligned_weights(const Tensor& weights, const Tensor& values, const std::string& metric) {
    Shape ws = weights.shape();
    if (ws.size() == static_cast<std::size_t>(values.ndim()) + 1 && !ws.empty() && ws.back() == 1) ws.pop_back();
    const Shape& vs = values.shape();
    bool ok = ws.size() <= vs.size();
    for (std::size_t i = 0; ok && i < ws.size(); ++i) ok = ws[i] == vs[i] || ws[i] == 1;
    if (!ok)
        throw ShapeError(metric + ": sample_weight of shape " + to_string(weights.shape()) +
                         " does not fit values of shape " + to_string(vs));
    // Pad ws on the right (per-sample weights cover trailing axes), then
    // broadcast the NumPy way.
    Shape padded = ws;
    padded.resize(vs.size(), 1);
    const std::vector<double> w = weights.to_vector<double>();
    const std::int64_t n = numel(vs);
    std::vector<double> out(static_cast<std::size_t>(n));
    const Strides vstr = contiguous_strides(vs), wstr = contiguous_strides(padded);
    for (std::int64_t i = 0; i < n; ++i) {
        std::int64_t wi = 0;
        for (std::size_t a = 0; a < vs.size(); ++a)
            if (padded[a] != 1) wi += (i / vstr[a]) % vs[a] * wstr[a];
        out[static_cast<std::size_t>(i)] = w[static_cast<std::size_t>(wi)];
    }
    return out;
}

}  // namespace

// --- Mean ---

void Mean::merge(double total, double count) {
    total_ += total;
    count_ += count;
}

void Mean::update_state(double value, double weight) {
    total_ += value * weight;
    count_ += weight;
}

void Mean::update_state(const Tensor& values, const Tensor& sample_weight) {
    if (!values.defined()) throw ValueError("Mean '" + name_ + "'.update_state: values is undefined");
    const std::vector<double> v = values.to_vector<double>();
    if (!sample_weight.defined()) {
        for (const double x : v) total_ += x;
        count_ += static_cast<double>(v.size());
        return;
    }
    const std::vector<double> w = aligned_weights(sample_weight, values, "Mean '" + name_ + "'");
    for (std::size_t i = 0; i < v.size(); ++i) {
        total_ += v[i] * w[i];
        count_ += w[i];
    }
}

// --- MeanMetricWrapper and the built-ins ---

void MeanMetricWrapper::update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) {
    if (!y_true.defined() || !y_pred.defined())
        throw ValueError(name() + ".update_state: y_true and y_pred must be defined tensors");
    double sum = 0, count = 0;
    if (!sample_weight.defined() && sum_values(y_true, y_pred, sum, count))
        mean_.merge(sum, count);
    else
        mean_.update_state(values(y_true, y_pred), sample_weight);
}

BinaryAccuracy::BinaryAccuracy(std::string name, double threshold)
    : MeanMetricWrapper(std::move(name)), threshold_(threshold) {}

Tensor BinaryAccuracy::values(const Tensor& y_true, const Tensor& y_pred) const {
    const Shape shape = aligned_shape(y_true, y_pred, name());
    const std::vector<double> t = y_true.to_vector<double>(), p = y_pred.to_vector<double>();
    std::vector<double> hit(t.size());
    for (std::size_t i = 0; i < t.size(); ++i) hit[i] = t[i] == (p[i] > threshold_ ? 1.0 : 0.0) ? 1.0 : 0.0;
    return per_sample_mean(hit, shape);
}

CategoricalAccuracy::CategoricalAccuracy(std::string name) : MeanMetricWrapper(std::move(name)) {}

Tensor CategoricalAccuracy::values(const Tensor& y_true, const Tensor& y_pred) const {
    const std::int64_t classes = last_dim(y_pred, name(), "y_pred");
    if (y_true.shape() != y_pred.shape())
        throw ShapeError(name() + ": one-hot y_true of shape " + to_string(y_true.shape()) +
                         " does not match y_pred of shape " + to_string(y_pred.shape()));
    const std::vector<double> t = y_true.to_vector<double>(), p = y_pred.to_vector<double>();
    const std::int64_t rows = classes == 0 ? 0 : y_pred.size() / classes;
    std::vector<double> hit(static_cast<std::size_t>(rows));
    for (std::int64_t r = 0; r < rows; ++r)
        hit[static_cast<std::size_t>(r)] = argmax_row(&t[r * classes], classes) == argmax_row(&p[r * classes], classes);
    return Tensor(hit, drop_last(y_pred.shape()));
}

SparseCategoricalAccuracy::SparseCategoricalAccuracy(std::string name) : MeanMetricWrapper(std::move(name)) {}

bool CategoricalAccuracy::sum_values(const Tensor& y_true, const Tensor& y_pred, double& sum, double& count) const {
    return categorical_hits(y_true, y_pred, sum, count);
}

Tensor SparseCategoricalAccuracy::values(const Tensor& y_true, const Tensor& y_pred) const {
    const std::int64_t classes = last_dim(y_pred, name(), "y_pred");
    const Shape rows_shape = drop_last(y_pred.shape());
    Shape t_shape = y_true.shape();
    if (t_shape.size() == y_pred.shape().size() && !t_shape.empty() && t_shape.back() == 1) t_shape.pop_back();
    if (t_shape != rows_shape)
        throw ShapeError(name() + ": integer y_true of shape " + to_string(y_true.shape()) + " does not match y_pred of shape " +
                         to_string(y_pred.shape()) + " (expected " + to_string(rows_shape) + ")");
    const std::vector<double> t = y_true.to_vector<double>(), p = y_pred.to_vector<double>();
    std::vector<double> hit(t.size());
    for (std::size_t r = 0; r < t.size(); ++r)
        hit[r] = t[r] == static_cast<double>(argmax_row(&p[static_cast<std::int64_t>(r) * classes], classes));
    return Tensor(hit, rows_shape);
}

bool SparseCategoricalAccuracy::sum_values(const Tensor& y_true, const Tensor& y_pred, double& sum,
                                           double& count) const {
    return sparse_hits(y_true, y_pred, sum, count);
}

Accuracy::Accuracy(std::string name) : MeanMetricWrapper(std::move(name)) {}

bool Accuracy::sum_values(const Tensor& y_true, const Tensor& y_pred, double& sum, double& count) const {
    switch (kind_) {
        case Kind::Categorical: return categorical_hits(y_true, y_pred, sum, count);
        case Kind::SparseCategorical: return sparse_hits(y_true, y_pred, sum, count);
        default: return false;
    }
}

Accuracy::Kind Accuracy::resolve(const Shape& y_true, const Shape& y_pred) {
    if (y_pred.empty() || y_true.empty())
        throw ShapeError("accuracy: y_true " + to_string(y_true) + " and y_pred " + to_string(y_pred) +
                         " must each have at least one axis");
    if (y_pred.back() == 1) return Kind::Binary;
    if (y_true.size() < y_pred.size() || (y_true.back() == 1 && y_pred.back() > 1)) return Kind::SparseCategorical;
    return Kind::Categorical;
}

void Accuracy::update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) {
    if (kind_ == Kind::Unresolved && y_true.defined() && y_pred.defined())
        kind_ = resolve(y_true.shape(), y_pred.shape());
    MeanMetricWrapper::update_state(y_true, y_pred, sample_weight);
}

Tensor Accuracy::values(const Tensor& y_true, const Tensor& y_pred) const {
    switch (kind_ == Kind::Unresolved ? resolve(y_true.shape(), y_pred.shape()) : kind_) {
        case Kind::Binary: return BinaryAccuracy(name()).values(y_true, y_pred);
        case Kind::SparseCategorical: return SparseCategoricalAccuracy(name()).values(y_true, y_pred);
        default: return CategoricalAccuracy(name()).values(y_true, y_pred);
    }
}

namespace {

template <typename F>
Tensor elementwise_error(const std::string& metric, const Tensor& y_true, const Tensor& y_pred, F f) {
    const Shape shape = aligned_shape(y_true, y_pred, metric);
    const std::vector<double> t = y_true.to_vector<double>(), p = y_pred.to_vector<double>();
    std::vector<double> e(t.size());
    for (std::size_t i = 0; i < t.size(); ++i) e[i] = f(t[i] - p[i]);
    return per_sample_mean(e, shape);
}

}  // namespace

MeanSquaredError::MeanSquaredError(std::string name) : MeanMetricWrapper(std::move(name)) {}

Tensor MeanSquaredError::values(const Tensor& y_true, const Tensor& y_pred) const {
    return elementwise_error(name(), y_true, y_pred, [](double d) { return d * d; });
}

MeanAbsoluteError::MeanAbsoluteError(std::string name) : MeanMetricWrapper(std::move(name)) {}

Tensor MeanAbsoluteError::values(const Tensor& y_true, const Tensor& y_pred) const {
    return elementwise_error(name(), y_true, y_pred, [](double d) { return std::abs(d); });
}

// --- lookup ---

std::shared_ptr<Metric> get(std::string_view name) {
    const std::string key = training_detail::canonical_name(name);
    std::string given(name);
    if (key == "accuracy" || key == "acc") return std::make_shared<Accuracy>(given);
    if (key == "binaryaccuracy") return std::make_shared<BinaryAccuracy>(given);
    if (key == "categoricalaccuracy") return std::make_shared<CategoricalAccuracy>(given);
    if (key == "sparsecategoricalaccuracy") return std::make_shared<SparseCategoricalAccuracy>(given);
    if (key == "mse" || key == "meansquarederror") return std::make_shared<MeanSquaredError>(given);
    if (key == "mae" || key == "meanabsoluteerror") return std::make_shared<MeanAbsoluteError>(given);
    throw ValueError("metrics::get: unknown metric '" + given +
                     "'; valid names: 'accuracy', 'acc', 'binary_accuracy', 'categorical_accuracy', "
                     "'sparse_categorical_accuracy', 'mse', 'mean_squared_error', 'mae', 'mean_absolute_error'");
}

std::optional<Direction> direction_of(std::string_view name) {
    if (name.starts_with("val_")) name.remove_prefix(4);
    const std::string key = training_detail::canonical_name(name);
    const auto has = [&](const char* s) { return key.find(s) != std::string::npos; };
    if (has("loss") || has("error") || has("crossentropy") || key == "mse" || key == "mae") return Direction::Down;
    if (has("acc") || has("auc") || has("precision") || has("recall")) return Direction::Up;
    return std::nullopt;
}

bool monitor_minimizes(std::string_view who, std::string_view mode, std::string_view monitor) {
    if (mode == "min") return true;
    if (mode == "max") return false;
    if (mode != "auto")
        throw ValueError(std::string(who) + ": mode must be \"auto\", \"min\" or \"max\", got \"" +
                         std::string(mode) + "\"");
    const auto dir = direction_of(monitor);
    if (!dir)
        throw ValueError(std::string(who) + " received monitor='" + std::string(monitor) +
                         "' but cannot tell whether that metric should be maximized or minimized. "
                         "Pass mode=\"max\" to use the highest value, or mode=\"min\" for the lowest.");
    return *dir == Direction::Down;
}

}  // namespace nabla::metrics
