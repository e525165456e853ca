#pragma once
// Shared by `nabla evaluate` and `nabla predict`: a dataset split fed to a
// saved model the way the model says it wants it.
#include <filesystem>
#include <optional>
#include <string>

#include "nabla/models/sequential.hpp"

namespace nabla::cli {

struct ModelData {
    Tensor x;       // images in the model's input shape, float32 in [0, 1]
    Tensor labels;  // (N,) int64 class ids
    Tensor y;       // labels as the model's loss expects them (ids or one-hot)
};

// Loads `split` ("train" or "test") of `dataset` (mnist, fashion_mnist) and
// shapes it for `model`: (N, 784), (N, 28, 28) or (N, 28, 28, 1) as its
// input declares; ValueError naming the model's input shape otherwise.
// Labels are integers for a sparse loss (or no loss), else one-hot over the
// model's output width.
ModelData load_for_model(models::Sequential& model, const std::string& model_path, const std::string& dataset,
                         const std::string& split, const std::optional<std::filesystem::path>& dir);

}  // namespace nabla::cli
