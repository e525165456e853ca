#pragma once
// Every layer: Layer base, Dense, Activation, Flatten, Dropout, InputLayer,
// and the initializers.
#include "nabla/layers/activation.hpp"
#include "nabla/layers/dense.hpp"
#include "nabla/layers/dropout.hpp"
#include "nabla/layers/flatten.hpp"
#include "nabla/layers/initializers.hpp"
#include "nabla/layers/input_layer.hpp"
#include "nabla/layers/layer.hpp"
