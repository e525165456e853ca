#pragma once
// Reshape: (batch, ...) -> (batch, *target_shape), Keras's layers.Reshape.
// One entry of target_shape may be -1 (inferred). A view when the input is
// contiguous.
//
//   layers::Reshape({28, 28, 1})     // (batch, 784) -> (batch, 28, 28, 1)
#include <string>

#include "nabla/layers/layer.hpp"

namespace nabla::layers {

struct ReshapeOptions {
    Shape input_shape = {};
    std::string name = "";
};

class Reshape : public Layer {
public:
    explicit Reshape(Shape target_shape, ReshapeOptions options = {});
    std::string_view class_name() const override { return "Reshape"; }
    Shape compute_output_shape(const Shape& input_shape) const override;
    const Shape& target_shape() const { return target_shape_; }

protected:
    Tensor call(const Tensor& x, bool training) override;

private:
    Shape target_shape_;
};

}  // namespace nabla::layers
