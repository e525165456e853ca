#include "train_step.hpp"

#include <cmath>
#include <cstdlib>
#include <string>

#include "stack_step.hpp"
#include "nabla/autodiff/gradient_tape.hpp"
#include "nabla/models/sequential.hpp"

namespace nabla::models::detail {

namespace {

// The reference step: GradientTape over the layers' own forward passes.
class TapeTrainStep final : public TrainStep {
public:
    TapeTrainStep(Sequential& model, const losses::Loss& loss, optimizers::Optimizer& optimizer)
        : model_(model), loss_(loss), optimizer_(optimizer) {}

    StepResult train(const Tensor& x, const Tensor& y) override {
        // Read each step: freezing a layer between two fit() calls takes effect.
        std::vector<Variable> vars = model_.trainable_weights();
        std::vector<Tensor> sources(vars.begin(), vars.end());
        StepResult r;
        std::vector<Tensor> grads;
        {
            GradientTape tape;
            r.y_pred = model_(x, /*training=*/true);
            Tensor loss = loss_.call(y, r.y_pred);
            r.loss = loss.item<double>();
            if (!std::isfinite(r.loss)) {
                r.applied = false;
                if (sync_) return apply_synced(*sync_, optimizer_, r, {}, false, x.shape(0));
                return r;
            }
            grads = tape.gradient(loss, sources);
        }
        std::vector<optimizers::GradientAndVariable> pairs;
        pairs.reserve(vars.size());
        for (std::size_t i = 0; i < vars.size(); ++i) pairs.emplace_back(grads[i], &vars[i]);
        if (sync_) return apply_synced(*sync_, optimizer_, r, pairs, true, x.shape(0));
        if (!pairs.empty()) optimizer_.apply_gradients(pairs);
        return r;
    }

    StepResult test(const Tensor& x, const Tensor& y) override {
        StepResult r;
        r.y_pred = model_(x, /*training=*/false);
        r.loss = loss_.call(y, r.y_pred).item<double>();
        r.applied = false;
        return r;
    }

    Tensor predict(const Tensor& x) override { return model_(x, /*training=*/false); }

private:
    Sequential& model_;
    const losses::Loss& loss_;
    optimizers::Optimizer& optimizer_;
};

}  // namespace

StepResult apply_synced(GradientSync& sync, optimizers::Optimizer& optimizer, StepResult r,
                        std::span<const optimizers::GradientAndVariable> pairs, bool finite, std::int64_t rows) {
    const auto reduced = sync.reduce(finite ? pairs : std::span<const optimizers::GradientAndVariable>(), r.loss,
                                     rows, r.loss);
    r.applied = std::isfinite(r.loss);
    if (r.applied && !reduced.empty()) optimizer.apply_gradients(reduced);
    return r;
}

std::unique_ptr<TrainStep> make_train_step(Sequential& model, const losses::Loss& loss,
                                           optimizers::Optimizer& optimizer) {
    auto tape = std::make_unique<TapeTrainStep>(model, loss, optimizer);
    // NABLA_FUSED_STEP=0 keeps every step on the tape: a diagnostic, and the
    // baseline of the fused step's measurements (docs/PERFORMANCE.md).
    const char* env = std::getenv("NABLA_FUSED_STEP");
    if (env && std::string(env) == "0") return tape;
    return make_stack_step(model, loss, optimizer, std::move(tape));
}

}  // namespace nabla::models::detail
