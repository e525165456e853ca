#pragma once
// keras.datasets.mnist: datasets::mnist::load_data(); see datasets.hpp.
#include "nabla/data/datasets.hpp"
