#pragma once
// Internal: config.json, the architecture and compile state of a .keras
// file, as Keras 3.15 writes it: every object is
// {"module", "class_name", "config", "registered_name"} plus build_config /
// compile_config. Reading ignores keys it does not need (and
// shared_object_id); a class nabla does not have is a ValueError naming it
// and listing the supported ones.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "nabla/models/sequential.hpp"

namespace nabla::saving::detail {

using Json = nlohmann::ordered_json;

// The model's config.json object (with compile_config when compiled).
Json model_config(const models::Sequential& model);

// What compile_config describes, built.
struct CompileState {
    std::shared_ptr<optimizers::Optimizer> optimizer;
    std::shared_ptr<losses::Loss> loss;
    std::vector<std::shared_ptr<metrics::Metric>> metrics;
};

// The model a config describes (built when it has an input shape).
// `context` starts every message (the file name).
models::Sequential model_from_config(const Json& config, const std::string& context);
// The compile state in config["compile_config"], if any.
std::optional<CompileState> compile_from_config(const Json& config, const std::string& context);

// Parses JSON text; IOError naming `context` and the position on bad JSON.
Json parse_json(std::string_view text, const std::string& context);

}  // namespace nabla::saving::detail
