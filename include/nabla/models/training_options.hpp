#pragma once
// The arguments of Sequential's compile / fit / evaluate / predict, and what
// they return. Field order follows Keras's keyword order, so the book's
// calls read the same with C++20 designated initializers:
//
//   model.compile("rmsprop", "categorical_crossentropy", {"accuracy"});
//   model.fit(train_images, train_labels, {.epochs = 5, .batch_size = 128});
//   auto [test_loss, test_acc] = model.evaluate(test_images, test_labels);
#include <concepts>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "nabla/core/error.hpp"
#include "nabla/core/tensor.hpp"
#include "nabla/training/callbacks.hpp"
#include "nabla/training/losses.hpp"
#include "nabla/training/metrics.hpp"
#include "nabla/training/optimizers.hpp"

namespace nabla::distributed {
class DataParallel;  // nabla/distributed/data_parallel.hpp
}

namespace nabla::models {

namespace detail {
template <typename T, typename Base>
concept Derived = std::derived_from<std::remove_cvref_t<T>, Base>;
}

// compile()'s optimizer: a Keras name ("rmsprop"), an optimizer object
// moved in (optimizers::RMSprop({.learning_rate = 1e-3})), or a shared_ptr
// to one the caller keeps (to read iterations() or change the rate).
class OptimizerArg {
public:
    OptimizerArg(std::string_view name) : ptr_(optimizers::get(name)) {}
    OptimizerArg(const char* name) : OptimizerArg(std::string_view(name)) {}
    OptimizerArg(const std::string& name) : OptimizerArg(std::string_view(name)) {}
    template <detail::Derived<optimizers::Optimizer> O>
    OptimizerArg(std::shared_ptr<O> optimizer) : ptr_(std::move(optimizer)) {}
    template <detail::Derived<optimizers::Optimizer> O>
    OptimizerArg(std::unique_ptr<O> optimizer) : ptr_(std::move(optimizer)) {}
    template <detail::Derived<optimizers::Optimizer> O>
    OptimizerArg(O&& optimizer) {
        static_assert(!std::is_lvalue_reference_v<O>,
                      "an optimizer holds per-variable state and cannot be copied: pass a temporary, "
                      "std::move(optimizer), or a std::shared_ptr to keep a handle on it");
        if constexpr (!std::is_lvalue_reference_v<O>)
            ptr_ = std::make_shared<std::remove_cvref_t<O>>(std::move(optimizer));
    }
    const std::shared_ptr<optimizers::Optimizer>& get() const { return ptr_; }

private:
    std::shared_ptr<optimizers::Optimizer> ptr_;
};

// compile()'s loss: a Keras name, a loss object (copied), or a shared_ptr.
class LossArg {
public:
    LossArg(std::string_view name) : ptr_(losses::get(name)) {}
    LossArg(const char* name) : LossArg(std::string_view(name)) {}
    LossArg(const std::string& name) : LossArg(std::string_view(name)) {}
    template <detail::Derived<losses::Loss> L>
    LossArg(std::shared_ptr<L> loss) : ptr_(std::move(loss)) {}
    template <detail::Derived<losses::Loss> L>
    LossArg(L&& loss) : ptr_(std::make_shared<std::remove_cvref_t<L>>(std::forward<L>(loss))) {}
    const std::shared_ptr<losses::Loss>& get() const { return ptr_; }

private:
    std::shared_ptr<losses::Loss> ptr_;
};

// compile()'s metrics: Keras names ("accuracy"), metric objects, shared_ptrs.
class MetricArg {
public:
    MetricArg(std::string_view name) : ptr_(metrics::get(name)) {}
    MetricArg(const char* name) : MetricArg(std::string_view(name)) {}
    MetricArg(const std::string& name) : MetricArg(std::string_view(name)) {}
    template <detail::Derived<metrics::Metric> M>
    MetricArg(std::shared_ptr<M> metric) : ptr_(std::move(metric)) {}
    template <detail::Derived<metrics::Metric> M>
    MetricArg(M&& metric) : ptr_(std::make_shared<std::remove_cvref_t<M>>(std::forward<M>(metric))) {}
    const std::shared_ptr<metrics::Metric>& get() const { return ptr_; }

private:
    std::shared_ptr<metrics::Metric> ptr_;
};

// fit(validation_data = {x_val, y_val}); undefined tensors mean none.
struct ValidationData {
    Tensor x;
    Tensor y;
};

struct FitOptions {
    int epochs = 1;
    std::int64_t batch_size = 32;
    // 0 silent, 1 progress bar, 2 one line per epoch (see training/progbar.hpp).
    int verbose = 1;
    std::vector<std::shared_ptr<callbacks::Callback>> callbacks = {};
    // The LAST fraction of the samples (taken before any shuffling) is held
    // out and evaluated after each epoch, as Keras does. In [0, 1).
    double validation_split = 0.0;
    ValidationData validation_data = {};  // overrides validation_split
    // Reshuffle the training samples before each epoch, from the model's
    // seeded generator.
    bool shuffle = true;
    int initial_epoch = 0;  // to resume: epochs counts from 0, not from here
    // Data-parallel training over the strategy's processes (nullptr: this
    // process alone). batch_size is then the global batch, split across the
    // ranks; see nabla/distributed/data_parallel.hpp.
    distributed::DataParallel* distribution = nullptr;
};

struct EvaluateOptions {
    std::int64_t batch_size = 32;
    int verbose = 1;
    std::vector<std::shared_ptr<callbacks::Callback>> callbacks = {};
    // Each rank evaluates its share of the samples; the results are reduced.
    distributed::DataParallel* distribution = nullptr;
};

struct PredictOptions {
    std::int64_t batch_size = 32;
    int verbose = 0;  // Keras 2.0-2.8's default (the book's era)
    std::vector<std::shared_ptr<callbacks::Callback>> callbacks = {};
    // Each rank predicts its share; every rank gets all predictions, in order.
    distributed::DataParallel* distribution = nullptr;
};

// What evaluate(), train_on_batch() and test_on_batch() return: the loss
// and each compiled metric, in Keras's order.
//
//   auto [test_loss, test_acc] = model.evaluate(x, y);   // exactly one metric
//   double acc = model.evaluate(x, y)["accuracy"];       // by name
//   std::vector<double> all = result.values();           // Keras's list
struct Evaluation {
    double loss = 0;
    callbacks::Logs logs;  // "loss", then each metric by name

    double operator[](std::string_view name) const { return logs.at(name); }
    std::vector<double> values() const;
    std::vector<std::string> names() const { return logs.keys(); }

    // For structured bindings: [loss, metric] needs exactly one metric
    // (ValueError otherwise, listing the names).
    template <std::size_t I>
    double get() const {
        static_assert(I < 2);
        if constexpr (I == 0) return loss;
        else return only_metric();
    }

private:
    double only_metric() const;
};

}  // namespace nabla::models

template <>
struct std::tuple_size<nabla::models::Evaluation> : std::integral_constant<std::size_t, 2> {};
template <std::size_t I>
struct std::tuple_element<I, nabla::models::Evaluation> {
    using type = double;
};
