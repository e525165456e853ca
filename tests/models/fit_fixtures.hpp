#pragma once
// Small, deterministic data and models for the fit/evaluate/predict tests.
#include <cstdint>
#include <vector>

#include "nabla/core/random.hpp"
#include "nabla/core/tensor.hpp"
#include "nabla/data/utils.hpp"
#include "nabla/layers.hpp"
#include "nabla/models/sequential.hpp"
#include "nabla/ops/linalg.hpp"
#include "nabla/ops/reduce.hpp"

namespace nabla::testing_fit {

// n samples of 4 features; label = argmax(x · W) over `classes` classes,
// so the problem is learnable. The same seed gives the same data.
struct Blobs {
    Tensor x;       // (n, 4) float32
    Tensor labels;  // (n,) int64
    Tensor one_hot() const { return utils::to_categorical(labels, 3); }
};

inline Blobs make_blobs(std::int64_t n, std::uint64_t seed = 1) {
    random::Generator gen(seed);
    Tensor x = random::normal({n, 4}, 0.0, 1.0, gen);
    const Tensor w{{1, -1, 0.5}, {0.5, 1, -1}, {-1, 0.5, 1}, {1, 1, -1}};
    return {x, argmax(matmul(x, w), 1)};
}

// Dense(8, relu) -> Dense(3, softmax) on 4 features, built with a fixed seed.
inline models::Sequential small_model(std::uint64_t seed = 3) {
    models::Sequential model({layers::Dense(8, "relu"), layers::Dense(3, "softmax")});
    model.set_seed(seed);
    model.build({-1, 4});
    return model;
}

}  // namespace nabla::testing_fit
