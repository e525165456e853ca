#pragma once
// Internal: the one seam between fit()/evaluate()/predict() and the
// arithmetic of a batch.
//
// The loops in training.cpp only gather batches, keep the running metrics
// and call callbacks; everything that touches the model's numbers for one
// batch goes through a TrainStep. The reference implementation records the
// forward pass on a GradientTape, differentiates the loss and hands the
// gradients to the optimizer. A faster implementation (a fused,
// allocation-free Dense-stack step, say) can replace it in make_train_step()
// without any change to the loops.
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "nabla/autodiff/variable.hpp"
#include "nabla/core/tensor.hpp"
#include "nabla/training/losses.hpp"
#include "nabla/training/optimizers.hpp"

namespace nabla::models {
class Sequential;
}

namespace nabla::models::detail {

struct StepResult {
    double loss = 0;  // the batch's mean loss
    Tensor y_pred;    // the batch's predictions, for the metrics
    bool applied = true;  // false when the loss was not finite and no update was made
};

// Data-parallel fit: the seam between the gradients and the optimizer
// update of a step (both the tape step and the fused step call it).
class GradientSync {
public:
    virtual ~GradientSync() = default;
    // `pairs` hold this process's mean gradients over its `rows` rows and
    // `local_loss` their mean loss (NaN allowed; no pairs when rows is 0).
    // Returns the gradients averaged over every process's rows (what one
    // process would compute for the global batch) and sets `loss` to the
    // global mean loss; every process gets the same bits.
    virtual std::span<const optimizers::GradientAndVariable> reduce(
        std::span<const optimizers::GradientAndVariable> pairs, double local_loss, std::int64_t rows,
        double& loss) = 0;
};

class TrainStep {
public:
    virtual ~TrainStep() = default;
    // Set for the duration of a data-parallel fit (nullptr: one process).
    virtual void set_sync(GradientSync* sync) { sync_ = sync; }
    // One optimisation step on (x, y) in training mode. If the loss is NaN
    // or infinite the weights are left as they were (applied = false).
    virtual StepResult train(const Tensor& x, const Tensor& y) = 0;
    // The loss and predictions in inference mode; no update.
    virtual StepResult test(const Tensor& x, const Tensor& y) = 0;
    // Predictions in inference mode.
    virtual Tensor predict(const Tensor& x) = 0;

protected:
    GradientSync* sync_ = nullptr;
};

// The end of a step under a GradientSync: the reduction (every rank takes
// part, whatever its own loss), then the update unless any rank's loss was
// not finite. `finite`: this rank computed `pairs` (its loss was finite).
StepResult apply_synced(GradientSync& sync, optimizers::Optimizer& optimizer, StepResult r,
                        std::span<const optimizers::GradientAndVariable> pairs, bool finite, std::int64_t rows);

// The step for this model, loss and optimizer (all outlive the step).
std::unique_ptr<TrainStep> make_train_step(Sequential& model, const losses::Loss& loss,
                                           optimizers::Optimizer& optimizer);

}  // namespace nabla::models::detail
