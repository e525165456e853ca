#pragma once
// The seam between operations and automatic differentiation.
//
// Every differentiable op computes its result, then, only if
// graph::recording() is true (a thread-local pointer test, so ops cost
// nothing extra outside a tape), calls graph::record with its inputs, its
// output and a backward closure. The closure maps the gradient of the output
// to one gradient per input (an undefined Tensor for "no gradient"), and is
// written with ops, so outer tapes record it too (gradients of gradients).
// GradientTape (autodiff layer) is the Recorder that keeps these nodes.
//
// A closure may skip the gradients nobody needs: while a tape runs it, the
// tape says through graph::needs_gradient(i) which inputs lead to something
// the gradient is asked for (a Variable, a watched tensor, a source, or the
// output of a recorded op); for the others (an input image, labels) the
// closure may return an undefined Tensor instead of computing it (conv2d's
// backward-data pass, dense's and matmul's input product). Outside a tape's
// gradient() every input needs its gradient.
#include <functional>
#include <vector>

#include "nabla/core/tensor.hpp"

namespace nabla {

using BackwardFn = std::function<std::vector<Tensor>(const Tensor& grad_output)>;

namespace graph {

class Recorder {
public:
    virtual ~Recorder() = default;
    virtual void record(const char* op, const std::vector<Tensor>& inputs, const Tensor& output,
                        const BackwardFn& backward) = 0;
};

namespace detail {
extern thread_local int active_recorders;
}

inline bool recording() noexcept { return detail::active_recorders > 0; }

// Offers the node to every active recorder on this thread, innermost last.
void record(const char* op, const std::vector<Tensor>& inputs, const Tensor& output,
            const BackwardFn& backward);

// Whether input `input` of the node whose backward closure is running needs
// a gradient (true unless a NeededGradients scope says otherwise).
bool needs_gradient(std::size_t input) noexcept;

// RAII: while alive, needs_gradient(i) reads needed[i] (true past its end);
// the previous scope's mask is restored on exit (nested tapes).
class NeededGradients {
public:
    explicit NeededGradients(const std::vector<bool>& needed) noexcept;
    ~NeededGradients();
    NeededGradients(const NeededGradients&) = delete;
    NeededGradients& operator=(const NeededGradients&) = delete;

private:
    const std::vector<bool>* previous_;
};

// Recorder stack management (used by GradientTape).
void push_recorder(Recorder* r);
void pop_recorder(Recorder* r);
// RAII: stops one recorder from seeing ops (a tape does not record its own
// gradient computation; outer tapes still do).
class PauseRecorder {
public:
    explicit PauseRecorder(Recorder* r);
    ~PauseRecorder();
    PauseRecorder(const PauseRecorder&) = delete;
    PauseRecorder& operator=(const PauseRecorder&) = delete;

private:
    Recorder* r_;
    bool was_active_;
};

}  // namespace graph
}  // namespace nabla
