// libFuzzer entry for the model-file readers: a .keras archive (zip +
// config.json + in-memory HDF5) or a .weights.h5 / legacy .h5. Any byte
// string must give a model or a nabla::Error (IOError, ValueError,
// ShapeError, DTypeError), never a crash, a hang or another exception.
//
// Configs may ask for models of any size (as in Keras: see docs/saving.md,
// the trust model); the harness skips configs whose layers are not tiny so
// that the search stays on the parsers, not on allocating weights.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "io/zip.hpp"
#include "nabla/core/error.hpp"
#include "nabla/nabla.hpp"
#include "saving/config.hpp"
#include "saving/legacy_h5.hpp"
#include "saving/weights_h5.hpp"

namespace {

using nabla::saving::detail::Json;

// Every integer in the config is small: units, shapes, seeds.
bool tiny(const Json& j, int depth = 0) {
    if (depth > 32) return false;
    if (j.is_number_integer() || j.is_number_unsigned()) return j.get<double>() >= -1 && j.get<double>() <= 64;
    if (j.is_array() || j.is_object()) {
        if (j.size() > 64) return false;
        for (const auto& v : j) if (!tiny(v, depth + 1)) return false;
    }
    return true;
}

nabla::models::Sequential fixed_model() {
    nabla::models::Sequential m({nabla::layers::Dense(4, "relu", {.input_shape = {3}}), nabla::layers::Dense(2)});
    m.compile(nabla::optimizers::Adam(), "mse");
    return m;
}

void check_keras(std::span<const std::uint8_t> input) {
    const nabla::io::detail::ZipReader zip(input, "fuzz.keras");
    std::vector<std::uint8_t> cbuf, wbuf;
    const auto config = zip.read("config.json", cbuf);
    const auto weights = zip.read("model.weights.h5", wbuf);
    const Json j = nabla::saving::detail::parse_json(
        std::string_view(reinterpret_cast<const char*>(config.data()), config.size()), "fuzz.keras");
    if (!tiny(j)) return;
    try {
        nabla::models::Sequential m = nabla::saving::detail::model_from_config(j, "fuzz.keras");
        auto st = nabla::saving::detail::compile_from_config(j, "fuzz.keras");
        if (st) m.compile(st->optimizer, st->loss, {});
        if (m.built()) nabla::saving::detail::load_weights_h5(m, m.optimizer(), weights, "fuzz.keras");
    } catch (const nlohmann::json::exception&) {
        // a config value of the wrong JSON type: load_model turns it into an IOError
    }
}

void check_h5(std::span<const std::uint8_t> input) {
    nabla::models::Sequential m = fixed_model();
    if (nabla::saving::detail::is_legacy_h5(input, "fuzz.h5"))
        nabla::saving::detail::load_legacy_h5(m, input, "fuzz.h5");
    else
        nabla::saving::detail::load_weights_h5(m, m.optimizer(), input, "fuzz.h5");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> input(data, size);
    try {
        if (size >= 2 && data[0] == 'P' && data[1] == 'K')
            check_keras(input);
        else
            check_h5(input);
    } catch (const nabla::Error&) {
    }
    return 0;
}
