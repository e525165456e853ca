#pragma once
// Keras's callback protocol and its standard callbacks.
//
// fit() drives a CallbackList: set_model/set_params once, then
//   on_train_begin
//     on_epoch_begin(e)  { on_train_batch_begin(b) / on_train_batch_end(b) }*
//     [validation: on_test_begin, on_test_batch_*, on_test_end]
//     on_epoch_end(e, logs)           <- logs has loss, metrics, val_*
//   on_train_end
// Epoch and batch numbers are 0-based, as in Keras.
//
// Callbacks see the model only through ModelHandle, so this layer does not
// depend on nabla/models (the model implements ModelHandle).
#include <cstdint>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nabla/core/random.hpp"
#include "nabla/core/tensor.hpp"

namespace nabla::io {
class InPlaceWriter;  // nabla/io/file.hpp
}

namespace nabla::optimizers {
class Optimizer;
}

namespace nabla::callbacks {

// Keras's logs dict: metric name -> value, in insertion order (the order
// Keras prints them: loss, metrics, then val_loss, val_metrics).
class Logs {
public:
    using value_type = std::pair<std::string, double>;
    using const_iterator = std::vector<value_type>::const_iterator;

    Logs() = default;
    Logs(std::initializer_list<value_type> items);

    // Overwrites in place when present, else appends.
    void set(std::string_view key, double value);
    // The value; ValueError naming the key and the available keys.
    double at(std::string_view key) const;
    std::optional<double> get(std::string_view key) const;
    bool contains(std::string_view key) const;
    std::vector<std::string> keys() const;
    std::size_t size() const { return items_.size(); }
    bool empty() const { return items_.empty(); }
    const_iterator begin() const { return items_.begin(); }
    const_iterator end() const { return items_.end(); }
    friend bool operator==(const Logs&, const Logs&) = default;

private:
    std::vector<value_type> items_;
};

// What a callback may do to the model it observes. nabla::models::Sequential
// implements it.
class ModelHandle {
public:
    virtual ~ModelHandle() = default;
    // Keras's model.stop_training: fit() checks it after each epoch (and
    // after each batch) and stops when set; fit() clears it at its start.
    bool stop_training = false;
    // Copies of every weight (trainable and not), in the model's order.
    virtual std::vector<Tensor> get_weights() const = 0;
    // Restores weights produced by get_weights().
    virtual void set_weights(const std::vector<Tensor>& weights) = 0;
    // The compiled optimizer, or nullptr (for learning-rate callbacks).
    virtual optimizers::Optimizer* optimizer() { return nullptr; }
    // Keras's model.save / save_weights / load_weights (nabla/saving), so
    // that checkpoint callbacks can write and restore the model.
    virtual void save(const std::string& path, bool overwrite = true) const = 0;
    virtual void save_weights(const std::string& path, bool overwrite = true) const = 0;
    virtual void load_weights(const std::string& path) = 0;

    // --- exact resume (BackupAndRestore) ---
    // Every random stream fit draws from, in a fixed order (for Sequential:
    // "model", its shuffles, then each layer's, e.g. Dropout's masks). A
    // model without random streams returns none.
    using RandomState = std::vector<std::pair<std::string, random::GeneratorState>>;
    virtual RandomState random_state() const { return {}; }
    // Restores what random_state() returned; ValueError when it does not fit
    // this model's streams (nothing is changed then).
    virtual void set_random_state(const RandomState& state);
    // Keras's model._initial_epoch: a callback sets it in on_train_begin to
    // make fit start at that epoch (BackupAndRestore after a restart). fit()
    // clears it before on_train_begin.
    std::optional<int> resume_epoch;
};

// Keras's callback.params.
struct Params {
    int verbose = 1;
    int epochs = 1;
    std::optional<std::int64_t> steps = std::nullopt;  // batches per epoch (or per evaluate/predict run)
};

class Callback {
public:
    virtual ~Callback() = default;
    virtual void set_model(ModelHandle* model) { model_ = model; }
    virtual void set_params(const Params& params) { params_ = params; }
    ModelHandle* model() const { return model_; }
    const Params& params() const { return params_; }

