#pragma once
// Keras 3 model files: models::load_model / model_from_json, with
// Sequential's save / save_weights / load_weights / to_json.
//
//   model.save("model.keras");                       // architecture + weights + optimizer state
//   auto again = models::load_model("model.keras");  // compiled, fit() continues where it stopped
//   model.save_weights("model.weights.h5");
//   model.load_weights("model.weights.h5");          // also .keras and legacy Keras 2/3 .h5
//
// The files are Keras's own (see docs/saving.md): Keras loads what nabla
// writes and nabla loads what Keras writes, optimizer state included. Do
// not open model files from untrusted sources (as with h5py and Keras).
#include <string>

#include "nabla/models/sequential.hpp"

namespace nabla::models {

struct LoadOptions {
    bool compile = true;  // restore the optimizer (with its state), loss and metrics
};

// A .keras file (zip of metadata.json, config.json, model.weights.h5).
// IOError naming the file and what is wrong (truncated zip, missing member,
// bad JSON or HDF5); ValueError for a class nabla does not have; ShapeError
// for weights that do not fit the architecture.
Sequential load_model(const std::string& path, LoadOptions options = {});

// The config.json object (a Sequential); built when the config has its
// input shape. Compile state in it is ignored, as Keras's model_from_json.
Sequential model_from_json(const std::string& json_text);

}  // namespace nabla::models
