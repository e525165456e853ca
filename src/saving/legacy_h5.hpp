#pragma once
// Internal: weights from legacy HDF5 model files, as Keras 3's
// legacy_h5_format loads them: Keras 3's model.save("x.h5")
// (model_weights/<layer>/<path>, weight_names = variable paths), Keras 2 /
// tf-keras (model_weights/<layer>/<layer>/kernel:0) and Keras 2's
// save_weights("x.h5") (the same groups at the file root). The
// layer_names / weight_names attributes may hold fixed- or variable-length
// strings and may be split into layer_names0, layer_names1, ... Weights go
// by the order of the layers that have weights, as Keras (by_name=False).
#include <cstdint>
#include <span>
#include <string>

#include "nabla/models/sequential.hpp"

namespace nabla::saving::detail {

// An HDF5 file without Keras 3's /layers group but with legacy weights.
bool is_legacy_h5(std::span<const std::uint8_t> bytes, const std::string& context);
void load_legacy_h5(models::Sequential& model, std::span<const std::uint8_t> bytes, const std::string& context);

}  // namespace nabla::saving::detail
