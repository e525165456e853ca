#pragma once
// Keras's stateful metrics: update_state() accumulates over batches,
// result() reads the running value, reset_state() starts over (fit() resets
// at each epoch start).
//
//   auto acc = nabla::metrics::get("accuracy");
//   acc->update_state(y_true, y_pred);   // per batch
//   double a = acc->result();
//
// Totals accumulate in double (Keras keeps float32 totals, which drift by a
// few ulps over 60000 samples; printed to 4 decimals the two agree).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "nabla/core/tensor.hpp"

namespace nabla::metrics {

// Whether larger is better: what EarlyStopping / ModelCheckpoint's "auto"
// mode reads (Keras's metric._direction).
enum class Direction { Up, Down };

// A weighted running mean, Keras's keras.metrics.Mean: result() =
// sum(w * v) / sum(w), 0 before any update (Keras's divide_no_nan). fit()
// tracks the loss with one, updated with the batch's mean loss and weight =
// batch size.
class Mean {
public:
    explicit Mean(std::string name = "mean") : name_(std::move(name)) {}
    void update_state(double value, double weight = 1.0);
    // Every element of `values`, each weighted by sample_weight (undefined:
    // 1; else broadcastable to values' shape, ShapeError otherwise).
    void update_state(const Tensor& values, const Tensor& sample_weight = Tensor());
    // Adds a precomputed sum of values and their total weight.
    void merge(double total, double count);
    double result() const { return count_ == 0.0 ? 0.0 : total_ / count_; }
    void reset_state() { total_ = count_ = 0.0; }
    double total() const { return total_; }
    double count() const { return count_; }
    const std::string& name() const { return name_; }

private:
    std::string name_;
    double total_ = 0.0;
    double count_ = 0.0;
};

// A metric computed from labels and predictions (what compile(metrics=...)
// takes).
class Metric {
public:
    virtual ~Metric() = default;
    // sample_weight: undefined (every sample weighs 1) or one weight per
    // sample (broadcastable to the per-sample values; ShapeError otherwise).
    virtual void update_state(const Tensor& y_true, const Tensor& y_pred,
                              const Tensor& sample_weight = Tensor()) = 0;
    virtual double result() const = 0;
    virtual void reset_state() = 0;
    virtual Direction direction() const = 0;
    const std::string& name() const { return name_; }

protected:
    explicit Metric(std::string name) : name_(std::move(name)) {}

private:
    std::string name_;
};

// Keras's MeanMetricWrapper: the weighted mean of values(y_true, y_pred),
// one value per sample.
class MeanMetricWrapper : public Metric {
public:
    void update_state(const Tensor& y_true, const Tensor& y_pred,
                      const Tensor& sample_weight = Tensor()) override;
    double result() const override { return mean_.result(); }
    void reset_state() override { mean_.reset_state(); }
    // The per-sample values (shape y_pred.shape()[:-1] for the built-ins).
    virtual Tensor values(const Tensor& y_true, const Tensor& y_pred) const = 0;

protected:
    using Metric::Metric;
    // Optional fast path: the sum and count of values(y_true, y_pred)
    // computed without building the tensor; false to use values().
    virtual bool sum_values(const Tensor&, const Tensor&, double&, double&) const { return false; }

private:
    Mean mean_;
};

// 1 where y_pred > threshold matches y_true (0/1 labels), averaged over the
// last axis.
class BinaryAccuracy final : public MeanMetricWrapper {
public:
    explicit BinaryAccuracy(std::string name = "binary_accuracy", double threshold = 0.5);
    Tensor values(const Tensor& y_true, const Tensor& y_pred) const override;
    Direction direction() const override { return Direction::Up; }

private:
    double threshold_;
};

// 1 where argmax(y_true, -1) == argmax(y_pred, -1): one-hot labels.
class CategoricalAccuracy final : public MeanMetricWrapper {
public:
    explicit CategoricalAccuracy(std::string name = "categorical_accuracy");
    Tensor values(const Tensor& y_true, const Tensor& y_pred) const override;
    Direction direction() const override { return Direction::Up; }

protected:
    bool sum_values(const Tensor& y_true, const Tensor& y_pred, double& sum, double& count) const override;
};

// 1 where y_true (integer ids, shape y_pred.shape()[:-1] or with a trailing
// axis of 1) == argmax(y_pred, -1).
class SparseCategoricalAccuracy final : public MeanMetricWrapper {
public:
    explicit SparseCategoricalAccuracy(std::string name = "sparse_categorical_accuracy");
    Tensor values(const Tensor& y_true, const Tensor& y_pred) const override;
    Direction direction() const override { return Direction::Up; }

protected:
    bool sum_values(const Tensor& y_true, const Tensor& y_pred, double& sum, double& count) const override;
};

// The metric Keras's compile(metrics=["accuracy"]) builds: on the first
// update it picks, from the shapes, as Keras 3's compile_utils.get_metric:
//   y_pred's last axis is 1                         -> binary (threshold 0.5)
//   y_true has fewer axes than y_pred, or its last
//   axis is 1 while y_pred's is not                 -> sparse categorical
//   otherwise                                       -> categorical
// and keeps that choice until reset_state() (which also keeps it: Keras
// resolves once per compile). Note: keras.metrics.Accuracy (the class) is
// exact equality; this nabla class is the string "accuracy" instead.
class Accuracy final : public MeanMetricWrapper {
public:
    enum class Kind { Unresolved, Binary, Categorical, SparseCategorical };
    explicit Accuracy(std::string name = "accuracy");
    Tensor values(const Tensor& y_true, const Tensor& y_pred) const override;
    void update_state(const Tensor& y_true, const Tensor& y_pred,
                      const Tensor& sample_weight = Tensor()) override;
    Direction direction() const override { return Direction::Up; }
    Kind kind() const { return kind_; }
    // The resolution rule above, for the given shapes.
    static Kind resolve(const Shape& y_true, const Shape& y_pred);

protected:
    bool sum_values(const Tensor& y_true, const Tensor& y_pred, double& sum, double& count) const override;

private:
    Kind kind_ = Kind::Unresolved;
};

// mean((y_true - y_pred)^2) over the last axis, averaged over samples.
class MeanSquaredError final : public MeanMetricWrapper {
public:
    explicit MeanSquaredError(std::string name = "mean_squared_error");
    Tensor values(const Tensor& y_true, const Tensor& y_pred) const override;
    Direction direction() const override { return Direction::Down; }
};

// mean(|y_true - y_pred|) over the last axis, averaged over samples.
class MeanAbsoluteError final : public MeanMetricWrapper {
public:
    explicit MeanAbsoluteError(std::string name = "mean_absolute_error");
    Tensor values(const Tensor& y_true, const Tensor& y_pred) const override;
    Direction direction() const override { return Direction::Down; }
};

// A metric by Keras name, named as Keras names it in the logs:
//   "accuracy", "acc"             -> Accuracy (resolving; named as given)
//   "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy"
//   "mse", "mean_squared_error"   -> MeanSquaredError (named as given)
//   "mae", "mean_absolute_error"  -> MeanAbsoluteError (named as given)
// An unknown name throws ValueError listing the valid ones.
std::shared_ptr<Metric> get(std::string_view name);

// The direction of a metric known only by its logged name (a "val_" prefix
// is ignored): "loss" and the error/crossentropy names are Down, the
// accuracy names Up; std::nullopt when unknown.
std::optional<Direction> direction_of(std::string_view name);

// Keras's mode argument of monitoring callbacks (EarlyStopping,
// ModelCheckpoint): true when `monitor` should go down. "min"/"max" say so;
// "auto" asks direction_of. ValueError, starting with `who`, for an unknown
// mode or an "auto" monitor whose direction is unknown.
bool monitor_minimizes(std::string_view who, std::string_view mode, std::string_view monitor);

}  // namespace nabla::metrics
