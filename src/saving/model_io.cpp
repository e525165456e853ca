// Sequential's save / save_weights / load_weights / to_json and
// models::load_model / model_from_json: the file-level side (names, zip
// members, atomic writes). The formats are in config.cpp, weights_h5.cpp and
// legacy_h5.cpp.
#include <ctime>
#include <filesystem>

#include "io/zip.hpp"
#include "models/sequential_state.hpp"
#include "nabla/core/error.hpp"
#include "nabla/io/file.hpp"
#include "nabla/saving/saving.hpp"
#include "saving/config.hpp"
#include "saving/hdf5.hpp"
#include "saving/legacy_h5.hpp"
#include "saving/weights_h5.hpp"

namespace nabla::models {
namespace {

using saving::detail::Json;

bool ends_with(const std::string& s, std::string_view tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

void check_overwrite(const std::string& op, const std::string& path, bool overwrite) {
    std::error_code ec;
    if (!overwrite && std::filesystem::exists(path, ec))
        throw IOError(op + ": '" + path + "' already exists and overwrite is false");
}

std::string metadata_json() {
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    localtime_r(&now, &tm);
    char date[32];
    std::strftime(date, sizeof date, "%Y-%m-%d@%H:%M:%S", &tm);
    Json m;
    m["keras_version"] = "3.15.1";  // the Keras format these files follow
    m["date_saved"] = date;
    m["nabla_version"] = "0.1.0";
    return m.dump();
}

constexpr const char* kConfig = "config.json";
constexpr const char* kWeights = "model.weights.h5";

std::span<const std::uint8_t> as_bytes(const std::string& s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

bool is_zip(std::span<const std::uint8_t> b) { return b.size() >= 4 && b[0] == 'P' && b[1] == 'K'; }

// Messages from the layer and optimizer constructors get the file's name.
template <typename F>
auto with_context(const std::string& ctx, F&& f) {
    try {
        return f();
    } catch (const nlohmann::json::exception& e) {
        throw IOError(ctx + ": bad config.json: " + e.what());
    } catch (const ValueError& e) {
        if (std::string_view(e.what()).starts_with(ctx)) throw;
        throw ValueError(ctx + ": " + e.what());
    }
}

// The members a .keras must have, read (and CRC-checked) from the zip.
struct KerasArchive {
    std::vector<std::uint8_t> file, config_buf, weights_buf;
    std::unique_ptr<io::detail::ZipReader> zip;
    std::span<const std::uint8_t> config, weights;
};

void open_archive(KerasArchive& a, const std::string& ctx, bool need_config) {
    a.zip = std::make_unique<io::detail::ZipReader>(a.file, ctx);
    for (const char* m : {kConfig, kWeights})
        if ((need_config || std::string(m) == kWeights) && !a.zip->has(m))
            throw IOError(ctx + ": not a complete .keras archive: the member '" + m + "' is missing");
    if (need_config) a.config = a.zip->read(kConfig, a.config_buf);
    a.weights = a.zip->read(kWeights, a.weights_buf);
}

}  // namespace

std::string Sequential::to_json() const { return saving::detail::model_config(*this).dump(); }

void Sequential::save_weights(const std::string& path, bool overwrite) const {
    const std::string ctx = "save_weights: '" + path + "'";
    if (!ends_with(path, ".weights.h5"))
        throw ValueError("save_weights: the filename must end in '.weights.h5' (Keras's rule); got '" + path + "'");
    check_overwrite("save_weights", path, overwrite);
    const std::vector<std::uint8_t> bytes =
        saving::detail::weights_h5_bytes(*this, compiled_ ? compiled_->optimizer.get() : nullptr, ctx);
    io::atomic_write(path, bytes);
}

void Sequential::save(const std::string& path, bool overwrite) const {
    const std::string ctx = "save: '" + path + "'";
    if (!ends_with(path, ".keras"))
        throw ValueError("save: the filename must end in '.keras' (Keras's rule; for weights only use save_weights "
                         "with '.weights.h5'); got '" + path + "'");
    check_overwrite("save", path, overwrite);
    const std::string metadata = metadata_json();
    const std::string config = to_json();
    const std::vector<std::uint8_t> weights =
        saving::detail::weights_h5_bytes(*this, compiled_ ? compiled_->optimizer.get() : nullptr, ctx);
    // Keras writes the members stored, in this order.
    const std::vector<std::uint8_t> zip = io::detail::zip_bytes(
        {{"metadata.json", as_bytes(metadata)}, {kConfig, as_bytes(config)}, {kWeights, weights}}, false, "save");
    io::atomic_write(path, zip);
}

void Sequential::load_weights(const std::string& path) {
    const std::string ctx = "load_weights: '" + path + "'";
    KerasArchive a;
    a.file = io::read_file(path);
    optimizers::Optimizer* opt = compiled_ ? compiled_->optimizer.get() : nullptr;
    if (is_zip(a.file)) {
        open_archive(a, ctx, false);
        saving::detail::load_weights_h5(*this, opt, a.weights, ctx);
        return;
    }
    if (!saving::h5::is_hdf5(a.file))
        throw IOError(ctx + ": neither a .keras zip nor an HDF5 weights file (bad signature)");
    if (saving::detail::is_legacy_h5(a.file, ctx))
        saving::detail::load_legacy_h5(*this, a.file, ctx);
    else
        saving::detail::load_weights_h5(*this, opt, a.file, ctx);
}

Sequential model_from_json(const std::string& json_text) {
    const std::string ctx = "model_from_json";
    return with_context(ctx, [&] {
        return saving::detail::model_from_config(saving::detail::parse_json(json_text, ctx), ctx);
    });
}

Sequential load_model(const std::string& path, LoadOptions options) {
    const std::string ctx = "load_model: '" + path + "'";
    if (!ends_with(path, ".keras"))
        throw ValueError(ctx + ": nabla loads '.keras' model files (for weights files use load_weights)");
    KerasArchive a;
    a.file = io::read_file(path);
    open_archive(a, ctx, true);
    const std::string_view text(reinterpret_cast<const char*>(a.config.data()), a.config.size());
    const Json config = saving::detail::parse_json(text, ctx);
    Sequential model = with_context(ctx, [&] { return saving::detail::model_from_config(config, ctx); });
    if (options.compile) {
        auto st = with_context(ctx, [&] { return saving::detail::compile_from_config(config, ctx); });
        if (st) {
            std::vector<MetricArg> metrics(st->metrics.begin(), st->metrics.end());
            model.compile(st->optimizer, st->loss, std::move(metrics));
        }
    }
    if (model.built())
        saving::detail::load_weights_h5(model, model.optimizer(), a.weights, ctx);
    return model;
}

}  // namespace nabla::models
