// Sequential's training loops: compile, fit, evaluate, predict and the
// single-batch versions. The arithmetic of a batch is behind TrainStep
// (train_step.hpp); these loops gather batches, keep the running metrics and
// drive the callbacks, in Keras's order.
#include <cmath>
#include <iostream>

#include "batches.hpp"
#include "inference.hpp"
#include "sequential_state.hpp"

namespace nabla::models {

// --- lifetime (here, where Compiled is complete) ---

Sequential::~Sequential() = default;

Sequential::Sequential(Sequential&& other) noexcept
    : callbacks::ModelHandle(other),
      name_(std::move(other.name_)),
      layers_(std::move(other.layers_)),
      rng_(other.rng_),
      input_shape_(std::move(other.input_shape_)),
      output_shape_(std::move(other.output_shape_)),
      built_(other.built_.load()),
      compiled_(std::move(other.compiled_)) {
    // The step refers to its model: rebind it to this one.
    if (compiled_) compiled_->step = detail::make_train_step(*this, *compiled_->loss, *compiled_->optimizer);
}

Sequential& Sequential::operator=(Sequential&& other) noexcept {
    if (this == &other) return *this;
    stop_training = other.stop_training;
    name_ = std::move(other.name_);
    layers_ = std::move(other.layers_);
    rng_ = other.rng_;
    input_shape_ = std::move(other.input_shape_);
    output_shape_ = std::move(other.output_shape_);
    built_ = other.built_.load();
    compiled_ = std::move(other.compiled_);
    if (compiled_) compiled_->step = detail::make_train_step(*this, *compiled_->loss, *compiled_->optimizer);
    return *this;
}

// --- compile ---

void Sequential::compile(OptimizerArg optimizer, LossArg loss, std::vector<MetricArg> metrics) {
    auto c = std::make_unique<Compiled>();
    c->optimizer = optimizer.get();
    c->loss = loss.get();
    if (!c->optimizer) throw ValueError("compile: the optimizer is a null pointer");
    if (!c->loss) throw ValueError("compile: the loss is a null pointer");
    for (auto& m : metrics) {
        if (!m.get()) throw ValueError("compile: a metric is a null pointer");
        if (m.get()->name() == "loss")
            throw ValueError("compile: a metric may not be named 'loss' (the logs already have the loss)");
        for (const auto& other : c->metrics)
            if (other->name() == m.get()->name())
                throw ValueError("compile: two metrics are named '" + other->name() + "'");
        c->metrics.push_back(m.get());
    }
    c->step = detail::make_train_step(*this, *c->loss, *c->optimizer);
    compiled_ = std::move(c);
}

bool Sequential::compiled() const { return compiled_ != nullptr; }
optimizers::Optimizer* Sequential::optimizer() { return compiled_ ? compiled_->optimizer.get() : nullptr; }
const losses::Loss* Sequential::loss() const { return compiled_ ? compiled_->loss.get() : nullptr; }
std::vector<std::shared_ptr<metrics::Metric>> Sequential::metrics() const {
    return compiled_ ? compiled_->metrics : std::vector<std::shared_ptr<metrics::Metric>>{};
}

Sequential::Compiled& Sequential::require_compiled(const char* what) const {
    if (!compiled_)
        throw ValueError(std::string(what) + ": you must compile the model before training or testing it: "
                         "model.compile(\"rmsprop\", \"categorical_crossentropy\", {\"accuracy\"})");
    return *compiled_;
}

// --- metrics and logs ---

void Sequential::reset_metrics() {
    compiled_->loss_tracker.reset_state();
    for (auto& m : compiled_->metrics) m->reset_state();
}

void Sequential::update_metrics(const Tensor& y, const Tensor& y_pred) {
    for (auto& m : compiled_->metrics) m->update_state(y, y_pred);
}

Evaluation Sequential::current_logs(const char* prefix) const {
    Evaluation e;
    e.loss = compiled_->loss_tracker.result();
    e.logs.set(std::string(prefix) + "loss", e.loss);
    for (const auto& m : compiled_->metrics) e.logs.set(std::string(prefix) + m->name(), m->result());
    return e;
}

std::vector<double> Evaluation::values() const {
    std::vector<double> v;
    for (const auto& [k, x] : logs) v.push_back(x);
    return v;
}

double Evaluation::only_metric() const {
    if (logs.size() != 2) {
        std::string names;
        for (const auto& k : logs.keys()) names += (names.empty() ? "" : ", ") + k;
        throw ValueError("auto [loss, metric] = evaluate(...) needs exactly one compiled metric; the results are " +
                         names + " — use result[\"name\"] or result.values()");
    }
    return (logs.begin() + 1)->second;
}

// --- the loops ---

namespace {

// ceil(samples / batch_size) without forming samples + batch_size - 1, which
// overflows for a batch_size near INT64_MAX (fit then ran no batch at all).
// A batch_size above the sample count is one batch of every sample, as Keras.
std::int64_t steps_for(std::int64_t samples, std::int64_t batch_size) {
    return samples <= 0 ? 0 : 1 + (samples - 1) / batch_size;
}

void check_batch_size(const char* who, std::int64_t batch_size) {
    if (batch_size <= 0)
        throw ValueError(std::string(who) + ": batch_size must be positive, got " + std::to_string(batch_size));
}

void check_fit_options(const FitOptions& o) {
    check_batch_size("fit", o.batch_size);
    if (o.epochs < 0) throw ValueError("fit: epochs must be >= 0, got " + std::to_string(o.epochs));
    if (o.initial_epoch < 0 || o.initial_epoch > o.epochs)
        throw ValueError("fit: initial_epoch must be in [0, epochs], got " + std::to_string(o.initial_epoch) +
                         " with epochs = " + std::to_string(o.epochs));
    if (!(o.validation_split >= 0.0 && o.validation_split < 1.0))
        throw ValueError("fit: validation_split must be in [0, 1), got " + std::to_string(o.validation_split));
    if (o.validation_data.x.defined() != o.validation_data.y.defined())
        throw ValueError("fit: validation_data needs both x and y");
    if (o.verbose < 0 || o.verbose > 2) throw ValueError("fit: verbose must be 0, 1 or 2, got " + std::to_string(o.verbose));
}

// Epoch and batch counted from 1, as the progress bar shows them.
void report_invalid_loss(int epoch, int epochs, std::int64_t batch, std::int64_t steps, double loss) {
    std::cerr << "fit: epoch " << epoch + 1 << "/" << epochs << ", batch " << batch + 1 << "/" << steps
              << ": invalid loss (" << loss
              << "), terminating training; the weights keep their values from before this batch\n";
}

}  // namespace

callbacks::History Sequential::fit(const Tensor& x, const Tensor& y, FitOptions o) {
    check_fit_options(o);
    Prepared train = prepare("fit", x, y), val;
    const bool has_val = o.validation_data.x.defined() || o.validation_split > 0.0;
    if (o.validation_data.x.defined()) {
        val = prepare("fit (validation_data)", o.validation_data.x, o.validation_data.y);
    } else if (o.validation_split > 0.0) {
        // Keras: the last fraction, before shuffling.
        const std::int64_t n = train.samples();
        const auto split_at = static_cast<std::int64_t>(std::ceil(double(n) * (1.0 - o.validation_split)));
        if (split_at <= 0 || split_at >= n)
            throw ValueError("fit: " + std::to_string(n) + " samples cannot be split into training and validation "
                             "sets with validation_split = " + std::to_string(o.validation_split));
        val = {train.x(Slice(split_at, n)), train.y(Slice(split_at, n))};
        train = {train.x(Slice(0, split_at)), train.y(Slice(0, split_at))};
    }
    Compiled& c = *compiled_;
    const std::int64_t n = train.samples(), bs = o.batch_size, steps = steps_for(n, bs);
    callbacks::CallbackList cbs(o.callbacks, /*add_history=*/true, /*add_progbar=*/o.verbose != 0, this,
                                callbacks::Params{o.verbose, o.epochs, steps});
    detail::BatchGatherer gx(train.x, bs), gy(train.y, bs);
    stop_training = false;
    resume_epoch.reset();
    cbs.on_train_begin({});
    // A callback (BackupAndRestore) may have restored an interrupted run:
    // start at its epoch, as Keras's model._initial_epoch.
    const int first_epoch = resume_epoch.value_or(o.initial_epoch);
    resume_epoch.reset();
    if (first_epoch < 0)
        throw ValueError("fit: a callback asked to resume at epoch " + std::to_string(first_epoch) +
                         ", which is negative");
    callbacks::Logs epoch_logs;
    for (int epoch = first_epoch; epoch < o.epochs && !stop_training; ++epoch) {
        reset_metrics();
        cbs.on_epoch_begin(epoch, {});
        const Tensor order = o.shuffle ? random::permutation(n, rng_) : Tensor();
        bool invalid = false;
        for (std::int64_t b = 0; b < steps; ++b) {
            cbs.on_train_batch_begin(b, {});
            const std::int64_t start = b * bs, count = std::min(bs, n - start);
            const Tensor xb = o.shuffle ? gx.gather(order.data<std::int64_t>() + start, count) : gx.slice(start, count);
            const Tensor yb = o.shuffle ? gy.gather(order.data<std::int64_t>() + start, count) : gy.slice(start, count);
            detail::StepResult r = c.step->train(xb, yb);
            c.loss_tracker.update_state(r.loss, double(count));
            if (!r.applied) {
                report_invalid_loss(epoch, o.epochs, b, steps, r.loss);
                invalid = stop_training = true;
                break;
            }
            update_metrics(yb, r.y_pred);
            cbs.on_train_batch_end(b, current_logs().logs);
            if (stop_training) break;
        }
        epoch_logs = current_logs().logs;
        if (has_val && !invalid) {
            callbacks::Logs v = run_test(val, bs, cbs).logs;
            for (const auto& [k, value] : v) epoch_logs.set("val_" + k, value);
        }
        cbs.on_epoch_end(epoch, epoch_logs);
    }
    cbs.on_train_end(epoch_logs);
    return *cbs.history();
}

Evaluation Sequential::run_test(const Prepared& data, std::int64_t batch_size, callbacks::CallbackList& cbs) {
    Compiled& c = *compiled_;
    reset_metrics();
    cbs.on_test_begin({});
    const std::int64_t n = data.samples(), steps = steps_for(n, batch_size);
    for (std::int64_t b = 0; b < steps; ++b) {
        cbs.on_test_batch_begin(b, {});
        const std::int64_t start = b * batch_size, count = std::min(batch_size, n - start);
        const Tensor xb = data.x(Slice(start, start + count)), yb = data.y(Slice(start, start + count));
        detail::StepResult r = c.step->test(xb, yb);
        c.loss_tracker.update_state(r.loss, double(count));
        update_metrics(yb, r.y_pred);
        cbs.on_test_batch_end(b, current_logs().logs);
    }
    Evaluation e = current_logs();
    cbs.on_test_end(e.logs);
    return e;
}

Evaluation Sequential::evaluate(const Tensor& x, const Tensor& y, EvaluateOptions o) {
    check_batch_size("evaluate", o.batch_size);
    Prepared data = prepare("evaluate", x, y);
    callbacks::CallbackList cbs(o.callbacks, false, o.verbose != 0, this,
                                callbacks::Params{o.verbose, 1, steps_for(data.samples(), o.batch_size)});
    return run_test(data, o.batch_size, cbs);
}

Evaluation Sequential::evaluate(const Tensor& x, const Tensor& y, std::int64_t batch_size) {
    return evaluate(x, y, EvaluateOptions{.batch_size = batch_size});
}

Tensor Sequential::predict(const Tensor& x, PredictOptions o) {
    check_batch_size("predict", o.batch_size);
    const Tensor in = prepare_x("predict", x);
    const std::int64_t n = in.shape(0), steps = steps_for(n, o.batch_size);
    callbacks::CallbackList cbs(o.callbacks, false, o.verbose != 0, this, callbacks::Params{o.verbose, 1, steps});
    cbs.on_predict_begin({});
    Tensor out;
    for (std::int64_t b = 0; b < steps; ++b) {
        cbs.on_predict_batch_begin(b, {});
        const std::int64_t start = b * o.batch_size, count = std::min(o.batch_size, n - start);
        const Tensor pred = predict_on_batch(in(Slice(start, start + count)));
        if (!out.defined()) {
            Shape shape = pred.shape();
            shape[0] = n;
            out = Tensor::uninitialized(shape, pred.dtype());
        }
        out(Slice(start, start + count)).assign(pred);
        cbs.on_predict_batch_end(b, {});
    }
    cbs.on_predict_end({});
    return out;
}

Tensor Sequential::predict(const Tensor& x, std::int64_t batch_size) {
    return predict(x, PredictOptions{.batch_size = batch_size});
}

Evaluation Sequential::train_on_batch(const Tensor& x, const Tensor& y) {
    Prepared data = prepare("train_on_batch", x, y);
    reset_metrics();
    detail::StepResult r = compiled_->step->train(data.x, data.y);
    compiled_->loss_tracker.update_state(r.loss, double(data.samples()));
    if (r.applied) update_metrics(data.y, r.y_pred);
    return current_logs();
}

Evaluation Sequential::test_on_batch(const Tensor& x, const Tensor& y) {
    Prepared data = prepare("test_on_batch", x, y);
    reset_metrics();
    detail::StepResult r = compiled_->step->test(data.x, data.y);
    compiled_->loss_tracker.update_state(r.loss, double(data.samples()));
    update_metrics(data.y, r.y_pred);
    return current_logs();
}

Tensor Sequential::predict_on_batch(const Tensor& x) {
    const Tensor in = prepare_x("predict_on_batch", x);
    // Not the training step's predict: its buffers are the model's, shared
    // by every thread; the inference path's are per thread.
    if (in.dtype() == float32 && in.is_contiguous()) {
        Shape shape = output_shape_;
        shape[0] = in.shape(0);
        Tensor out = Tensor::uninitialized(shape, float32);
        if (detail::infer(*this, in.data<float>(), in.shape(0), out.data<float>())) return out;
    }
    return (*this)(in, /*training=*/false);
}

void Sequential::predict_into(const Tensor& x, Tensor& out) {
    if (!built_) prepare_x("predict_into", x);  // the first call builds (and explains a bad x)
    detail::check_predict_into(*this, x, out);  // allocates only to throw
    if (detail::infer(*this, x.data<float>(), x.shape(0), out.data<float>())) return;
    out.assign((*this)(x, /*training=*/false));
}

}  // namespace nabla::models
