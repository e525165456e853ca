// Keras 3's BackupAndRestore (keras/src/callbacks/backup_and_restore.py),
// with the random streams and a checksum added to training_metadata.json so
// that a resumed run is bit-identical to an uninterrupted one.
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <system_error>

#include "nabla/io/file.hpp"
#include "nabla/training/checkpoints.hpp"

namespace nabla::callbacks {

namespace fs = std::filesystem;

namespace {

constexpr const char* kWeights = "latest.weights.h5";
constexpr const char* kPending = "pending.weights.h5";
constexpr const char* kMetadata = "training_metadata.json";

// FNV-1a over the file: ties a metadata file to the weights it was written
// with (not a defence against tampering, only against a torn pair).
std::string checksum(const fs::path& path) {
    std::uint64_t h = 0xcbf29ce484222325ull;
    for (std::uint8_t b : io::read_file(path)) h = (h ^ b) * 0x100000001b3ull;
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
}

void write_text(const fs::path& path, const std::string& text) {
    io::atomic_write(path, std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

void copy_atomically(const fs::path& from, const fs::path& to) { io::atomic_write(to, io::read_file(from)); }

// Files "<name>.tmp-<pid>-XXXXXX" (or, from older versions, "<name>.tmp-XXXXXX")
// that a killed save left behind; the backup directory belongs to one run.
void remove_stale_temporaries(const fs::path& dir) {
    static const std::regex temp(R"(.*\.tmp-([0-9]+-)?[A-Za-z0-9]{6})");
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        if (entry.is_regular_file(ec) && std::regex_match(entry.path().filename().string(), temp))
            fs::remove(entry.path(), ec);
    }
}

struct Metadata {
    int epoch = 0;
    std::int64_t batch = 0;
    std::optional<std::string> weights_checksum;
    ModelHandle::RandomState random;
};

Metadata read_metadata(const fs::path& path) {
    const std::vector<std::uint8_t> bytes = io::read_file(path);
    Metadata m;
    try {
        const nlohmann::json j = nlohmann::json::parse(bytes.begin(), bytes.end());
        m.epoch = j.at("epoch").get<int>();
        m.batch = j.value("batch", std::int64_t{0});
        if (j.contains("nabla")) {
            const nlohmann::json& n = j.at("nabla");
            m.weights_checksum = n.at("weights_checksum").get<std::string>();
            for (const auto& item : n.at("random"))
                m.random.emplace_back(item.at(0).get<std::string>(),
                                      random::parse_generator_state(item.at(1).get<std::string>()));
        }
    } catch (const nlohmann::json::exception& e) {
        throw IOError("BackupAndRestore: " + path.string() + " is not valid training metadata (" + e.what() +
                      "); delete the backup directory to start over");
    } catch (const ValueError& e) {
        throw IOError("BackupAndRestore: " + path.string() + ": " + e.what());
    }
    if (m.epoch < 0) throw IOError("BackupAndRestore: " + path.string() + " records a negative epoch");
    return m;
}

}  // namespace

BackupAndRestore::BackupAndRestore(fs::path backup_dir, BackupAndRestoreOptions options)
    : dir_(std::move(backup_dir)), options_(options), counter_(options.save_freq) {
    if (dir_.empty()) throw ValueError("Empty `backup_dir` argument passed");
}

bool BackupAndRestore::restore(const fs::path& weights, const fs::path& metadata_path) {
    std::error_code ec;
    const fs::path pending = dir_ / kPending;
    if (!fs::exists(metadata_path, ec)) {
        // Keras: weights without metadata are loaded; the run starts at 0.
        if (fs::exists(weights, ec)) model_->load_weights(weights.string());
        fs::remove(pending, ec);
        return fs::exists(weights, ec);
    }
    const Metadata m = read_metadata(metadata_path);
    if (m.weights_checksum) {
        // The metadata is written between the pending weights and their
        // rename: a kill there leaves the matching weights under `pending`.
        const bool latest_ok = fs::exists(weights, ec) && checksum(weights) == *m.weights_checksum;
        if (!latest_ok && weights == dir_ / kWeights && fs::exists(pending, ec) && checksum(pending) == *m.weights_checksum)
            fs::rename(pending, weights);
        else if (!latest_ok)
            throw IOError("BackupAndRestore: " + weights.string() + " does not match " + metadata_path.string() +
                          " (checksum " + *m.weights_checksum + "): the backup is torn; delete " + dir_.string() +
                          " to start over");
    }
    fs::remove(pending, ec);  // a save killed before its metadata: the old pair stands
    if (fs::exists(weights, ec)) model_->load_weights(weights.string());
    if (!m.random.empty()) model_->set_random_state(m.random);
    model_->resume_epoch = m.epoch;
    restored_epoch_ = m.epoch;
    return true;
}

void BackupAndRestore::on_train_begin(const Logs&) {
    if (!model_) throw ValueError("BackupAndRestore: no model set (set_model was not called)");
    counter_.reset();
    current_epoch_ = 0;
    restored_epoch_.reset();
    std::error_code ec;
    if (!fs::exists(dir_, ec)) return;
    remove_stale_temporaries(dir_);
    try {
        restore(dir_ / kWeights, dir_ / kMetadata);
    } catch (const IOError&) {
        // Keras: with a previous pair kept (double_checkpoint), fall back to it.
        const fs::path prev_w = dir_ / (std::string(kWeights) + ".bkp");
        const fs::path prev_m = dir_ / (std::string(kMetadata) + ".bkp");
        if (!options_.double_checkpoint || !fs::exists(prev_w, ec)) throw;
        copy_atomically(prev_w, dir_ / kWeights);
        if (fs::exists(prev_m, ec)) copy_atomically(prev_m, dir_ / kMetadata);
        else fs::remove(dir_ / kMetadata, ec);
        restore(dir_ / kWeights, dir_ / kMetadata);
    }
    if (restored_epoch_) current_epoch_ = *restored_epoch_;
}

void BackupAndRestore::on_epoch_end(int epoch, const Logs&) {
    current_epoch_ = epoch + 1;
    counter_.reset();  // Keras: _last_batch_seen = 0
    if (options_.save_freq.per_epoch()) save_backup();
}

void BackupAndRestore::on_train_batch_end(std::int64_t batch, const Logs&) {
    if (counter_.should_save(batch)) save_backup();
}

void BackupAndRestore::save_backup() {
    std::error_code ec;
    fs::create_directories(dir_, ec);
    if (ec) throw IOError("BackupAndRestore: cannot create the backup directory " + dir_.string() + ": " + ec.message());
    const fs::path weights = dir_ / kWeights, metadata = dir_ / kMetadata, pending = dir_ / kPending;
    if (options_.double_checkpoint) {
        if (fs::exists(weights, ec)) copy_atomically(weights, dir_ / (std::string(kWeights) + ".bkp"));
        if (fs::exists(metadata, ec)) copy_atomically(metadata, dir_ / (std::string(kMetadata) + ".bkp"));
    }
    // 1. the new weights beside the old ones; 2. the metadata naming them;
    // 3. the rename. A kill between any two steps leaves a consistent pair.
    model_->save_weights(pending.string(), /*overwrite=*/true);
    nlohmann::json random = nlohmann::json::array();
    for (const auto& [name, state] : model_->random_state()) random.push_back({name, random::to_string(state)});
    const nlohmann::json j = {{"epoch", current_epoch_},
                              {"batch", counter_.last_batch()},
                              {"nabla", {{"weights_checksum", checksum(pending)}, {"random", random}}}};
    write_text(metadata, j.dump());
    fs::rename(pending, weights, ec);
    if (ec) throw IOError("BackupAndRestore: cannot rename " + pending.string() + " to " + weights.string() + ": " + ec.message());
}

void BackupAndRestore::on_train_end(const Logs&) {
    // Keras deletes the backup at the end of fit; a fit stopped by a
    // non-finite loss also ends here.
    std::error_code ec;
    if (options_.delete_checkpoint && fs::exists(dir_, ec)) fs::remove_all(dir_, ec);
}

}  // namespace nabla::callbacks
