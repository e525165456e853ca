#pragma once
// Internal: the fused training step for the book's kind of model.
//
// When the model is a stack of trainable float32 Dense layers whose output is
// a softmax scored by (sparse) categorical crossentropy — or a linear output
// with from_logits — one step is: a gemm per layer with the bias and
// activation applied in one pass, the softmax, loss and its gradient in one
// pass per row, then per layer the weight gradient gemm, the bias column sums
// and the input gradient gemm with the activation's derivative (skipped for
// the first layer, whose input gradient nobody needs), and one optimizer
// pass. Every buffer is kept between steps, so a steady-state step does not
// touch the heap. The arithmetic is the tape's (same kernels, same clipping
// rule of the probabilities), so both paths train the same.
//
// Anything else (other layers, dtypes, losses, a model not yet built, labels
// that need an error message) goes to the fallback step, checked on every
// call so that changes to the model between fit() calls are honoured.
#include <memory>

#include "train_step.hpp"

namespace nabla::models::detail {

std::unique_ptr<TrainStep> make_dense_stack_step(Sequential& model, const losses::Loss& loss,
                                                 optimizers::Optimizer& optimizer,
                                                 std::unique_ptr<TrainStep> fallback);

}  // namespace nabla::models::detail
