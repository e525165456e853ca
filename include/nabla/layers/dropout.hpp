#pragma once
// Dropout: during training, zeroes each input element with probability
// `rate` and scales the kept ones by 1 / (1 - rate), so the expected value is
// unchanged; at inference it is the identity (Keras's inverted dropout).
//
//   layers::Dropout(0.5)                    // masks from the model's seeded stream
//   layers::Dropout(0.5, {.seed = 1234})    // its own stream
#include <optional>

#include "nabla/layers/layer.hpp"

namespace nabla::layers {

struct DropoutOptions {
    std::optional<std::uint64_t> seed = std::nullopt;
    std::string name = "";
};

class Dropout : public Layer {
public:
    // 0 <= rate < 1, else ValueError.
    explicit Dropout(double rate, DropoutOptions options = {});

    std::string_view class_name() const override { return "Dropout"; }
    Shape compute_output_shape(const Shape& input_shape) const override { return input_shape; }
    double rate() const { return rate_; }
    const std::optional<std::uint64_t>& seed() const { return seed_; }  // the seed option

protected:
    Tensor call(const Tensor& x, bool training) override;

private:
    double rate_;
    std::optional<std::uint64_t> seed_;
};

}  // namespace nabla::layers
