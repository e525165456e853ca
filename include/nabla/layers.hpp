#pragma once
// Every layer: Layer base, Dense, Activation, Flatten, Dropout, InputLayer,
// Conv2D, the pooling layers, BatchNormalization, Reshape, and the
// initializers.
#include "nabla/layers/activation.hpp"
#include "nabla/layers/batch_normalization.hpp"
#include "nabla/layers/conv2d.hpp"
#include "nabla/layers/dense.hpp"
#include "nabla/layers/dropout.hpp"
#include "nabla/layers/flatten.hpp"
#include "nabla/layers/initializers.hpp"
#include "nabla/layers/input_layer.hpp"
#include "nabla/layers/layer.hpp"
#include "nabla/layers/pooling.hpp"
#include "nabla/layers/reshape.hpp"
