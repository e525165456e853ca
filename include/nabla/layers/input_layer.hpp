#pragma once
// InputLayer: declares the shape of a model's samples, as keras.Input.
//
//   models::Sequential model({layers::Input({784}), layers::Dense(512, "relu"), ...});
//
// It has no weights, passes its input through, and checks that every batch
// has the declared sample shape. summary() does not list it (as Keras).
#include "nabla/layers/layer.hpp"

namespace nabla::layers {

class InputLayer : public Layer {
public:
    // `shape` excludes the batch axis: {784} or {28, 28}.
    explicit InputLayer(Shape shape, std::string name = "");

    std::string_view class_name() const override { return "InputLayer"; }
    Shape compute_output_shape(const Shape& input_shape) const override;
    const Shape& shape() const { return *declared_input_shape(); }

protected:
    Tensor call(const Tensor& x, bool training) override;
};

// keras.Input(shape=(784,)) -> layers::Input({784}).
InputLayer Input(Shape shape, std::string name = "");

}  // namespace nabla::layers
