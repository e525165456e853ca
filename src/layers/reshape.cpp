#include "nabla/layers/reshape.hpp"

namespace nabla::layers {

Reshape::Reshape(Shape target_shape, ReshapeOptions options)
    : Layer("reshape", std::move(options.name),
            options.input_shape.empty() ? std::nullopt : std::optional<Shape>(options.input_shape)),
      target_shape_(std::move(target_shape)) {
    int unknown = 0;
    for (std::int64_t d : target_shape_) {
        if (d == -1) ++unknown;
        else if (d <= 0)
            throw ValueError(describe() + ": target_shape " + shape_string(target_shape_) +
                             " must have positive sizes (and at most one -1)");
    }
    if (unknown > 1)
        throw ValueError(describe() + ": target_shape " + shape_string(target_shape_) + " has more than one -1");
}

Shape Reshape::compute_output_shape(const Shape& s) const {
    if (s.empty()) throw ShapeError(describe() + " expects a batch axis; got a scalar (shape ())");
    Shape out{s[0]};
    out.insert(out.end(), target_shape_.begin(), target_shape_.end());
    std::int64_t have = 1, known = 1;
    for (std::size_t i = 1; i < s.size(); ++i) {
        if (s[i] < 0) return out;  // unknown sample size: nothing to check yet
        have *= s[i];
    }
    std::size_t hole = 0;
    for (std::size_t i = 1; i < out.size(); ++i) {
        if (out[i] == -1) hole = i;
        else known *= out[i];
    }
    const Shape sample(s.begin() + 1, s.end());
    if (hole ? have % known != 0 : have != known)
        throw ShapeError(describe() + ": cannot reshape samples of shape " + shape_string(sample) + " (" +
                         std::to_string(have) + " values) into " + shape_string(target_shape_));
    if (hole) out[hole] = have / known;
    return out;
}

Tensor Reshape::call(const Tensor& x, bool) {
    Shape out = compute_output_shape(x.shape());
    out[0] = x.shape(0);
    return x.reshape(out);
}

}  // namespace nabla::layers
