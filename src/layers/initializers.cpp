#include "nabla/layers/initializers.hpp"

#include <cmath>
#include <map>

#include "../core/dispatch.hpp"

namespace nabla::initializers {

namespace {

// Keras's correction: the stddev of a standard normal truncated to ±2.
constexpr double kTruncatedStddev = 0.87962566103423978;

void check_floating(const char* who, DType dtype) {
    if (!is_floating(dtype))
        throw DTypeError(std::string("initializer ") + who + ": weights must be float32 or float64, got " +
                         std::string(name(dtype)));
}

Tensor truncated(const Shape& shape, DType dtype, double mean, double stddev, random::Generator& gen) {
    check_floating("truncated_normal", dtype);
    Tensor t = Tensor::uninitialized(shape, dtype);
    detail::dispatch_floating(dtype, "truncated_normal", [&]<typename T>() {
        T* p = t.data<T>();
        for (std::int64_t i = 0, n = t.size(); i < n; ++i) {
            double z;
            do z = gen.next_normal();
            while (std::abs(z) > 2.0);
            p[i] = static_cast<T>(mean + stddev * z);
        }
    });
    return t;
}

Initializer uniform_scaled(std::string name, double scale, bool fan_avg) {
    return Initializer(std::move(name), [scale, fan_avg](const Shape& s, DType dt, random::Generator& g) {
        const Fans f = compute_fans(s);
        const double limit = std::sqrt(scale / (fan_avg ? (f.fan_in + f.fan_out) : f.fan_in));
        return random::uniform(s, -limit, limit, g, dt);
    });
}

Initializer normal_scaled(std::string name, double scale, bool fan_avg) {
    return Initializer(std::move(name), [scale, fan_avg](const Shape& s, DType dt, random::Generator& g) {
        const Fans f = compute_fans(s);
        const double stddev = std::sqrt(scale / (fan_avg ? (f.fan_in + f.fan_out) : f.fan_in)) / kTruncatedStddev;
        return truncated(s, dt, 0.0, stddev, g);
    });
}

const std::map<std::string, Initializer (*)(), std::less<>>& registry() {
    static const std::map<std::string, Initializer (*)(), std::less<>> table = {
        {"zeros", [] { return zeros(); }},
        {"ones", [] { return ones(); }},
        {"random_normal", [] { return random_normal(); }},
        {"random_uniform", [] { return random_uniform(); }},
        {"truncated_normal", [] { return truncated_normal(); }},
        {"glorot_uniform", [] { return glorot_uniform(); }},
        {"glorot_normal", [] { return glorot_normal(); }},
        {"he_normal", [] { return he_normal(); }},
        {"he_uniform", [] { return he_uniform(); }},
        {"lecun_normal", [] { return lecun_normal(); }},
        {"lecun_uniform", [] { return lecun_uniform(); }},
    };
    return table;
}

Initializer by_name(std::string_view name) {
    const auto& table = registry();
    auto it = table.find(name);
    if (it == table.end()) {
        std::string valid;
        for (const auto& [k, v] : table) valid += (valid.empty() ? "" : ", ") + k;
        throw ValueError("unknown initializer '" + std::string(name) + "'; valid names: " + valid);
    }
    return it->second();
}

void check_stddev(const char* who, double stddev) {
    if (!(stddev >= 0))
        throw ValueError(std::string(who) + ": stddev must be >= 0, got " + std::to_string(stddev));
}

}  // namespace

Initializer::Initializer(std::string name, Fn fn) : name_(std::move(name)), fn_(std::move(fn)) {}

Initializer::Initializer(std::string_view name) : Initializer(by_name(name)) {}

Tensor Initializer::operator()(const Shape& shape, DType dtype, random::Generator& gen) const {
    check_floating(name_.c_str(), dtype);
    Tensor t = fn_(shape, dtype, gen);
    if (t.shape() != shape || t.dtype() != dtype)
        throw ValueError("initializer " + name_ + " returned a " + std::string(nabla::name(t.dtype())) + " tensor of shape " +
                         to_string(t.shape()) + "; expected " + std::string(nabla::name(dtype)) + " " + to_string(shape));
    return t;
}

Fans compute_fans(const Shape& shape) {
    if (shape.empty()) return {1, 1};
    if (shape.size() == 1) return {double(shape[0]), double(shape[0])};
    double receptive = 1;
    for (std::size_t i = 0; i + 2 < shape.size(); ++i) receptive *= double(shape[i]);
    return {double(shape[shape.size() - 2]) * receptive, double(shape.back()) * receptive};
}

Initializer zeros() {
    return Initializer("zeros", [](const Shape& s, DType dt, random::Generator&) { return nabla::zeros(s, dt); });
}
Initializer ones() {
    return Initializer("ones", [](const Shape& s, DType dt, random::Generator&) { return nabla::ones(s, dt); });
}
Initializer constant(double value) {
    return Initializer("constant", [value](const Shape& s, DType dt, random::Generator&) { return full(s, value, dt); })
        .with_arguments({{"value", value}});
}
Initializer random_normal(double mean, double stddev) {
    check_stddev("random_normal", stddev);
    return Initializer("random_normal", [=](const Shape& s, DType dt, random::Generator& g) {
        return random::normal(s, mean, stddev, g, dt);
    }).with_arguments({{"mean", mean}, {"stddev", stddev}});
}
Initializer random_uniform(double minval, double maxval) {
    if (!(minval < maxval))
        throw ValueError("random_uniform: minval must be < maxval, got " + std::to_string(minval) + " and " +
                         std::to_string(maxval));
    return Initializer("random_uniform", [=](const Shape& s, DType dt, random::Generator& g) {
        return random::uniform(s, minval, maxval, g, dt);
    }).with_arguments({{"minval", minval}, {"maxval", maxval}});
}
Initializer truncated_normal(double mean, double stddev) {
    check_stddev("truncated_normal", stddev);
    return Initializer("truncated_normal", [=](const Shape& s, DType dt, random::Generator& g) {
        return truncated(s, dt, mean, stddev, g);
    }).with_arguments({{"mean", mean}, {"stddev", stddev}});
}
Initializer glorot_uniform() { return uniform_scaled("glorot_uniform", 6.0, true); }
Initializer glorot_normal() { return normal_scaled("glorot_normal", 2.0, true); }
Initializer he_normal() { return normal_scaled("he_normal", 2.0, false); }
Initializer he_uniform() { return uniform_scaled("he_uniform", 6.0, false); }
Initializer lecun_normal() { return normal_scaled("lecun_normal", 1.0, false); }
Initializer lecun_uniform() { return uniform_scaled("lecun_uniform", 3.0, false); }

}  // namespace nabla::initializers
