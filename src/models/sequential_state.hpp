#pragma once
// Internal: Sequential's compiled state and validated data, shared by
// training.cpp and checks.cpp.
#include <memory>
#include <vector>

#include "nabla/models/sequential.hpp"
#include "train_step.hpp"

namespace nabla::models {

struct Sequential::Compiled {
    std::shared_ptr<optimizers::Optimizer> optimizer;
    std::shared_ptr<losses::Loss> loss;
    std::vector<std::shared_ptr<metrics::Metric>> metrics;
    metrics::Mean loss_tracker{"loss"};
    std::unique_ptr<detail::TrainStep> step;
};

// Inputs and labels checked against the model and the loss, with the
// labels converted once (not per batch) to what the loss takes.
struct Sequential::Prepared {
    Tensor x, y;
    std::int64_t samples() const { return x.shape(0); }
};

}  // namespace nabla::models
