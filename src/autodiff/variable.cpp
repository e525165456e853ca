#include "nabla/autodiff/variable.hpp"

#include "nabla/ops/elementwise.hpp"
#include "ops/gemm.hpp"

namespace nabla {
inline namespace autodiff {

namespace {
void check_same_shape(const char* op, const Variable& v, const Tensor& t) {
    if (t.shape() != v.shape())
        throw ShapeError(std::string("Variable.") + op + " of '" + v.name() + "': shapes " + to_string(v.shape()) +
                         " and " + to_string(t.shape()) + " differ");
}
}  // namespace

Variable::Variable(Tensor initial_value, std::string name, bool trainable)
    : value_(detail::copy_placed_for_product(initial_value)), name_(std::move(name)), trainable_(trainable) {
    if (trainable_ && !is_floating(value_.dtype()))
        throw DTypeError("Variable '" + name_ + "': a trainable variable must be float32 or float64, got " +
                         std::string(nabla::name(value_.dtype())));
    value_.mark_as_variable(trainable_);
}

void Variable::assign(const Tensor& v) {
    check_same_shape("assign", *this, v);
    value_.assign(v);
}

void Variable::assign_add(const Tensor& delta) {
    check_same_shape("assign_add", *this, delta);
    value_ += delta;
}

void Variable::assign_sub(const Tensor& delta) {
    check_same_shape("assign_sub", *this, delta);
    value_ -= delta;
}

}  // namespace autodiff
}  // namespace nabla