    virtual void on_train_begin(const Logs& /*logs*/) {}
    virtual void on_train_end(const Logs& /*logs*/) {}
    virtual void on_epoch_begin(int /*epoch*/, const Logs& /*logs*/) {}
    virtual void on_epoch_end(int /*epoch*/, const Logs& /*logs*/) {}
    virtual void on_train_batch_begin(std::int64_t /*batch*/, const Logs& /*logs*/) {}
    virtual void on_train_batch_end(std::int64_t /*batch*/, const Logs& /*logs*/) {}
    virtual void on_test_begin(const Logs& /*logs*/) {}
    virtual void on_test_end(const Logs& /*logs*/) {}
    virtual void on_test_batch_begin(std::int64_t /*batch*/, const Logs& /*logs*/) {}
    virtual void on_test_batch_end(std::int64_t /*batch*/, const Logs& /*logs*/) {}
    virtual void on_predict_begin(const Logs& /*logs*/) {}
    virtual void on_predict_end(const Logs& /*logs*/) {}
    virtual void on_predict_batch_begin(std::int64_t /*batch*/, const Logs& /*logs*/) {}
    virtual void on_predict_batch_end(std::int64_t /*batch*/, const Logs& /*logs*/) {}

protected:
    ModelHandle* model_ = nullptr;
    Params params_;
};

// Keras's History: appended to every fit's callbacks (last) and returned
// by fit().
class History : public Callback {
public:
    void on_train_begin(const Logs& logs) override;
    void on_epoch_end(int epoch, const Logs& logs) override;
    // history[name][i]: the value logged at the end of the i-th epoch
    // recorded (kept across fit() calls, as Keras does); epoch: those epochs'
    // numbers (reset by each fit()).
    std::map<std::string, std::vector<double>> history;
    std::vector<int> epoch;
};

class ProgbarLogger;

// Calls every callback's hook in order. With add_progbar a ProgbarLogger is
// put first and with add_history a History last, unless `callbacks` already
// holds one (Keras's CallbackList); both get the params and model.
class CallbackList : public Callback {
public:
    CallbackList() = default;
    explicit CallbackList(std::vector<std::shared_ptr<Callback>> callbacks, bool add_history = false,
                          bool add_progbar = false, ModelHandle* model = nullptr, Params params = {});
    void append(std::shared_ptr<Callback> callback);
    const std::vector<std::shared_ptr<Callback>>& callbacks() const { return callbacks_; }
    // The History it added or found (nullptr without one).
    std::shared_ptr<History> history() const { return history_; }

    void set_model(ModelHandle* model) override;
    void set_params(const Params& params) override;
    void on_train_begin(const Logs& logs) override;
    void on_train_end(const Logs& logs) override;
    void on_epoch_begin(int epoch, const Logs& logs) override;
    void on_epoch_end(int epoch, const Logs& logs) override;
    void on_train_batch_begin(std::int64_t batch, const Logs& logs) override;
    void on_train_batch_end(std::int64_t batch, const Logs& logs) override;
    void on_test_begin(const Logs& logs) override;
    void on_test_end(const Logs& logs) override;
    void on_test_batch_begin(std::int64_t batch, const Logs& logs) override;
    void on_test_batch_end(std::int64_t batch, const Logs& logs) override;
    void on_predict_begin(const Logs& logs) override;
    void on_predict_end(const Logs& logs) override;
    void on_predict_batch_begin(std::int64_t batch, const Logs& logs) override;
    void on_predict_batch_end(std::int64_t batch, const Logs& logs) override;

private:
    std::vector<std::shared_ptr<Callback>> callbacks_;
    std::shared_ptr<History> history_;
};

// Keras 3's EarlyStopping, rule for rule:
// - mode "min"/"max" pick the comparison; "auto" takes the monitored
//   metric's direction (loss and errors down, accuracies up, see
//   metrics::direction_of) and throws ValueError when it is unknown. Any
//   other mode throws ValueError (Keras warns and falls back to "auto").
// - an epoch improves when current - min_delta beats best (min_delta is made
//   positive, and negated for "min"); the first counted epoch always does.
// - epochs before start_from_epoch, or whose logs lack `monitor` (a warning
//   on std::cerr naming the available keys), are ignored.
// - wait counts epochs since the last improvement; when wait >= patience
//   (and epoch > 0) model()->stop_training is set. An improvement that does
//   not also beat `baseline` does not reset wait.
// - restore_best_weights: at train end the weights of the best epoch are
//   restored, whether or not training stopped early (Keras 3; Keras 2 only
//   restored on an early stop).
// - verbose > 0 prints Keras's "Epoch 7: early stopping" and "Restoring
//   model weights from the end of the best epoch: 4." at train end.
struct EarlyStoppingOptions {
    std::string monitor = "val_loss";
    double min_delta = 0.0;
    int patience = 0;
    int verbose = 0;
    std::string mode = "auto";
    std::optional<double> baseline = std::nullopt;
    bool restore_best_weights = false;
    int start_from_epoch = 0;
    std::ostream* stream = nullptr;  // verbose messages; nullptr: std::cout
};
class EarlyStopping : public Callback {
public:
    explicit EarlyStopping(EarlyStoppingOptions options = {});
    void on_train_begin(const Logs& logs) override;
    void on_epoch_end(int epoch, const Logs& logs) override;
    void on_train_end(const Logs& logs) override;

