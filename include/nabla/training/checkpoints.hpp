#pragma once
// Keras's ModelCheckpoint and BackupAndRestore callbacks.
//
//   model.fit(x, y, {.epochs = 10, .validation_split = 0.2, .callbacks = {
//       std::make_shared<callbacks::ModelCheckpoint>("ckpt-{epoch:02d}-{val_loss:.2f}.keras"),
//       std::make_shared<callbacks::BackupAndRestore>("backup")}});
//
// Both save through the model's save / save_weights (atomic: temp file,
// fsync, rename), so a crash never leaves a half-written checkpoint.
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

#include "nabla/training/callbacks.hpp"

namespace nabla::callbacks {

// save_freq: "epoch" (after every epoch) or a number of batches.
class SaveFreq {
public:
    SaveFreq(const char* text) : SaveFreq(std::string_view(text)) {}
    SaveFreq(std::string_view text);  // only "epoch"; ValueError otherwise
    SaveFreq(std::int64_t batches);   // ValueError unless > 0
    SaveFreq(int batches) : SaveFreq(std::int64_t{batches}) {}
    bool per_epoch() const { return batches_ == 0; }
    std::int64_t batches() const { return batches_; }
    std::string to_string() const;

private:
    std::int64_t batches_ = 0;  // 0: per epoch
};

// Counts batches across epochs as Keras's _should_save_on_batch.
class BatchCounter {
public:
    explicit BatchCounter(SaveFreq freq) : freq_(freq) {}
    // True when this batch completes save_freq batches since the last save.
    bool should_save(std::int64_t batch);
    void reset() { seen_ = 0, last_ = 0; }
    std::int64_t last_batch() const { return last_; }

private:
    SaveFreq freq_;
    std::int64_t seen_ = 0, last_ = 0;
};

// Keras 3's ModelCheckpoint, rule for rule:
// - filepath is Python-str.format'ted with epoch (1-based), batch (1-based,
//   only for batch saves) and the logs: "ckpt-{epoch:02d}-{val_loss:.2f}.keras"
//   (see path_format.hpp); a missing key is a ValueError "Failed to format
//   this callback filepath: \"...\". Reason: 'val_los'" listing the keys.
// - save_weights_only requires ".weights.h5", else ".keras" (or ".h5").
// - save_best_only: save only when `monitor` improves on the best so far
//   (initial_value_threshold, else +-inf); mode "auto" takes the monitor's
//   direction (loss down, accuracy up) and throws when unknown. A logs entry
//   without `monitor` warns and saves anyway (Keras).
// - save_freq "epoch" saves at each epoch end; an integer every that many
//   batches (counted across epochs).
// - the parent directory is created when missing; an existing directory as
//   the target is an IOError.
// - verbose > 0 prints Keras's messages ("Epoch 3: val_loss improved from
//   0.31234 to 0.25671, saving model to ...").
struct ModelCheckpointOptions {
    std::string monitor = "val_loss";
    int verbose = 0;
    bool save_best_only = false;
    bool save_weights_only = false;
    std::string mode = "auto";
    SaveFreq save_freq = "epoch";
    std::optional<double> initial_value_threshold = std::nullopt;
    std::ostream* stream = nullptr;  // verbose messages; nullptr: std::cout
};
class ModelCheckpoint : public Callback {
public:
    explicit ModelCheckpoint(std::string filepath, ModelCheckpointOptions options = {});
    void on_train_begin(const Logs& logs) override;
    void on_epoch_begin(int epoch, const Logs& logs) override;
    void on_epoch_end(int epoch, const Logs& logs) override;
    void on_train_batch_end(std::int64_t batch, const Logs& logs) override;

    // The path a save at (epoch, batch) with these logs goes to (both 0-based).
    std::string file_path(int epoch, std::optional<std::int64_t> batch, const Logs& logs) const;
    std::optional<double> best() const { return best_; }
    const ModelCheckpointOptions& options() const { return options_; }

private:
    void save_model(int epoch, std::optional<std::int64_t> batch, const Logs& logs);
    bool should_save(int epoch, const Logs& logs, const std::string& path);
    std::string filepath_;
    ModelCheckpointOptions options_;
    bool minimize_ = true;
    std::optional<double> best_;
    BatchCounter counter_;
    int current_epoch_ = 0;
};

// Keras 3's BackupAndRestore, plus exact resume.
// - Saves backup_dir/latest.weights.h5 (weights and optimizer state, via
//   save_weights) and training_metadata.json {"epoch": next epoch, "batch"}
//   at each epoch end (save_freq "epoch") or every save_freq batches.
// - At fit's start, when a backup exists, loads it and makes fit start at
//   the recorded epoch (Keras's _initial_epoch): a run killed during epoch k
//   restarts at the start of epoch k.
// - Beyond Keras: the metadata also holds every random stream of the model
//   (its shuffles, each layer's Dropout masks) and the weights file's
//   checksum. With epoch backups, a resumed run ends with weights
//   bit-identical to an uninterrupted one (same seed, same thread count).
//   A mid-epoch backup (integer save_freq) resumes as Keras does, replaying
//   that epoch from its start with the mid-epoch weights, so it is not
//   bit-identical.
// - The weights go to pending.weights.h5 first; the metadata naming its
//   checksum is written next, then pending is renamed to latest: a kill at
//   any moment leaves a consistent pair (the old one or the new one). Stale
//   temporary files of a killed save are removed at the next start.
// - double_checkpoint keeps the previous pair as *.bkp and falls back to it
//   when the latest cannot be read. delete_checkpoint removes backup_dir at
//   the end of a completed fit.
struct BackupAndRestoreOptions {
    SaveFreq save_freq = "epoch";
    bool delete_checkpoint = true;
    bool double_checkpoint = false;
};
class BackupAndRestore : public Callback {
public:
    explicit BackupAndRestore(std::filesystem::path backup_dir, BackupAndRestoreOptions options = {});
    void on_train_begin(const Logs& logs) override;
    void on_epoch_end(int epoch, const Logs& logs) override;
    void on_train_batch_end(std::int64_t batch, const Logs& logs) override;
    void on_train_end(const Logs& logs) override;

    const std::filesystem::path& backup_dir() const { return dir_; }
    // The epoch the last restore resumed at (nullopt: nothing was restored).
    std::optional<int> restored_epoch() const { return restored_epoch_; }

private:
    void save_backup();
    bool restore(const std::filesystem::path& weights, const std::filesystem::path& metadata);
    std::filesystem::path dir_;
    BackupAndRestoreOptions options_;
    BatchCounter counter_;
    int current_epoch_ = 0;
    std::optional<int> restored_epoch_;
};

}  // namespace nabla::callbacks
