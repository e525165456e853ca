#pragma once
// Keras's progress bar (keras.utils.Progbar, Keras 2 format) and the
// ProgbarLogger callback that fit/evaluate/predict print through.
//
// verbose 1 on a terminal: the line is redrawn in place with '\r' at most
// every `interval` seconds, e.g.
//   Epoch 1/5
//   234/469 [==============>...............] - ETA: 1s - loss: 0.3512 - accuracy: 0.9012
// and finished as
//   469/469 [==============================] - 1s 2ms/step - loss: 0.2649 - accuracy: 0.9234
// verbose 1 elsewhere (a file, a pipe): only the finished line, so logs hold
// one line per epoch and no '\r'. verbose 2: Keras's one-line summary
//   469/469 - 1s - loss: 0.2649 - accuracy: 0.9234 - 1s/epoch - 2ms/step
// verbose 0: nothing. No ANSI escape codes are ever written.
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "nabla/training/callbacks.hpp"

namespace nabla::utils {

struct ProgbarOptions {
    int width = 30;          // characters between the brackets
    int verbose = 1;         // 0 silent, 1 bar, 2 one line when finished
    double interval = 0.05;  // seconds between redraws (verbose 1)
    // Values shown as given rather than averaged over the steps since the
    // previous update (fit's running metrics are all stateful).
    std::set<std::string> stateful_metrics;
    std::string unit_name = "step";
    // Where the bar goes; nullptr: std::cout.
    std::ostream* stream = nullptr;
    // Redraw in place with '\r'. Unset: whether the stream is std::cout or
    // std::cerr and that descriptor is a terminal (isatty).
    std::optional<bool> dynamic_display;
    // Seconds on a monotonic clock; empty: std::chrono::steady_clock.
    // Tests inject a fake one.
    std::function<double()> clock;
};

class Progbar {
public:
    // target: total steps, or std::nullopt when unknown ("    123/Unknown").
    explicit Progbar(std::optional<std::int64_t> target, ProgbarOptions options = {});

    // Progress is `current` steps. values: (name, value) pairs; a value not
    // in stateful_metrics is averaged over steps, weighted by the steps since
    // the previous update. finalize (default: current >= target) ends the
    // line.
    void update(std::int64_t current, const std::vector<std::pair<std::string, double>>& values = {},
                std::optional<bool> finalize = std::nullopt);
    // update(seen + n, values).
    void add(std::int64_t n, const std::vector<std::pair<std::string, double>>& values = {});

    std::optional<std::int64_t> target() const { return target_; }
    bool dynamic_display() const { return dynamic_; }

private:
    double now() const;
    std::string bar_text(std::int64_t current) const;
    std::string values_text(bool abs_threshold) const;
    double estimate_step_duration(std::int64_t current, double now);
    void update_verbose1(std::int64_t current, bool finalize, double now);
    void update_verbose2(std::int64_t current, bool finalize, double now);

    std::optional<std::int64_t> target_;
    ProgbarOptions options_;
    std::ostream* out_;
    bool dynamic_;
    double start_;
    double last_update_ = 0.0;
    bool any_update_ = false;
    std::optional<double> time_after_first_step_;
    double time_at_epoch_start_;
    std::optional<double> time_at_epoch_end_;
    std::int64_t seen_so_far_ = 0;
    std::size_t total_width_ = 0;
    std::vector<std::string> values_order_;
    std::map<std::string, std::pair<double, double>> values_;  // (sum, steps)
};

// Keras's duration formats: " 2ms/step", " 1s/epoch", " 35us/step".
std::string format_time(double time_per_unit, const std::string& unit_name);

}  // namespace nabla::utils

namespace nabla::callbacks {

using utils::Progbar;
using utils::ProgbarOptions;

// Prints fit()'s progress as Keras 2 does: "Epoch e/E" at each epoch start
// (only when epochs > 1), the bar updated after each batch (verbose 1) and
// finished with the epoch's logs (validation metrics included). Outside
// fit(), evaluate() and predict() get one bar each. verbose, epochs and steps
// come from set_params(); the options supply stream, clock, display mode.
class ProgbarLogger : public Callback {
public:
    explicit ProgbarLogger(ProgbarOptions options = {});
    void on_train_begin(const Logs& logs) override;
    void on_train_end(const Logs& logs) override;
    void on_epoch_begin(int epoch, const Logs& logs) override;
    void on_epoch_end(int epoch, const Logs& logs) override;
    void on_train_batch_end(std::int64_t batch, const Logs& logs) override;
    void on_test_begin(const Logs& logs) override;
    void on_test_batch_end(std::int64_t batch, const Logs& logs) override;
    void on_test_end(const Logs& logs) override;
    void on_predict_begin(const Logs& logs) override;
    void on_predict_batch_end(std::int64_t batch, const Logs& logs) override;
    void on_predict_end(const Logs& logs) override;

private:
    void start_bar();
    void batch_update(std::int64_t batch, const Logs& logs);
    void finish(const Logs& logs);
    std::ostream& out() const;

    ProgbarOptions options_;
    std::unique_ptr<Progbar> bar_;
    std::int64_t seen_ = 0;
    bool in_fit_ = false;
};

}  // namespace nabla::callbacks
