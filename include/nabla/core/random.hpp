#pragma once
// Seeded random numbers. One seed gives the same numbers on every platform
// and thread count: the generator is our own (xoshiro256**, seeded through
// splitmix64) and the distributions are our own, not std::*_distribution
// (whose output is implementation-defined).
#include <array>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "nabla/core/tensor.hpp"

namespace nabla::random {

// Everything a Generator holds: the xoshiro256** words and Box-Muller's
// spare normal. Restoring it makes the generator continue exactly where the
// saved one was (how a resumed training run draws the same shuffles and
// Dropout masks as an uninterrupted one).
struct GeneratorState {
    std::array<std::uint64_t, 4> words{};
    double spare_normal = 0;
    bool has_spare = false;
    friend bool operator==(const GeneratorState&, const GeneratorState&) = default;
};
// "xoshiro256** <4 words in hex> <spare's bits in hex> <0|1>": exact, text.
std::string to_string(const GeneratorState& state);
// The inverse of to_string; ValueError naming the text when it is not one.
GeneratorState parse_generator_state(std::string_view text);

class Generator {
public:
    explicit Generator(std::uint64_t seed = 0);
    std::uint64_t next_u64() noexcept;
    double next_double() noexcept;                 // uniform in [0, 1)
    std::uint64_t next_below(std::uint64_t n) noexcept;  // uniform in [0, n), unbiased
    double next_normal() noexcept;                 // standard normal
    // An independent generator (for a layer, a shuffle, a dropout mask).
    Generator split() noexcept;

    GeneratorState state() const noexcept;
    // ValueError for all-zero words (xoshiro's fixed point, never reached
    // from a seed): such a state would draw zeros forever.
    void set_state(const GeneratorState& state);

private:
    std::uint64_t s_[4];
    double spare_normal_ = 0;
    bool has_spare_ = false;
};

// The process-wide default generator, used when none is passed. Threads
// share it behind a mutex: default_generator() returns a handle that holds
// the lock until it is destroyed, so each draw (a split, a whole tensor) is
// one critical section and two threads never draw the same numbers.
//
//   Generator mine = random::default_generator().split();  // locked, one statement
//   { auto g = random::default_generator(); random::uniform(s, 0, 1, *g); }
//
// Keep the handle for as short as possible, and do not call
// default_generator() or seed() while holding one (it is not recursive).
class LockedGenerator {
public:
    Generator& operator*() const noexcept { return *gen_; }
    Generator* operator->() const noexcept { return gen_; }
    // The draws of Generator, under the lock.
    std::uint64_t next_u64() noexcept { return gen_->next_u64(); }
    double next_double() noexcept { return gen_->next_double(); }
    std::uint64_t next_below(std::uint64_t n) noexcept { return gen_->next_below(n); }
    double next_normal() noexcept { return gen_->next_normal(); }
    Generator split() noexcept { return gen_->split(); }
    GeneratorState state() const noexcept { return gen_->state(); }
    void set_state(const GeneratorState& s) { gen_->set_state(s); }

private:
    friend LockedGenerator default_generator();
    LockedGenerator(std::mutex& m, Generator& g) : lock_(m), gen_(&g) {}
    std::unique_lock<std::mutex> lock_;
    Generator* gen_;
};
LockedGenerator default_generator();
void seed(std::uint64_t s);  // reseeds the default generator (locked)

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
