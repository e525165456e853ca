#pragma once
// Variable: a named, trainable tensor that every GradientTape watches
// without being told. assign/assign_add/assign_sub write in place and are
// never recorded (they are the optimizer's updates, not part of the model).
#include <string>
#include <utility>

#include "nabla/core/tensor.hpp"

namespace nabla {
inline namespace autodiff {

class Variable {
public:
    Variable() = default;
    explicit Variable(Tensor initial_value, std::string name = "variable", bool trainable = true);
    // From a C++ number, by Tensor's rule: Variable(0.) is a 0-d float32
    // variable (tf.Variable(0.)); an integer gives an int64 tensor, which only
    // a non-trainable variable may hold.
    template <Scalar S>
    explicit Variable(S initial_value, std::string name = "variable", bool trainable = true)
        : Variable(Tensor(initial_value), std::move(name), trainable) {}

    const Tensor& value() const { return value_; }
    operator const Tensor&() const { return value_; }  // use a Variable wherever a Tensor fits
    const std::string& name() const { return name_; }
    bool trainable() const { return trainable_; }
    const Shape& shape() const { return value_.shape(); }
    DType dtype() const { return value_.dtype(); }

    // Shapes must match exactly (ShapeError names both); dtype is converted.
    void assign(const Tensor& v);
    void assign_add(const Tensor& delta);
    void assign_sub(const Tensor& delta);

private:
    Tensor value_;
    std::string name_;
    bool trainable_ = true;
};

}  // namespace autodiff
}  // namespace nabla
