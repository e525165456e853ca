#pragma once
// Internal: Keras 3's model.weights.h5 (also the whole of a .weights.h5).
//
//   /vars                     attr name = model name (no variables)
//   /layers/<snake>[_n]/vars  attr name = layer name; datasets "0", "1", ...
//                             in weight order (a Dense: kernel, bias)
//   /optimizer/vars           attr name = optimizer's Keras name
//     0 iteration (int64), 1 learning rate (float32), then the slots in
//     Keras's order (slot_order below)
//
// Groups are named by the container walk (snake-cased class name with _1,
// _2... per class), not by the layer names, as Keras does.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "nabla/models/sequential.hpp"
#include "nabla/training/optimizers.hpp"

namespace nabla::saving::detail {

// "Dense" -> "dense", "RMSprop" -> "rm_sprop" (Keras's to_snake_case).
std::string snake_case(std::string_view class_name);

// The group key of each layer that Keras lists (InputLayer is not), in order:
// {"dense", layer}, {"dense_1", layer}, ...
std::vector<std::pair<std::string, const layers::Layer*>> layer_keys(const models::Sequential& model);

// The optimizer's saved slots in Keras's order: (variable index, slot index)
// pairs over the trainable variables.
std::vector<std::pair<std::size_t, std::size_t>> slot_order(const optimizers::Optimizer& optimizer,
                                                            std::size_t variables);

// The file's bytes. `optimizer` may be null (an uncompiled model).
std::vector<std::uint8_t> weights_h5_bytes(const models::Sequential& model, optimizers::Optimizer* optimizer,
                                           const std::string& context);

// Reads everything, checks it against the model, then assigns: a bad file
// changes nothing. The optimizer state is restored when `optimizer` is not
// null and the file has state of the same size (else a warning, as Keras).
void load_weights_h5(models::Sequential& model, optimizers::Optimizer* optimizer,
                     std::span<const std::uint8_t> bytes, const std::string& context);

}  // namespace nabla::saving::detail
