// Keras 3's ModelCheckpoint (keras/src/callbacks/model_checkpoint.py and
// monitor_callback.py), and the save_freq counting it shares with
// BackupAndRestore.
#include <cmath>
#include <filesystem>
#include <iostream>
#include <system_error>

#include "nabla/training/checkpoints.hpp"
#include "nabla/training/metrics.hpp"
#include "nabla/training/path_format.hpp"

namespace nabla::callbacks {

// --- SaveFreq / BatchCounter ---

SaveFreq::SaveFreq(std::string_view text) {
    if (text != "epoch")
        throw ValueError("Unrecognized save_freq: '" + std::string(text) +
                         "'. Expected save_freq are 'epoch' or integer values (a number of batches)");
}

SaveFreq::SaveFreq(std::int64_t batches) : batches_(batches) {
    if (batches <= 0)
        throw ValueError("save_freq must be 'epoch' or a positive number of batches, got " + std::to_string(batches));
}

std::string SaveFreq::to_string() const { return per_epoch() ? "epoch" : std::to_string(batches_); }

bool BatchCounter::should_save(std::int64_t batch) {
    if (freq_.per_epoch()) return false;
    // Keras: a batch number not above the last one starts a new epoch.
    seen_ += batch <= last_ ? batch + 1 : batch - last_;
    last_ = batch;
    if (seen_ >= freq_.batches()) {
        seen_ = 0;
        return true;
    }
    return false;
}

// --- ModelCheckpoint ---

namespace {

bool ends_with(const std::string& s, std::string_view suffix) { return s.ends_with(suffix); }

std::string five(double v) { return format_value(v, ".5f"); }

}  // namespace

ModelCheckpoint::ModelCheckpoint(std::string filepath, ModelCheckpointOptions options)
    : filepath_(std::move(filepath)), options_(std::move(options)), counter_(options_.save_freq) {
    if (options_.save_weights_only) {
        if (!ends_with(filepath_, ".weights.h5"))
            throw ValueError("When using `save_weights_only=True` in `ModelCheckpoint`, the filepath provided must "
                             "end in `.weights.h5` (Keras weights format). Received: filepath=" + filepath_);
    } else if (!ends_with(filepath_, ".keras") && !ends_with(filepath_, ".h5")) {
        throw ValueError("The filepath provided must end in `.keras` (Keras model format). Received: filepath=" +
                         filepath_);
    }
    minimize_ = metrics::monitor_minimizes("ModelCheckpoint", options_.mode, options_.monitor);
    best_ = options_.initial_value_threshold;
}

void ModelCheckpoint::on_train_begin(const Logs&) { counter_.reset(); }

void ModelCheckpoint::on_epoch_begin(int epoch, const Logs&) { current_epoch_ = epoch; }

void ModelCheckpoint::on_epoch_end(int epoch, const Logs& logs) {
    if (options_.save_freq.per_epoch()) save_model(epoch, std::nullopt, logs);
}

void ModelCheckpoint::on_train_batch_end(std::int64_t batch, const Logs& logs) {
    if (counter_.should_save(batch)) save_model(current_epoch_, batch, logs);
}

std::string ModelCheckpoint::file_path(int epoch, std::optional<std::int64_t> batch, const Logs& logs) const {
    FormatArgs args{{"epoch", std::int64_t{epoch} + 1}};
    if (batch && !logs.contains("batch")) args.emplace_back("batch", *batch + 1);
    for (const auto& [k, v] : logs) args.emplace_back(k, v);
    try {
        return format_filepath(filepath_, args);
    } catch (const FormatKeyError& e) {
        std::string keys;
        for (const auto& [k, v] : args) keys += (keys.empty() ? "" : ", ") + k;
        throw ValueError("Failed to format this callback filepath: \"" + filepath_ + "\". Reason: " + e.what() +
                         " (the values available are: " + keys + ")");
    }
}

bool ModelCheckpoint::should_save(int epoch, const Logs& logs, const std::string& path) {
    std::ostream& out = options_.stream ? *options_.stream : std::cout;
    const std::string at = "\nEpoch " + std::to_string(epoch + 1) + ": ";
    if (!options_.save_best_only) {
        if (options_.verbose > 0) out << at << "saving model to " << path << "\n";
        return true;
    }
    const std::optional<double> current = logs.get(options_.monitor);
    if (!current) {
        std::cerr << "Warning: Can save best model only with " << options_.monitor << " available.\n";
        return true;
    }
    const double reference = best_.value_or(minimize_ ? HUGE_VAL : -HUGE_VAL);
    const bool improved = minimize_ ? *current < reference : *current > reference;
    const std::string best_text = five(reference);
    if (!improved) {
        if (options_.verbose > 0) out << at << options_.monitor << " did not improve from " << best_text << "\n";
        return false;
    }
    if (options_.verbose > 0)
        out << at << options_.monitor << " improved from " << best_text << " to " << five(*current)
            << ", saving model to " << path << "\n";
    best_ = *current;
    return true;
}

void ModelCheckpoint::save_model(int epoch, std::optional<std::int64_t> batch, const Logs& logs) {
    if (!model_) throw ValueError("ModelCheckpoint: no model set (set_model was not called)");
    const std::string path = file_path(epoch, batch, logs);
    if (!should_save(epoch, logs, path)) return;
    namespace fs = std::filesystem;
    std::error_code ec;
    if (fs::is_directory(path, ec))
        throw IOError("Please specify a non-directory filepath for ModelCheckpoint. Filepath used is an existing "
                      "directory: " + path);
    const fs::path parent = fs::path(path).parent_path();
    if (!parent.empty() && !fs::exists(parent, ec)) {
        fs::create_directories(parent, ec);
        if (ec) throw IOError("ModelCheckpoint: cannot create the directory " + parent.string() + ": " + ec.message());
    }
    if (options_.save_weights_only) model_->save_weights(path, /*overwrite=*/true);
    else model_->save(path, /*overwrite=*/true);
    if (options_.verbose > 0) {
        std::ostream& out = options_.stream ? *options_.stream : std::cout;
        out << "\nEpoch " << epoch + 1 << ": finished saving model to " << path << "\n";
    }
}

}  // namespace nabla::callbacks
