#pragma once
// Seeded random numbers. One seed gives the same numbers on every platform
// and thread count: the generator is our own (xoshiro256**, seeded through
// splitmix64) and the distributions are our own, not std::*_distribution
// (whose output is implementation-defined).
#include <cstdint>

#include "nabla/core/tensor.hpp"

namespace nabla::random {

class Generator {
public:
    explicit Generator(std::uint64_t seed = 0);
    std::uint64_t next_u64() noexcept;
    double next_double() noexcept;                 // uniform in [0, 1)
    std::uint64_t next_below(std::uint64_t n) noexcept;  // uniform in [0, n), unbiased
    double next_normal() noexcept;                 // standard normal
    // An independent generator (for a layer, a shuffle, a dropout mask).
    Generator split() noexcept;

private:
    std::uint64_t s_[4];
    double spare_normal_ = 0;
    bool has_spare_ = false;
};

// The process-wide default generator used when none is passed.
Generator& default_generator();
void seed(std::uint64_t s);  // reseeds the default generator

Tensor uniform(const Shape& shape, double low, double high, Generator& gen, DType dtype = float32);
Tensor uniform(const Shape& shape, double low = 0.0, double high = 1.0, DType dtype = float32);
Tensor normal(const Shape& shape, double mean, double stddev, Generator& gen, DType dtype = float32);
Tensor normal(const Shape& shape, double mean = 0.0, double stddev = 1.0, DType dtype = float32);
// Integers in [low, high).
Tensor randint(std::int64_t low, std::int64_t high, const Shape& shape, Generator& gen,
               DType dtype = int64);
// A random permutation of 0..n-1 (int64), Fisher-Yates.
Tensor permutation(std::int64_t n, Generator& gen);

}  // namespace nabla::random
