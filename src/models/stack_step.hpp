#pragma once
// Internal: the fused training step for the book's kinds of model.
//
// When the model is a stack of trainable float32 Dense and Conv2D layers,
// with MaxPooling2D, AveragePooling2D, Flatten and Reshape between them (and
// an Input first), whose output is a Dense softmax scored by (sparse)
// categorical crossentropy — or a linear output with from_logits — one step is: per
// layer its product (a gemm, or oneDNN's convolution) with the bias and
// activation applied in one pass, the softmax, loss and its gradient in one
// pass per row, then per layer the weight gradient, the bias sums and the
// input gradient with the activation's derivative (skipped below the first
// layer with weights, whose input gradient nobody needs), and one optimizer
// pass. A first layer that is a small convolution under a max pooling runs
// as one fused pass (ops/conv_pool.hpp) that never stores its full-size
// output. Every buffer is kept between steps, so a steady-state step does not
// touch the heap. The arithmetic is the tape's (same kernels, same clipping
// rule of the probabilities), so both paths train the same.
//
// Anything else (other layers, dtypes, losses, a model not yet built, labels
// that need an error message) goes to the fallback step, checked on every
// call so that changes to the model between fit() calls are honoured.
#include <memory>

#include "train_step.hpp"

namespace nabla::models::detail {

std::unique_ptr<TrainStep> make_stack_step(Sequential& model, const losses::Loss& loss,
                                           optimizers::Optimizer& optimizer, std::unique_ptr<TrainStep> fallback);

}  // namespace nabla::models::detail
