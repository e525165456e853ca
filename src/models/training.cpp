// Sequential's training loops: compile, fit, evaluate, predict and the
// single-batch versions. The arithmetic of a batch is behind TrainStep
// (train_step.hpp); these loops gather batches, keep the running metrics and
// drive the callbacks, in Keras's order.
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <optional>

#include "batches.hpp"
#include "distributed_fit.hpp"
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

// The rows each rank takes of a global batch of `batch_size` (the most any
// shard of it holds).
std::int64_t per_rank_batch(std::int64_t batch_size, const distributed::DataParallel* dp) {
    return dp ? 1 + (batch_size - 1) / dp->size() : batch_size;
}

// Rank 0 alone prints and writes files: the other ranks run no callbacks
// but the History (their logs are rank 0's, reduced).
std::vector<std::shared_ptr<callbacks::Callback>> chief_only(const std::vector<std::shared_ptr<callbacks::Callback>>& cbs,
                                                             const distributed::DataParallel* dp) {
    return !dp || dp->is_chief() ? cbs : std::vector<std::shared_ptr<callbacks::Callback>>{};
}

// A hash of the first and last samples' bytes: different data on two ranks
// shows without reading all of it.
std::int64_t data_fingerprint(const Tensor& t) {
    if (!t.defined() || t.ndim() < 1 || t.shape(0) == 0) return 0;
    std::string bytes;
    for (const std::int64_t i : {std::int64_t{0}, t.shape(0) - 1}) {
        const Tensor row = t(Slice(i, i + 1)).contiguous();
        bytes.append(static_cast<const char*>(row.raw_data()), row.nbytes());
    }
    return detail::stable_hash(bytes);
}

// The model's configuration as one number: its Keras config, or for a model
// with a layer that has none, its summary (names, shapes, parameters).
std::int64_t model_fingerprint(const Sequential& m) {
    try {
        return detail::stable_hash(m.to_json());
    } catch (const Error&) {
        return detail::stable_hash(m.summary_string());
    }
}

// Runs `body`; under a strategy of several ranks an exception on this rank
// ends the whole job with a message naming the rank (the other ranks would
// otherwise wait in their next collective forever).
template <typename F>
auto guarded(distributed::DataParallel* dp, const char* who, F&& body) {
    if (!dp || dp->size() == 1) return body();
    try {
        return body();
    } catch (const std::exception& e) {
        dp->communicator().abort(detail::failure_message(dp->communicator(), who, e.what()));
        std::abort();  // not reached: abort() ends the process (the compiler cannot see it through the virtual)
    }
}

void print_timing(const distributed::DataParallel& dp, const detail::GradientAllreduce& sync) {
    if (!dp.is_chief() || !std::getenv("NABLA_DISTRIBUTED_TIMING") || sync.steps() == 0) return;
    std::cerr << "distributed: " << dp.size() << " ranks, " << sync.steps() << " steps, " << sync.bytes_per_step()
              << " bytes allreduced per step, " << 1e3 * sync.allreduce_seconds() / double(sync.steps())
              << " ms per allreduce (rank 0)\n";
}

}  // namespace

Evaluation Sequential::reduced_logs(distributed::DataParallel& dp, double local_samples, const char* prefix) {
    Compiled& c = *compiled_;
    std::vector<double> results;
    for (const auto& m : c.metrics) results.push_back(m->result());
    detail::reduce_metrics(dp.communicator(), c.loss_tracker, results, local_samples);
    Evaluation e;
    e.loss = c.loss_tracker.result();
    e.logs.set(std::string(prefix) + "loss", e.loss);
    for (std::size_t i = 0; i < c.metrics.size(); ++i) e.logs.set(std::string(prefix) + c.metrics[i]->name(), results[i]);
    return e;
}

