#include "nabla/training/optimizers.hpp"

#include <algorithm>
#include <cmath>
#include <iostream>
#include <limits>
#include <sstream>

#include "../core/dispatch.hpp"
#include "names.hpp"
#include "optimizer_kernels.hpp"

namespace nabla::optimizers {

namespace {

std::string fmt(double v) {
    std::ostringstream os;
    os << v;
    return os.str();
}

void check_finite(const char* optimizer, const char* what, double v) {
    if (!std::isfinite(v))
        throw ValueError(std::string(optimizer) + ": " + what + " must be finite, got " + fmt(v));
}

void check_range(const char* optimizer, const char* what, double v, double lo, double hi, bool hi_open) {
    if (!(v >= lo && (hi_open ? v < hi : v <= hi)))
        throw ValueError(std::string(optimizer) + ": " + what + " must be in [" + fmt(lo) + ", " + fmt(hi) +
                         (hi_open ? ")" : "]") + ", got " + fmt(v));
}

// Keras's base-optimizer argument checks: at most one clipping option, and
// each option that is set must be a finite number >= 0 (0 switches clipping
// off, as in Keras's `if self.clipnorm and self.clipnorm > 0`).
CommonOptions check_common(const char* optimizer, double learning_rate, CommonOptions c) {
    check_finite(optimizer, "learning_rate", learning_rate);
    const int clips = int(c.clipnorm.has_value()) + int(c.clipvalue.has_value()) + int(c.global_clipnorm.has_value());
    if (clips > 1)
        throw ValueError(std::string(optimizer) +
                         ": only one of clipnorm, clipvalue and global_clipnorm can be set");
    const std::pair<const char*, const std::optional<double>*> opts[] = {
        {"clipnorm", &c.clipnorm}, {"clipvalue", &c.clipvalue},
        {"global_clipnorm", &c.global_clipnorm}, {"weight_decay", &c.weight_decay}};
    for (const auto& [what, value] : opts)
        if (value->has_value()) check_range(optimizer, what, **value, 0.0, std::numeric_limits<double>::infinity(), true);
    return c;
}

template <typename O>
CommonOptions common_of(const O& o) {
    return CommonOptions{o.weight_decay, o.clipnorm, o.clipvalue, o.global_clipnorm};
}

bool active(const std::optional<double>& v) { return v.has_value() && *v > 0.0; }

}  // namespace

// --- Optimizer ---

Optimizer::Optimizer(double learning_rate, CommonOptions common)
    : learning_rate_(learning_rate), common_(std::move(common)) {}
Optimizer::~Optimizer() = default;
Optimizer::Optimizer(Optimizer&&) noexcept = default;
Optimizer& Optimizer::operator=(Optimizer&&) noexcept = default;

double Optimizer::learning_rate() const {
    return schedule_ ? schedule_(iterations_) : learning_rate_;
}

void Optimizer::set_learning_rate(double learning_rate) {
    check_finite(name().c_str(), "learning_rate", learning_rate);
    learning_rate_ = learning_rate;
    schedule_ = nullptr;
}

void Optimizer::set_learning_rate_schedule(std::function<double(std::int64_t)> schedule) {
    if (!schedule) throw ValueError(name() + ".set_learning_rate_schedule: the schedule is empty");
    schedule_ = std::move(schedule);
}

double Optimizer::slot_initial_value(std::size_t) const { return 0.0; }

std::vector<Tensor>& Optimizer::slots_for(const Variable& variable) {
    auto [it, inserted] = slots_.try_emplace(variable.value().id());
    if (inserted) {
        const std::vector<std::string> names = slot_names();
        for (std::size_t i = 0; i < names.size(); ++i)
            it->second.push_back(full(variable.shape(), slot_initial_value(i), variable.dtype()));
    }
    return it->second;
}

Tensor Optimizer::slot(const Variable& variable, std::string_view slot_name) const {
    const std::vector<std::string> names = slot_names();
    std::size_t index = names.size();
    for (std::size_t i = 0; i < names.size(); ++i)
        if (names[i] == slot_name) index = i;
    if (index == names.size()) {
        std::string valid;
        for (const auto& n : names) valid += (valid.empty() ? "'" : ", '") + n + "'";
        throw ValueError(name() + ".slot: no slot '" + std::string(slot_name) + "'; this optimizer has " +
                         (valid.empty() ? std::string("none") : valid));
    }
    const auto it = slots_.find(variable.value().id());
    if (it == slots_.end())
        throw ValueError(name() + ".slot: variable '" + variable.name() + "' has not been updated yet");
    return it->second[index];
}

void Optimizer::reset() {
    slots_.clear();
    warned_missing_gradient_.clear();
    iterations_ = 0;
}

void Optimizer::build(std::span<const Variable* const> variables) {
    for (const Variable* v : variables) {
        if (v == nullptr) throw ValueError(name() + ".build: null variable");
        slots_for(*v);
    }
}

void Optimizer::set_state(std::int64_t iterations,
                          std::span<const std::pair<const Variable*, std::vector<Tensor>>> slots) {
    if (iterations < 0) throw ValueError(name() + ".set_state: iterations must be >= 0, got " + std::to_string(iterations));
    const std::size_t per_variable = slot_names().size();
    std::unordered_map<std::uint64_t, std::vector<Tensor>> next;
    for (const auto& [var, values] : slots) {
        if (var == nullptr) throw ValueError(name() + ".set_state: null variable");
        if (values.size() != per_variable)
            throw ValueError(name() + ".set_state: " + std::to_string(values.size()) + " slots for variable '" +
                             var->name() + "'; this optimizer has " + std::to_string(per_variable));
        std::vector<Tensor> copies;
        for (std::size_t i = 0; i < values.size(); ++i) {
            if (!values[i].defined() || values[i].shape() != var->shape())
                throw ShapeError(name() + ".set_state: slot '" + slot_names()[i] + "' of variable '" + var->name() +
                                 "' has shape " + (values[i].defined() ? to_string(values[i].shape()) : "undefined") +
                                 "; expected " + to_string(var->shape()));
            copies.push_back(values[i].astype(var->dtype()));
        }
        if (!next.emplace(var->value().id(), std::move(copies)).second)
            throw ValueError(name() + ".set_state: variable '" + var->name() + "' appears twice");
    }
    slots_ = std::move(next);
    iterations_ = iterations;
}

void Optimizer::apply(std::span<const Tensor> grads, std::span<Variable* const> variables) {
    if (grads.size() != variables.size())
        throw ValueError(name() + ".apply: " + std::to_string(grads.size()) + " gradients for " +
                         std::to_string(variables.size()) + " variables");
    std::vector<GradientAndVariable> pairs;
    pairs.reserve(grads.size());
    for (std::size_t i = 0; i < grads.size(); ++i) pairs.emplace_back(grads[i], variables[i]);
    apply_gradients(pairs);
}

void Optimizer::apply_gradients(std::span<const Tensor> grads, std::span<const Variable> variables) {
    if (grads.size() != variables.size())
        throw ValueError(name() + ".apply_gradients: " + std::to_string(grads.size()) + " gradients for " +
                         std::to_string(variables.size()) + " variables; pass one gradient per variable, "
                         "in the same order (tape.gradient(loss, model.trainable_weights()))");
    // Copies of the handles: they write into the caller's weights.
    std::vector<Variable> handles(variables.begin(), variables.end());
    std::vector<Variable*> pointers;
    pointers.reserve(handles.size());
    for (auto& v : handles) pointers.push_back(&v);
    apply(grads, pointers);
}

void Optimizer::apply_gradients(std::span<const GradientAndVariable> grads_and_vars) {
    if (grads_and_vars.empty()) return;  // Keras: an empty list is a no-op
    // The messages are built only on error: a training step allocates nothing.
    auto op = [&] { return name() + ".apply_gradients"; };
    // Validate everything before writing anything, so a bad call leaves
    // the variables and slots untouched. The scratch lists keep their
    // capacity from step to step.
    std::vector<std::pair<Tensor, Variable*>>& work = work_;
    work.clear();
    seen_ids_.clear();
    for (const auto& [grad, var] : grads_and_vars) {
        if (var == nullptr) throw ValueError(op() + ": null variable");
        if (!is_floating(var->dtype()))
            throw DTypeError(op() + ": variable '" + var->name() + "' is " + std::string(nabla::name(var->dtype())) +
                             "; only float32 and float64 variables can be optimized");
        seen_ids_.push_back(var->value().id());
        if (!grad.defined()) {
            if (!warned_missing_gradient_[var->value().id()]) {
                warned_missing_gradient_[var->value().id()] = true;
                std::cerr << "Warning: " << op() << ": gradients do not exist for variable '" << var->name()
                          << "' when minimizing the loss\n";
            }
            continue;
        }
        if (grad.shape() != var->shape())
            throw ShapeError(op() + ": gradient of shape " + to_string(grad.shape()) + " for variable '" +
                             var->name() + "' of shape " + to_string(var->shape()));
        Tensor g = grad.dtype() == var->dtype() ? grad.contiguous() : grad.astype(var->dtype());
        work.emplace_back(std::move(g), var);
    }
    std::sort(seen_ids_.begin(), seen_ids_.end());
    if (auto dup = std::adjacent_find(seen_ids_.begin(), seen_ids_.end()); dup != seen_ids_.end()) {
        for (const auto& [grad, var] : grads_and_vars)
            if (var->value().id() == *dup) throw ValueError(op() + ": variable '" + var->name() + "' appears twice");
    }
    if (work.empty()) throw ValueError(op() + ": no gradients provided for any variable");

    const double lr = learning_rate();
    check_finite(name().c_str(), "learning_rate", lr);
    double global_scale = 1.0;
    if (active(common_.global_clipnorm)) {
        double sq = 0.0;
        // `&g = g`: clang before 16 cannot capture a structured binding.
        for (const auto& [g, var] : work)
            sq += detail::dispatch_floating(g.dtype(), "apply_gradients", [&, &g = g]<typename T>() {
                return training_detail::squared_norm(g.data<T>(), g.size());
            });
        // Keras: clip_norm * min(1 / norm, 1 / clip_norm), NaN for a
        // non-finite norm so the step poisons the weights visibly.
        const double norm = std::sqrt(sq), c = *common_.global_clipnorm;
        global_scale = std::isfinite(norm) ? c * std::min(1.0 / norm, 1.0 / c)
                                           : std::numeric_limits<double>::quiet_NaN();
    }
    for (auto& [g, var] : work) {
        Step step{lr, iterations_, global_scale, std::numeric_limits<double>::infinity(),
                  common_.weight_decay.value_or(0.0)};
        if (active(common_.clipnorm)) {
            const double norm = std::sqrt(detail::dispatch_floating(g.dtype(), "apply_gradients", [&, &g = g]<typename T>() {
                return training_detail::squared_norm(g.data<T>(), g.size());
            }));
            step.grad_scale = *common_.clipnorm / std::max(norm, *common_.clipnorm);
        } else if (active(common_.clipvalue)) {
            step.clipvalue = *common_.clipvalue;
        }
        Tensor w = var->value();  // a handle: the kernel writes the variable's storage
        update(w, g, slots_for(*var), step);
    }
    ++iterations_;
}

// --- the four optimizers ---

namespace {

// The step's constants in the variable's dtype, as Keras casts them.
template <typename T, typename Step>
training_detail::StepScalars<T> step_scalars(const Step& s) {
    return {static_cast<T>(s.learning_rate), static_cast<T>(s.grad_scale), static_cast<T>(s.clipvalue),
            static_cast<T>(s.weight_decay)};
}

}  // namespace

SGD::SGD(SGDOptions options)
    : Optimizer(options.learning_rate, check_common("SGD", options.learning_rate, common_of(options))),
      options_(options) {
    check_range("SGD", "momentum", options.momentum, 0.0, 1.0, false);
}

std::vector<std::string> SGD::slot_names() const {
    if (options_.momentum != 0.0) return {"momentum"};
    return {};
}

void SGD::update(Tensor& w, const Tensor& g, std::span<Tensor> slots, const Step& step) const {
    detail::dispatch_floating(w.dtype(), "SGD", [&]<typename T>() {
        const training_detail::SGDKernel<T> k{static_cast<T>(options_.momentum), options_.nesterov,
                                              slots.empty() ? nullptr : slots[0].data<T>()};
        training_detail::sgd_update(w.data<T>(), g.data<T>(), w.size(), step_scalars<T>(step), k);
    });
}

RMSprop::RMSprop(RMSpropOptions options)
    : Optimizer(options.learning_rate, check_common("RMSprop", options.learning_rate, common_of(options))),
      options_(options) {
    check_range("RMSprop", "rho", options.rho, 0.0, 1.0, false);
    check_range("RMSprop", "momentum", options.momentum, 0.0, 1.0, false);
    check_range("RMSprop", "epsilon", options.epsilon, 0.0, std::numeric_limits<double>::infinity(), true);
}

std::vector<std::string> RMSprop::slot_names() const {
    std::vector<std::string> names{"velocity"};
    if (options_.momentum > 0.0) names.emplace_back("momentum");
    if (options_.centered) names.emplace_back("average_gradient");
    return names;
}

void RMSprop::update(Tensor& w, const Tensor& g, std::span<Tensor> slots, const Step& step) const {
    detail::dispatch_floating(w.dtype(), "RMSprop", [&]<typename T>() {
        std::size_t next = 1;
        T* m = options_.momentum > 0.0 ? slots[next++].data<T>() : nullptr;
        T* mg = options_.centered ? slots[next++].data<T>() : nullptr;
        const training_detail::RMSpropKernel<T> k{static_cast<T>(options_.rho), static_cast<T>(1.0 - options_.rho),
                                                  static_cast<T>(options_.momentum),
                                                  static_cast<T>(options_.epsilon), slots[0].data<T>(), m, mg};
        training_detail::rmsprop_update(w.data<T>(), g.data<T>(), w.size(), step_scalars<T>(step), k);
    });
}

Adagrad::Adagrad(AdagradOptions options)
    : Optimizer(options.learning_rate, check_common("Adagrad", options.learning_rate, common_of(options))),
      options_(options) {
    const double inf = std::numeric_limits<double>::infinity();
    check_range("Adagrad", "initial_accumulator_value", options.initial_accumulator_value, 0.0, inf, true);
    check_range("Adagrad", "epsilon", options.epsilon, 0.0, inf, true);
}

std::vector<std::string> Adagrad::slot_names() const { return {"accumulator"}; }

double Adagrad::slot_initial_value(std::size_t) const { return options_.initial_accumulator_value; }

void Adagrad::update(Tensor& w, const Tensor& g, std::span<Tensor> slots, const Step& step) const {
    detail::dispatch_floating(w.dtype(), "Adagrad", [&]<typename T>() {
        const training_detail::AdagradKernel<T> k{static_cast<T>(options_.epsilon), slots[0].data<T>()};
        training_detail::adagrad_update(w.data<T>(), g.data<T>(), w.size(), step_scalars<T>(step), k);
    });
}

Adam::Adam(AdamOptions options)
    : Optimizer(options.learning_rate, check_common("Adam", options.learning_rate, common_of(options))),
      options_(options) {
    check_range("Adam", "beta_1", options.beta_1, 0.0, 1.0, true);
    check_range("Adam", "beta_2", options.beta_2, 0.0, 1.0, true);
    check_range("Adam", "epsilon", options.epsilon, 0.0, std::numeric_limits<double>::infinity(), true);
}

std::vector<std::string> Adam::slot_names() const {
    if (options_.amsgrad) return {"momentum", "velocity", "velocity_hat"};
    return {"momentum", "velocity"};
}

void Adam::update(Tensor& w, const Tensor& g, std::span<Tensor> slots, const Step& step) const {
    detail::dispatch_floating(w.dtype(), "Adam", [&]<typename T>() {
        // Keras computes the bias correction in the variable's dtype.
        const T t = static_cast<T>(step.iteration + 1);
        const T b1_power = std::pow(static_cast<T>(options_.beta_1), t);
        const T b2_power = std::pow(static_cast<T>(options_.beta_2), t);
        const T alpha = static_cast<T>(step.learning_rate) * std::sqrt(T(1) - b2_power) / (T(1) - b1_power);
        const training_detail::AdamKernel<T> k{alpha,
                                               static_cast<T>(1.0 - options_.beta_1),
                                               static_cast<T>(1.0 - options_.beta_2),
                                               static_cast<T>(options_.epsilon),
                                               slots[0].data<T>(),
                                               slots[1].data<T>(),
                                               options_.amsgrad ? slots[2].data<T>() : nullptr};
        training_detail::adam_update(w.data<T>(), g.data<T>(), w.size(), step_scalars<T>(step), k);
    });
}

std::unique_ptr<Optimizer> get(std::string_view name) {
    const std::string key = training_detail::canonical_name(name);
    if (key == "sgd") return std::make_unique<SGD>();
    if (key == "rmsprop") return std::make_unique<RMSprop>();
    if (key == "adagrad") return std::make_unique<Adagrad>();
    if (key == "adam") return std::make_unique<Adam>();
    throw ValueError("optimizers::get: unknown optimizer '" + std::string(name) +
                     "'; valid names: 'sgd', 'rmsprop', 'adagrad', 'adam'");
}

}  // namespace nabla::optimizers
