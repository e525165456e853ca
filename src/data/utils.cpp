#include "nabla/data/utils.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace nabla::utils {
namespace {

// "5" for a 1-D tensor, "(1, 2)" otherwise: where a bad label sits.
std::string position(std::int64_t flat, const Shape& shape) {
    if (shape.size() <= 1) return std::to_string(flat);
    Shape idx(shape.size());
    for (std::size_t k = shape.size(); k-- > 0;) {
        idx[k] = flat % shape[k];
        flat /= shape[k];
    }
    return to_string(idx);
}

std::string show(double v) {
    std::string s = std::to_string(v);
    s.erase(s.find_last_not_of('0') + 1);
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s;
}

// The labels as integers; floats must hold whole numbers.
std::vector<std::int64_t> integer_labels(const Tensor& labels, const Shape& shape) {
    if (!is_floating(labels.dtype())) return labels.to_vector<std::int64_t>();
    std::vector<double> v = labels.to_vector<double>();
    std::vector<std::int64_t> out(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (!std::isfinite(v[i]) || std::floor(v[i]) != v[i] || std::abs(v[i]) > 9e15)
            throw ValueError("to_categorical: label " + show(v[i]) + " at index " +
                             position(static_cast<std::int64_t>(i), shape) +
                             " is not a whole number; class labels must be integers");
        out[i] = static_cast<std::int64_t>(v[i]);
    }
    return out;
}

}  // namespace

Tensor to_categorical(const Tensor& labels, std::int64_t num_classes) {
    if (!labels.defined()) throw ValueError("to_categorical: the labels tensor is undefined");
    Shape shape = labels.shape();
    std::vector<std::int64_t> y = integer_labels(labels, shape);
    if (shape.size() > 1 && shape.back() == 1) shape.pop_back();  // (N, 1) -> (N,), as Keras
    for (std::size_t i = 0; i < y.size(); ++i)
        if (y[i] < 0)
            throw ValueError("to_categorical: label " + std::to_string(y[i]) + " at index " +
                             position(static_cast<std::int64_t>(i), labels.shape()) +
                             " is negative; class labels start at 0");
    if (num_classes < 0) {
        if (y.empty())
            throw ValueError("to_categorical: cannot infer num_classes from an empty labels tensor "
                             "of shape " + to_string(labels.shape()) + "; pass num_classes");
        num_classes = *std::max_element(y.begin(), y.end()) + 1;
    }
    for (std::size_t i = 0; i < y.size(); ++i)
        if (y[i] >= num_classes)
            throw ValueError("to_categorical: label " + std::to_string(y[i]) + " at index " +
                             position(static_cast<std::int64_t>(i), labels.shape()) +
                             " is out of range for num_classes=" + std::to_string(num_classes) +
                             " (valid labels are 0.." + std::to_string(num_classes - 1) + ")");
    Shape out_shape = shape;
    out_shape.push_back(num_classes);
    Tensor out = zeros(out_shape, float32);
    float* p = out.data<float>();
    for (std::size_t i = 0; i < y.size(); ++i) p[static_cast<std::int64_t>(i) * num_classes + y[i]] = 1.0f;
    return out;
}

}  // namespace nabla::utils
