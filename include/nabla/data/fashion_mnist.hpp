#pragma once
// keras.datasets.fashion_mnist: datasets::fashion_mnist::load_data(); see
// datasets.hpp.
#include "nabla/data/datasets.hpp"