callbacks::History Sequential::fit(const Tensor& x, const Tensor& y, FitOptions o) {
    distributed::DataParallel* dp = o.distribution;  // nullptr: this process alone
    Prepared train, val;
    bool has_val = false;
    auto setup = [&] {
        check_fit_options(o);
        train = prepare("fit", x, y);
        has_val = o.validation_data.x.defined() || o.validation_split > 0.0;
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
    };
    if (!dp) setup();
    else
        detail::agree(dp->communicator(), "fit", setup, [&]() -> detail::Descriptor {
            return {{"the model configuration (hash of to_json())", model_fingerprint(*this)},
                    {"the trainable parameters", count_params()},
                    {"the optimizer (hash of its name)", detail::stable_hash(compiled_->optimizer->name())},
                    {"the loss (hash of its name)", detail::stable_hash(compiled_->loss->name())},
                    {"the training samples", train.samples()},
                    {"the training data (hash of its first and last samples)", data_fingerprint(train.x)},
                    {"the training labels (hash of their first and last samples)", data_fingerprint(train.y)},
                    {"the validation samples", has_val ? val.samples() : -1},
                    {"batch_size", o.batch_size},
                    {"epochs", o.epochs},
                    {"initial_epoch", o.initial_epoch},
                    {"shuffle", o.shuffle ? 1 : 0}};
        });
    Compiled& c = *compiled_;
    const std::int64_t n = train.samples(), bs = o.batch_size, steps = steps_for(n, bs);
    const bool chief = !dp || dp->is_chief();
    callbacks::CallbackList cbs(chief_only(o.callbacks, dp), /*add_history=*/true,
                                /*add_progbar=*/o.verbose != 0 && chief, this,
                                callbacks::Params{o.verbose, o.epochs, steps});
    detail::BatchGatherer gx(train.x, per_rank_batch(bs, dp)), gy(train.y, per_rank_batch(bs, dp));
    // Data-parallel: every step's gradients are averaged over the ranks
    // between the backward pass and the update (train_step.hpp).
    std::optional<detail::GradientAllreduce> sync;
    if (dp) sync.emplace(dp->communicator(), trainable_weights());
    detail::SyncScope sync_scope(*c.step, sync ? &*sync : nullptr);
    stop_training = false;
    resume_epoch.reset();
    callbacks::Logs epoch_logs;
    guarded(dp, "fit", [&] {
        cbs.on_train_begin({});
        // A callback (BackupAndRestore) may have restored an interrupted run:
        // start at its epoch, as Keras's model._initial_epoch.
        int first_epoch = resume_epoch.value_or(o.initial_epoch);
        resume_epoch.reset();
        // Rank 0's weights, optimizer state, random streams and epoch: every
        // rank starts from the same point and shuffles alike.
        if (dp) first_epoch = detail::adopt_rank0_state(dp->communicator(), *this, first_epoch);
        if (first_epoch < 0)
            throw ValueError("fit: a callback asked to resume at epoch " + std::to_string(first_epoch) +
                             ", which is negative");
        for (int epoch = first_epoch; epoch < o.epochs && !stop_training; ++epoch) {
            reset_metrics();
            cbs.on_epoch_begin(epoch, {});
            const Tensor order = o.shuffle ? random::permutation(n, rng_) : Tensor();
            bool invalid = false;
            double seen = 0;  // this rank's samples of the epoch
            for (std::int64_t b = 0; b < steps; ++b) {
                cbs.on_train_batch_begin(b, {});
                const std::int64_t start = b * bs, count = std::min(bs, n - start);
                // This rank's rows of the global batch (all of them in one process).
                const distributed::Shard part = dp ? dp->shard(count) : distributed::Shard{0, count};
                const std::int64_t first = start + part.offset;
                detail::StepResult r;
                Tensor yb;
                if (sync) sync->begin_step(count);
                if (part.count > 0) {
                    const Tensor xb = o.shuffle ? gx.gather(order.data<std::int64_t>() + first, part.count)
                                                : gx.slice(first, part.count);
                    yb = o.shuffle ? gy.gather(order.data<std::int64_t>() + first, part.count)
                                   : gy.slice(first, part.count);
                    r = c.step->train(xb, yb);
                } else {
                    // A global batch smaller than the world: this rank has no
                    // rows but takes part in the reduction and the update.
                    r = detail::apply_synced(*sync, *c.optimizer, r, {}, false, 0);
                }
                c.loss_tracker.update_state(r.loss, double(part.count));
                if (!r.applied) {
                    if (chief) report_invalid_loss(epoch, o.epochs, b, steps, r.loss);
                    invalid = stop_training = true;
                    break;
                }
                if (part.count > 0) update_metrics(yb, r.y_pred);
                seen += double(part.count);
                cbs.on_train_batch_end(b, current_logs().logs);
                if (dp) stop_training = detail::rank0_flag(dp->communicator(), stop_training);
                if (stop_training) break;
            }
            epoch_logs = dp ? reduced_logs(*dp, seen).logs : current_logs().logs;
            if (has_val && !invalid) {
                callbacks::Logs v = run_test(val, bs, cbs, dp).logs;
                for (const auto& [k, value] : v) epoch_logs.set("val_" + k, value);
            }
            cbs.on_epoch_end(epoch, epoch_logs);
            if (dp) stop_training = detail::rank0_flag(dp->communicator(), stop_training);
        }
        cbs.on_train_end(epoch_logs);
    });
    if (sync) print_timing(*dp, *sync);
    return *cbs.history();
}

