#pragma once
// keras.utils helpers for preparing data.
#include <cstdint>

#include "nabla/core/tensor.hpp"

namespace nabla::utils {

// One-hot encoding of integer class labels, as keras.utils.to_categorical:
// a float32 tensor of shape labels.shape + (num_classes,) with a 1 in the
// column of each label. A trailing axis of length 1 is dropped first, so
// (N, 1) labels give (N, num_classes) as in Keras. num_classes < 0 infers
// max(labels) + 1. Labels may be any integer dtype, bool, or floats holding
// whole numbers; a negative, fractional or too large label is a ValueError
// naming it and its position.
Tensor to_categorical(const Tensor& labels, std::int64_t num_classes = -1);

}  // namespace nabla::utils
