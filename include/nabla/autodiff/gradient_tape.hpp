#pragma once
// GradientTape: reverse-mode automatic differentiation, as in TensorFlow.
//
//   nabla::GradientTape tape;             // records from here (RAII scope)
//   Tensor y = nabla::relu(dot(x, W) + b); // W, b are Variables: watched
//   Tensor loss = mean(square(y - t));
//   auto grads = tape.gradient(loss, {W, b});
//
// The tape records every differentiable op whose inputs it watches (a
// Variable, a tensor passed to watch(), or the output of a recorded op). Its
// record is thread-local: two threads train independently. gradient() walks
// the record backwards from the target (a non-scalar target is summed, as in
// TensorFlow). A source the target does not depend on gets zeros of its shape
// and dtype. Unless persistent, the record is freed by the first gradient()
// call and a second call throws. Tapes nest: an outer tape records the inner
// tape's gradient computation, so gradients of gradients work.
#include <concepts>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <vector>

#include "nabla/core/graph.hpp"
#include "nabla/core/tensor.hpp"
#include "nabla/autodiff/variable.hpp"

namespace nabla {
inline namespace autodiff {

class GradientTape {
public:
    explicit GradientTape(bool persistent = false);
    ~GradientTape();
    GradientTape(const GradientTape&) = delete;
    GradientTape& operator=(const GradientTape&) = delete;

    // Watch a tensor that is not a Variable (a constant input, say).
    void watch(const Tensor& t);
    // d(sum of target)/d(source) for each source, each with its source's
    // shape and dtype.
    std::vector<Tensor> gradient(const Tensor& target, const std::vector<Tensor>& sources);
    Tensor gradient(const Tensor& target, const Tensor& source);
    // The book's tape.gradient(loss, model.weights()): a std::vector of
    // Variables (handles: each gradient is that weight's). A template so that
    // a braced list {W, b} keeps choosing the Tensor list above.
    template <typename Variables>
        requires std::same_as<std::remove_cvref_t<Variables>, std::vector<Variable>>
    std::vector<Tensor> gradient(const Tensor& target, Variables&& sources) {
        return gradient(target, std::vector<Tensor>(sources.begin(), sources.end()));
    }
    // Stop recording (the scope's end does this too).
    void stop_recording();
    // Number of recorded operations (for tests and the overhead benchmark).
    std::size_t recorded_ops() const;

private:
    struct Record;
    std::unique_ptr<Record> record_;
    bool persistent_;
    bool active_ = true;
};

}  // namespace autodiff
}  // namespace nabla
