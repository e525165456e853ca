#pragma once
// Flatten: (batch, d1, d2, ...) -> (batch, d1·d2·...), Keras's layers.Flatten.
// A view when the input is contiguous (no copy).
#include "nabla/layers/layer.hpp"

namespace nabla::layers {

struct FlattenOptions {
    Shape input_shape = {};  // without the batch axis: {28, 28}; empty: not given
    std::string name = "";
};

class Flatten : public Layer {
public:
    explicit Flatten(FlattenOptions options = {});

    std::string_view class_name() const override { return "Flatten"; }
    Shape compute_output_shape(const Shape& input_shape) const override;

protected:
    Tensor call(const Tensor& x, bool training) override;
};

}  // namespace nabla::layers