    const EarlyStoppingOptions& options() const { return options_; }
    int wait() const { return wait_; }
    int stopped_epoch() const { return stopped_epoch_; }  // 0 when not stopped
    int best_epoch() const { return best_epoch_; }
    std::optional<double> best() const { return best_; }

private:
    bool is_improvement(double value, double reference) const;
    ModelHandle& require_model() const;  // ValueError without a model
    EarlyStoppingOptions options_;
    bool minimize_ = true;
    bool resolved_ = false;
    double min_delta_ = 0.0;  // signed as Keras's self.min_delta
    int wait_ = 0;
    int stopped_epoch_ = 0;
    int best_epoch_ = 0;
    std::optional<double> best_;
    std::optional<std::vector<Tensor>> best_weights_;
    bool warned_ = false;  // about a missing monitor, once per fit
};

// Keras's CSVLogger: one row per epoch, columns "epoch" then the log keys
// sorted by name (plus a "val_" copy of each when the first epoch has no
// val_ keys), missing values written "NA", floats as Python's repr() and
// rows ended by "\r\n" (Python's csv.excel dialect), so the file is
// byte-identical to Keras's. append: add to an existing file, writing the
// header only if the file is empty or absent.
// Each epoch rewrites the file through io::atomic_write, so a reader (or a
// crash) never sees a half-written row. A FIFO or device (a pipe,
// /dev/stdout) is held open for the fit instead and gets each row once.
// IOError names the file.
class CSVLogger : public Callback {
public:
    explicit CSVLogger(std::filesystem::path filename, char separator = ',', bool append = false);
    void on_train_begin(const Logs& logs) override;
    void on_epoch_end(int epoch, const Logs& logs) override;
    void on_train_end(const Logs& logs) override;
    const std::filesystem::path& filename() const { return filename_; }

private:
    std::filesystem::path filename_;
    char separator_;
    bool append_;
    bool write_header_ = true;   // this fit's file wants a header
    bool header_written_ = false;
    std::string content_;  // the whole file so far
    std::optional<std::vector<std::string>> keys_;
    std::shared_ptr<io::InPlaceWriter> stream_;  // a FIFO or device, during a fit
};

// Keras's LambdaCallback: any hook left empty does nothing.
struct LambdaCallbackFunctions {
    std::function<void(int epoch, const Logs&)> on_epoch_begin = {};
    std::function<void(int epoch, const Logs&)> on_epoch_end = {};
    std::function<void(std::int64_t batch, const Logs&)> on_train_batch_begin = {};
    std::function<void(std::int64_t batch, const Logs&)> on_train_batch_end = {};
    std::function<void(const Logs&)> on_train_begin = {};
    std::function<void(const Logs&)> on_train_end = {};
};
class LambdaCallback : public Callback {
public:
    explicit LambdaCallback(LambdaCallbackFunctions functions) : f_(std::move(functions)) {}
    void on_epoch_begin(int epoch, const Logs& logs) override;
    void on_epoch_end(int epoch, const Logs& logs) override;
    void on_train_batch_begin(std::int64_t batch, const Logs& logs) override;
    void on_train_batch_end(std::int64_t batch, const Logs& logs) override;
    void on_train_begin(const Logs& logs) override;
    void on_train_end(const Logs& logs) override;

private:
    LambdaCallbackFunctions f_;
};

// Python's repr() of a float ("0.1", "1e-05", "1.2345678901234567e+16",
// "nan", "inf"): how CSVLogger writes values.
std::string python_float_repr(double value);

}  // namespace nabla::callbacks
