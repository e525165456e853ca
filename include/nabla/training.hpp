#pragma once
// Training utilities: Keras's losses, optimizers, metrics, callbacks and
// progress bar.
#include "nabla/training/callbacks.hpp"
#include "nabla/training/checkpoints.hpp"
#include "nabla/training/path_format.hpp"
#include "nabla/training/losses.hpp"
#include "nabla/training/metrics.hpp"
#include "nabla/training/optimizers.hpp"
#include "nabla/training/progbar.hpp"
