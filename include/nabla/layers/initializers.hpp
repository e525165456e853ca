#pragma once
// Weight initializers, with Keras's names and defaults. Each draws from the
// generator it is given, so one seed reproduces a model's initial weights.
//
//   layers::Dense(512, "relu", {.kernel_initializer = "he_normal"})
//   layers::Dense(10, "softmax", {.kernel_initializer = initializers::random_normal(0.0, 0.01)})
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nabla/core/random.hpp"
#include "nabla/core/tensor.hpp"

namespace nabla::initializers {

class Initializer {
public:
    using Fn = std::function<Tensor(const Shape& shape, DType dtype, random::Generator& gen)>;
    Initializer(std::string name, Fn fn);
    // By Keras name: "glorot_uniform", "he_normal", "zeros", ... (ValueError
    // listing the valid names otherwise).
    Initializer(std::string_view name);
    Initializer(const char* name) : Initializer(std::string_view(name)) {}
    Initializer(const std::string& name) : Initializer(std::string_view(name)) {}

    Tensor operator()(const Shape& shape, DType dtype, random::Generator& gen) const;
    const std::string& name() const { return name_; }
    // The arguments that made it, in Keras's config order ({"mean", 0},
    // {"stddev", 0.05}); empty for the ones without. Model files store them.
    using Arguments = std::vector<std::pair<std::string, double>>;
    const Arguments& arguments() const { return arguments_; }
    Initializer& with_arguments(Arguments arguments) {
        arguments_ = std::move(arguments);
        return *this;
    }

private:
    std::string name_;
    Fn fn_;
    Arguments arguments_;
};

Initializer zeros();
Initializer ones();
Initializer constant(double value);
Initializer random_normal(double mean = 0.0, double stddev = 0.05);
Initializer random_uniform(double minval = -0.05, double maxval = 0.05);
// Normal values redrawn until within two standard deviations of the mean.
Initializer truncated_normal(double mean = 0.0, double stddev = 0.05);
// Uniform in ±sqrt(6 / (fan_in + fan_out)): Keras's default kernel initializer.
Initializer glorot_uniform();
// Truncated normal with stddev sqrt(2 / (fan_in + fan_out)) / 0.8796 (the
// truncation's variance correction, as Keras).
Initializer glorot_normal();
Initializer he_normal();   // truncated, stddev sqrt(2 / fan_in) / 0.8796
Initializer he_uniform();  // ±sqrt(6 / fan_in)
Initializer lecun_normal();   // truncated, stddev sqrt(1 / fan_in) / 0.8796
Initializer lecun_uniform();  // ±sqrt(3 / fan_in)

// Keras's fans: a (in, out) kernel has fan_in = in, fan_out = out; a vector
// (n,) has both n; higher ranks multiply the leading (receptive field) axes
// into both.
struct Fans {
    double fan_in;
    double fan_out;
};
Fans compute_fans(const Shape& shape);

}  // namespace nabla::initializers
