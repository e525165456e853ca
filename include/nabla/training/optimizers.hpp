#pragma once
// Keras 3 optimizers: the same update rules, defaults and epsilon placement
// as keras.optimizers (docs/models.md, "Optimizers (Keras 3)", says how they
// differ from PyTorch's).
//
//   auto opt = nabla::optimizers::Adam({.learning_rate = 1e-3});
//   auto grads = tape.gradient(loss, {W, b});
//   opt.apply_gradients({{grads[0], &W}, {grads[1], &b}});
//
// Each apply_gradients call is one step: iterations() counts them. Slots
// (momentums, velocities...) are created lazily, zero- or
// initial_accumulator_value-filled, the first time a variable is updated, and
// are keyed by the variable's identity (its value tensor's id(), which a
// moved Variable keeps). The update of each variable is one fused pass over
// (w, g, slots) in the variable's dtype, in place, threaded above the
// element-wise grain.
//
// Options shared by every optimizer (Keras's base-optimizer arguments; at
// most one of the three clipping options may be set, else ValueError):
//   weight_decay    w -= lr * weight_decay * w before the update (decoupled,
//                   as Keras 3 does for every optimizer)
//   clipnorm        each gradient rescaled to L2 norm <= clipnorm
//   global_clipnorm all gradients rescaled so their joint L2 norm <= it
//   clipvalue       each gradient element clipped to [-clipvalue, clipvalue]
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "nabla/autodiff/variable.hpp"
#include "nabla/core/tensor.hpp"

namespace nabla::optimizers {

// A gradient and the variable it updates, as Keras's grads_and_vars.
using GradientAndVariable = std::pair<Tensor, Variable*>;

// The base-optimizer arguments, resolved (see the list above).
struct CommonOptions {
    std::optional<double> weight_decay = std::nullopt;
    std::optional<double> clipnorm = std::nullopt;
    std::optional<double> clipvalue = std::nullopt;
    std::optional<double> global_clipnorm = std::nullopt;
};

class Optimizer {
public:
    virtual ~Optimizer();
    Optimizer(const Optimizer&) = delete;
    Optimizer& operator=(const Optimizer&) = delete;
    Optimizer(Optimizer&&) noexcept;
    Optimizer& operator=(Optimizer&&) noexcept;

    // One optimisation step over every pair. A pair whose gradient is
    // undefined is skipped (Keras warns about it on std::cerr once per
    // variable); if every gradient is undefined, ValueError. A gradient must
    // have its variable's shape (ShapeError naming the variable and both
    // shapes); its dtype is converted to the variable's. A null variable or
    // the same variable twice in one call throws ValueError.
    void apply_gradients(std::span<const GradientAndVariable> grads_and_vars);
    void apply_gradients(std::initializer_list<GradientAndVariable> grads_and_vars) {
        apply_gradients(std::span<const GradientAndVariable>(grads_and_vars.begin(), grads_and_vars.size()));
    }
    // Keras 3's optimizer.apply(grads, variables): parallel lists of equal
    // length (ValueError otherwise).
    void apply(std::span<const Tensor> grads, std::span<Variable* const> variables);
    // The book's optimizer.apply_gradients(zip(grads, model.trainable_weights)):
    // opt.apply_gradients(grads, model.trainable_weights()), parallel lists of
    // equal length (ValueError otherwise). Variables are handles sharing their
    // storage, so the update reaches the model's weights (and its slots).
    void apply_gradients(std::span<const Tensor> grads, std::span<const Variable> variables);

    // The learning rate of the next step: the schedule's value at
    // iterations() when one is set, else the constant.
    double learning_rate() const;
    // A constant rate (finite, else ValueError); removes any schedule.
    void set_learning_rate(double learning_rate);
    // Keras's LearningRateSchedule: schedule(step) with step = iterations().
    void set_learning_rate_schedule(std::function<double(std::int64_t step)> schedule);
    bool has_learning_rate_schedule() const { return static_cast<bool>(schedule_); }

    // Steps taken (apply_gradients calls that updated something).
    std::int64_t iterations() const { return iterations_; }
    // "SGD", "RMSprop", "Adagrad", "Adam" (Keras's class names).
    virtual std::string name() const = 0;
    const CommonOptions& common_options() const { return common_; }

    // The slot names of this optimizer, in Keras's order ("momentum",
    // "velocity", "accumulator", "velocity_hat"...).
    virtual std::vector<std::string> slot_names() const = 0;
    // A slot tensor of `variable` (a handle: writing it changes the state).
    // ValueError when the variable has not been updated yet or the name is
    // not one of slot_names().
    Tensor slot(const Variable& variable, std::string_view slot_name) const;
    // Number of variables that have slots.
    std::size_t tracked_variables() const { return slots_.size(); }
    // Forget every slot and set iterations() to 0 (the learning rate stays).
    void reset();
    // Keras's optimizer.build(variables): gives every listed variable that
    // has no slots yet its initial slots (what its first update would
    // create), so that the full state can be saved before or between steps.
    void build(std::span<const Variable* const> variables);
    bool built() const { return !slots_.empty(); }
    // Restores a saved state (model files, checkpoints): iterations() and,
    // for each variable, its slots in slot_names() order with the
    // variable's shape (dtype converted). Everything is checked before
    // anything changes (ValueError / ShapeError naming the variable); slots
    // of variables not listed are dropped.
    void set_state(std::int64_t iterations,
                   std::span<const std::pair<const Variable*, std::vector<Tensor>>> slots);

protected:
    Optimizer(double learning_rate, CommonOptions common);