Evaluation Sequential::run_test(const Prepared& all, std::int64_t batch_size, callbacks::CallbackList& cbs,
                                distributed::DataParallel* dp) {
    Compiled& c = *compiled_;
    reset_metrics();
    cbs.on_test_begin({});
    // Under a strategy: this rank's contiguous share, in per-rank batches.
    const distributed::Shard part = dp ? dp->shard(all.samples()) : distributed::Shard{0, all.samples()};
    const Prepared data = dp ? Prepared{all.x(Slice(part.offset, part.offset + part.count)),
                                        all.y(Slice(part.offset, part.offset + part.count))}
                             : all;
    batch_size = per_rank_batch(batch_size, dp);
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
    Evaluation e = dp ? reduced_logs(*dp, double(n)) : current_logs();
    cbs.on_test_end(e.logs);
    return e;
}

Evaluation Sequential::evaluate(const Tensor& x, const Tensor& y, EvaluateOptions o) {
    distributed::DataParallel* dp = o.distribution;
    Prepared data;
    auto setup = [&] {
        check_batch_size("evaluate", o.batch_size);
        data = prepare("evaluate", x, y);
    };
    if (!dp) setup();
    else
        detail::agree(dp->communicator(), "evaluate", setup, [&]() -> detail::Descriptor {
            return {{"the model configuration (hash of to_json())", model_fingerprint(*this)},
                    {"the samples", data.samples()},
                    {"the data (hash of its first and last samples)", data_fingerprint(data.x)},
                    {"batch_size", o.batch_size}};
        });
    // The progress bar (rank 0's) counts rank 0's batches.
    const std::int64_t own = dp ? dp->shard(data.samples()).count : data.samples();
    const bool chief = !dp || dp->is_chief();
    callbacks::CallbackList cbs(chief_only(o.callbacks, dp), false, o.verbose != 0 && chief, this,
                                callbacks::Params{o.verbose, 1, steps_for(own, per_rank_batch(o.batch_size, dp))});
    return guarded(dp, "evaluate", [&] { return run_test(data, o.batch_size, cbs, dp); });
}

Evaluation Sequential::evaluate(const Tensor& x, const Tensor& y, std::int64_t batch_size) {
    return evaluate(x, y, EvaluateOptions{.batch_size = batch_size});
}

// Each rank predicts its contiguous share; an allgather puts the rows
// back in order on every rank.
Tensor Sequential::predict_distributed(const Tensor& x, PredictOptions o) {
    distributed::DataParallel& dp = *o.distribution;
    Tensor in;
    detail::agree(
        dp.communicator(), "predict",
        [&] {
            check_batch_size("predict", o.batch_size);
            in = prepare_x("predict", x);
        },
        [&]() -> detail::Descriptor {
            return {{"the model configuration (hash of to_json())", model_fingerprint(*this)},
                    {"the samples", in.shape(0)},
                    {"the data (hash of its first and last samples)", data_fingerprint(in)},
                    {"batch_size", o.batch_size}};
        });
    const std::int64_t n = in.shape(0);
    PredictOptions local = o;
    local.distribution = nullptr;
    local.batch_size = per_rank_batch(o.batch_size, &dp);
    if (!dp.is_chief()) local = {.batch_size = local.batch_size, .verbose = 0};
    if (n == 0) return predict(in, local);
    const distributed::Shard part = dp.shard(n);
    return guarded(&dp, "predict", [&] {
        // A rank without rows predicts one anyway, for the shape and dtype.
        const std::int64_t lo = std::min(part.offset, n - 1);
        const Tensor mine = predict(in(Slice(lo, lo + std::max<std::int64_t>(part.count, 1))), local).contiguous();
        const std::size_t bytes = part.count > 0 ? mine.nbytes() : 0;
        const std::vector<std::byte> all =
            dp.communicator().allgather(std::span(static_cast<const std::byte*>(mine.raw_data()), bytes));
        Shape shape = mine.shape();
        shape[0] = n;
        Tensor out = Tensor::uninitialized(shape, mine.dtype());
        if (all.size() != out.nbytes())
            throw ValueError("predict (distributed): the ranks' predictions hold " + std::to_string(all.size()) +
                             " bytes, expected " + std::to_string(out.nbytes()));
        std::memcpy(out.raw_data(), all.data(), all.size());
        return out;
    });
}

Tensor Sequential::predict(const Tensor& x, PredictOptions o) {
    if (o.distribution) return predict_distributed(x, o);
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
