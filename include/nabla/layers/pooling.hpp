#pragma once
// Pooling layers on channels-last images, Keras's MaxPooling2D,
// AveragePooling2D and GlobalAveragePooling2D.
//
//   layers::MaxPooling2D(2)                                    // the book's convnet
//   layers::AveragePooling2D({3, 3}, {.strides = 1, .padding = "same"})
//   layers::GlobalAveragePooling2D()                           // (batch, h, w, c) -> (batch, c)
#include <optional>
#include <string>

#include "nabla/layers/layer.hpp"
#include "nabla/ops/conv.hpp"

namespace nabla::layers {

struct Pooling2DOptions {
    std::optional<nabla::ops::Size2> strides = std::nullopt;  // nullopt: the pool size, as Keras
    std::string padding = "valid";
    Shape input_shape = {};
    std::string name = "";
};

// The shared part of MaxPooling2D and AveragePooling2D.
class Pooling2D : public Layer {
public:
    Shape compute_output_shape(const Shape& input_shape) const override;
    nabla::ops::Size2 pool_size() const { return params_.pool_size; }
    nabla::ops::Size2 strides() const { return params_.strides; }
    nabla::ops::Padding padding() const { return params_.padding; }

protected:
    Pooling2D(std::string_view prefix, nabla::ops::Size2 pool_size, Pooling2DOptions options);
    nabla::ops::Pool2DParams params_;
};

class MaxPooling2D : public Pooling2D {
public:
    explicit MaxPooling2D(nabla::ops::Size2 pool_size = 2, Pooling2DOptions options = {});
    std::string_view class_name() const override { return "MaxPooling2D"; }

protected:
    Tensor call(const Tensor& x, bool training) override;
};

class AveragePooling2D : public Pooling2D {
public:
    explicit AveragePooling2D(nabla::ops::Size2 pool_size = 2, Pooling2DOptions options = {});
    std::string_view class_name() const override { return "AveragePooling2D"; }

protected:
    Tensor call(const Tensor& x, bool training) override;
};

struct GlobalPooling2DOptions {
    bool keepdims = false;  // true: (batch, 1, 1, c)
    Shape input_shape = {};
    std::string name = "";
};

class GlobalAveragePooling2D : public Layer {
public:
    explicit GlobalAveragePooling2D(GlobalPooling2DOptions options = {});
    std::string_view class_name() const override { return "GlobalAveragePooling2D"; }
    Shape compute_output_shape(const Shape& input_shape) const override;
    bool keepdims() const { return keepdims_; }

protected:
    Tensor call(const Tensor& x, bool training) override;

private:
    bool keepdims_;
};

}  // namespace nabla::layers