    // Per-call constants of one step, in double; the kernels cast them to
    // the variable's dtype as Keras casts lr to variable.dtype.
    struct Step {
        double learning_rate;
        std::int64_t iteration;  // 0 for the first step (Keras's self.iterations)
        double grad_scale;       // from clipnorm / global_clipnorm, 1 when off
        double clipvalue;        // +inf when off
        double weight_decay;     // 0 when off
    };
    // The value that slot `index` starts with.
    virtual double slot_initial_value(std::size_t index) const;
    // The fused update of one variable: w, g (contiguous, w's dtype and
    // shape) and its slots (contiguous, w's dtype and shape).
    virtual void update(Tensor& w, const Tensor& g, std::span<Tensor> slots, const Step& step) const = 0;

private:
    std::vector<Tensor>& slots_for(const Variable& variable);

    double learning_rate_;
    std::function<double(std::int64_t)> schedule_;
    CommonOptions common_;
    std::int64_t iterations_ = 0;
    std::unordered_map<std::uint64_t, std::vector<Tensor>> slots_;
    std::unordered_map<std::uint64_t, bool> warned_missing_gradient_;
    // apply_gradients' scratch, kept so that a step does not allocate.
    std::vector<std::pair<Tensor, Variable*>> work_;
    std::vector<std::uint64_t> seen_ids_;
};

// w -= lr * g; with momentum m: m = momentum * m - lr * g, then
// w += m (or, nesterov, w += momentum * m - lr * g).
struct SGDOptions {
    double learning_rate = 0.01;
    double momentum = 0.0;  // in [0, 1], else ValueError
    bool nesterov = false;
    std::optional<double> weight_decay = std::nullopt;
    std::optional<double> clipnorm = std::nullopt;
    std::optional<double> clipvalue = std::nullopt;
    std::optional<double> global_clipnorm = std::nullopt;
};
class SGD final : public Optimizer {
public:
    explicit SGD(SGDOptions options = {});
    std::string name() const override { return "SGD"; }
    std::vector<std::string> slot_names() const override;
    const SGDOptions& options() const { return options_; }

protected:
    void update(Tensor& w, const Tensor& g, std::span<Tensor> slots, const Step& step) const override;

private:
    SGDOptions options_;
};

// v = rho * v + (1 - rho) * g^2 (v starts at 0);
// centered: mg = rho * mg + (1 - rho) * g, denominator v - mg^2 + eps,
// else v + eps; increment = lr * g / sqrt(denominator) (epsilon INSIDE the
// square root, unlike PyTorch); with momentum m = momentum * m + increment
// and w -= m, else w -= increment.
struct RMSpropOptions {
    double learning_rate = 0.001;
    double rho = 0.9;
    double momentum = 0.0;
    double epsilon = 1e-7;
    bool centered = false;
    std::optional<double> weight_decay = std::nullopt;
    std::optional<double> clipnorm = std::nullopt;
    std::optional<double> clipvalue = std::nullopt;
    std::optional<double> global_clipnorm = std::nullopt;
};
class RMSprop final : public Optimizer {
public:
    explicit RMSprop(RMSpropOptions options = {});
    std::string name() const override { return "RMSprop"; }
    std::vector<std::string> slot_names() const override;
    const RMSpropOptions& options() const { return options_; }

protected:
    void update(Tensor& w, const Tensor& g, std::span<Tensor> slots, const Step& step) const override;

private:
    RMSpropOptions options_;
};

// a += g^2 (a starts at initial_accumulator_value);
// w -= lr * g / sqrt(a + eps).
struct AdagradOptions {
    double learning_rate = 0.001;
    double initial_accumulator_value = 0.1;
    double epsilon = 1e-7;
    std::optional<double> weight_decay = std::nullopt;
    std::optional<double> clipnorm = std::nullopt;
    std::optional<double> clipvalue = std::nullopt;
    std::optional<double> global_clipnorm = std::nullopt;
};
class Adagrad final : public Optimizer {
public:
    explicit Adagrad(AdagradOptions options = {});
    std::string name() const override { return "Adagrad"; }
    std::vector<std::string> slot_names() const override;
    const AdagradOptions& options() const { return options_; }

protected:
    double slot_initial_value(std::size_t index) const override;
    void update(Tensor& w, const Tensor& g, std::span<Tensor> slots, const Step& step) const override;

private:
    AdagradOptions options_;
};

// t = iterations + 1; alpha = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t);
// m += (g - m) * (1 - beta_1); v += (g^2 - v) * (1 - beta_2);
// amsgrad: v_hat = max(v_hat, v), used in place of v;
// w -= alpha * m / (sqrt(v) + epsilon). The bias correction is folded into
// alpha, so epsilon is added to the UNcorrected sqrt(v) ("epsilon hat" of
// the Adam paper), as in Keras and TensorFlow, unlike PyTorch.
struct AdamOptions {
    double learning_rate = 0.001;
    double beta_1 = 0.9;
    double beta_2 = 0.999;
    double epsilon = 1e-7;
    bool amsgrad = false;
    std::optional<double> weight_decay = std::nullopt;
    std::optional<double> clipnorm = std::nullopt;
    std::optional<double> clipvalue = std::nullopt;
    std::optional<double> global_clipnorm = std::nullopt;
};
class Adam final : public Optimizer {
public:
    explicit Adam(AdamOptions options = {});
    std::string name() const override { return "Adam"; }
    std::vector<std::string> slot_names() const override;
    const AdamOptions& options() const { return options_; }

protected:
    void update(Tensor& w, const Tensor& g, std::span<Tensor> slots, const Step& step) const override;

private:
    AdamOptions options_;
};

// An optimizer with Keras's defaults by name: "sgd", "rmsprop", "adagrad",
// "adam" (case-insensitive, so the class names work too). An unknown name
// throws ValueError listing the valid ones.
std::unique_ptr<Optimizer> get(std::string_view name);

}  // namespace nabla::optimizers
