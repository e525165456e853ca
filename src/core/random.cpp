#include "nabla/core/random.hpp"

#include <bit>
#include <cmath>
#include <cstdio>
#include <numbers>

#include "dispatch.hpp"

namespace nabla::random {

namespace {
std::uint64_t splitmix64(std::uint64_t& x) noexcept {
    std::uint64_t z = (x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }

template <typename F>
Tensor generate(const Shape& shape, DType dtype, F&& draw) {
    Tensor t = Tensor::uninitialized(shape, dtype);
    detail::dispatch(dtype, [&]<typename T>() {
        T* p = t.data<T>();
        for (std::int64_t i = 0, n = t.size(); i < n; ++i) p[i] = static_cast<T>(draw());
    });
    return t;
}
}  // namespace

Generator::Generator(std::uint64_t seed) {
    for (auto& s : s_) s = splitmix64(seed);
}

std::uint64_t Generator::next_u64() noexcept {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
}

double Generator::next_double() noexcept { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

std::uint64_t Generator::next_below(std::uint64_t n) noexcept {
    if (n == 0) return 0;
    const std::uint64_t limit = ~std::uint64_t{0} - (~std::uint64_t{0} % n);
    std::uint64_t r;
    do r = next_u64();
    while (r >= limit);
    return r % n;
}

double Generator::next_normal() noexcept {
    if (has_spare_) {
        has_spare_ = false;
        return spare_normal_;
    }
    // Box-Muller; 1 - u keeps the log argument in (0, 1].
    const double u = 1.0 - next_double(), v = next_double();
    const double r = std::sqrt(-2.0 * std::log(u));
    spare_normal_ = r * std::sin(2 * std::numbers::pi * v);
    has_spare_ = true;
    return r * std::cos(2 * std::numbers::pi * v);
}

Generator Generator::split() noexcept { return Generator(next_u64()); }

GeneratorState Generator::state() const noexcept {
    GeneratorState st;
    for (int i = 0; i < 4; ++i) st.words[static_cast<std::size_t>(i)] = s_[i];
    st.spare_normal = spare_normal_;
    st.has_spare = has_spare_;
    return st;
}

void Generator::set_state(const GeneratorState& st) {
    if (st.words == std::array<std::uint64_t, 4>{})
        throw ValueError("Generator::set_state: all four xoshiro256** words are zero; such a generator "
                         "draws only zeros (a state saved from a real generator is never all zero)");
    for (int i = 0; i < 4; ++i) s_[i] = st.words[static_cast<std::size_t>(i)];
    spare_normal_ = st.spare_normal;
    has_spare_ = st.has_spare;
}

std::string to_string(const GeneratorState& st) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "xoshiro256** %016llx %016llx %016llx %016llx %016llx %d",
                  static_cast<unsigned long long>(st.words[0]), static_cast<unsigned long long>(st.words[1]),
                  static_cast<unsigned long long>(st.words[2]), static_cast<unsigned long long>(st.words[3]),
                  static_cast<unsigned long long>(std::bit_cast<std::uint64_t>(st.spare_normal)),
                  st.has_spare ? 1 : 0);
    return buf;
}

GeneratorState parse_generator_state(std::string_view text) {
    const std::string s(text);
    unsigned long long w[5];
    int spare = -1, used = 0;
    const int n = std::sscanf(s.c_str(), "xoshiro256** %16llx %16llx %16llx %16llx %16llx %d%n", &w[0], &w[1],
                              &w[2], &w[3], &w[4], &spare, &used);
    if (n != 6 || static_cast<std::size_t>(used) != s.size() || (spare != 0 && spare != 1))
        throw ValueError("parse_generator_state: '" + s +
                         "' is not a generator state (expected \"xoshiro256** <4 hex words> <hex> <0|1>\", "
                         "as random::to_string writes it)");
    GeneratorState st;
    for (std::size_t i = 0; i < 4; ++i) st.words[i] = w[i];
    st.spare_normal = std::bit_cast<double>(static_cast<std::uint64_t>(w[4]));
    st.has_spare = spare == 1;
    return st;
}

namespace {
std::mutex& default_mutex() {
    static std::mutex m;
    return m;
}
Generator& default_instance() {
    static Generator g(0);
    return g;
}
}  // namespace

LockedGenerator default_generator() { return LockedGenerator(default_mutex(), default_instance()); }

void seed(std::uint64_t s) { *default_generator() = Generator(s); }

Tensor uniform(const Shape& shape, double low, double high, Generator& gen, DType dtype) {
    return generate(shape, dtype, [&] { return low + (high - low) * gen.next_double(); });
}
Tensor uniform(const Shape& shape, double low, double high, DType dtype) {
    return uniform(shape, low, high, *default_generator(), dtype);
}
Tensor normal(const Shape& shape, double mean, double stddev, Generator& gen, DType dtype) {
    return generate(shape, dtype, [&] { return mean + stddev * gen.next_normal(); });
}
Tensor normal(const Shape& shape, double mean, double stddev, DType dtype) {
    return normal(shape, mean, stddev, *default_generator(), dtype);
}

Tensor randint(std::int64_t low, std::int64_t high, const Shape& shape, Generator& gen, DType dtype) {
    if (high <= low)
        throw ValueError("randint: low >= high (" + std::to_string(low) + " >= " + std::to_string(high) + ")");
    const auto span = static_cast<std::uint64_t>(high - low);
    return generate(shape, dtype, [&] { return low + static_cast<std::int64_t>(gen.next_below(span)); });
}

Tensor permutation(std::int64_t n, Generator& gen) {
    Tensor t = arange(n, int64);
    std::int64_t* p = t.data<std::int64_t>();
    for (std::int64_t i = n - 1; i > 0; --i)
        std::swap(p[i], p[gen.next_below(static_cast<std::uint64_t>(i + 1))]);
    return t;
}

}  // namespace nabla::random
