// The ONNX conversions of the channels-last image layers: Conv2D, the
// pooling layers, BatchNormalization, Reshape.
//
// nabla is NHWC (Keras's channels_last); ONNX's Conv, MaxPool and
// AveragePool are NCHW only. Each of those is wrapped in
// Transpose(0,3,1,2) ... Transpose(0,2,3,1), so every tensor between layers
// is NHWC as in nabla and a Flatten after it sees Keras's element order.
// "same" padding becomes explicit pads computed from the static input shape
// with TensorFlow's split (the extra row/column at the bottom/right), which
// ONNX's auto_pad=SAME_UPPER also means but shape inference handles less
// well and runtimes differ on.
#include <string>
#include <vector>

#include "nabla/core/error.hpp"
#include "nabla/layers/batch_normalization.hpp"
#include "nabla/layers/conv2d.hpp"
#include "nabla/layers/pooling.hpp"
#include "nabla/layers/reshape.hpp"
#include "nabla/ops/elementwise.hpp"
#include "onnx_graph.hpp"

namespace nabla::onnx::detail {

namespace {

using nabla::ops::Padding;
using nabla::ops::Size2;

// Begin and end padding of one axis: TensorFlow's "same" (output
// ceil(in / stride), the odd row/column at the end) or none for "valid".
struct AxisPads {
    std::int64_t begin = 0, end = 0;
};
AxisPads axis_pads(std::int64_t in, std::int64_t window, std::int64_t stride, std::int64_t dilation, Padding p) {
    if (p == Padding::Valid) return {};
    const std::int64_t out = (in + stride - 1) / stride;
    const std::int64_t needed = (out - 1) * stride + (window - 1) * dilation + 1 - in;
    const std::int64_t total = needed > 0 ? needed : 0;
    return {total / 2, total - total / 2};
}

// ONNX's pads attribute [top, left, bottom, right]. "same" needs the height
// and width, which the model's input shape fixes; an unknown one is refused.
Attribute pads_attribute(const layers::Layer& layer, Size2 window, Size2 strides, Size2 dilation, Padding p) {
    const Shape& s = layer.input_shape();
    if (p == Padding::Same && (s[1] < 0 || s[2] < 0))
        throw ValueError("ONNX export: layer '" + layer.name() + "' has padding 'same' and an input of unknown height "
                         "or width; give the model a full input shape (e.g. Input({28, 28, 1})) to export it");
    const AxisPads h = axis_pads(s[1], window.h, strides.h, dilation.h, p);
    const AxisPads w = axis_pads(s[2], window.w, strides.w, dilation.w, p);
    return ints_attribute("pads", {h.begin, w.begin, h.end, w.end});
}

void to_nchw(const std::string& layer, GraphBuilder& g) {
    g.add_unary("Transpose", layer + "/to_nchw", {ints_attribute("perm", {0, 3, 1, 2})});
}
void to_nhwc(const std::string& layer, GraphBuilder& g) {
    g.add_unary("Transpose", layer + "/to_nhwc", {ints_attribute("perm", {0, 2, 3, 1})});
}

// MaxPool / AveragePool between the two transposes.
void convert_pooling(const layers::Layer& layer, GraphBuilder& g, const char* op, std::vector<Attribute> extra) {
    const auto& p = as<layers::Pooling2D>(layer);
    std::vector<Attribute> attributes{
        ints_attribute("kernel_shape", {p.pool_size().h, p.pool_size().w}),
        ints_attribute("strides", {p.strides().h, p.strides().w}),
        pads_attribute(p, p.pool_size(), p.strides(), 1, p.padding()),
    };
    for (auto& a : extra) attributes.push_back(std::move(a));
    to_nchw(p.name(), g);
    g.add_unary(op, p.name() + "/" + std::string(op == std::string("MaxPool") ? "max_pool" : "average_pool"),
                std::move(attributes));
    to_nhwc(p.name(), g);
}

}  // namespace

void convert_conv2d(const layers::Layer& layer, GraphBuilder& g) {
    const auto& c = as<layers::Conv2D>(layer);
    const std::string who = "Conv2D '" + c.name() + "'";
    // Keras's kernel is HWIO (kh, kw, in, filters); ONNX's W is OIHW.
    const Tensor oihw = c.kernel().value().transpose({3, 2, 0, 1}).contiguous();
    to_nchw(c.name(), g);
    std::vector<std::string> inputs{g.current(), g.add_initializer(who, c.kernel().name(), oihw)};
    if (c.use_bias()) inputs.push_back(g.add_initializer(who, c.bias().name(), c.bias().value()));
    const Size2 k = c.kernel_size(), s = c.strides(), d = c.dilation_rate();
    g.add_node("Conv", c.name() + "/conv", std::move(inputs),
               {ints_attribute("kernel_shape", {k.h, k.w}), ints_attribute("strides", {s.h, s.w}),
                ints_attribute("dilations", {d.h, d.w}), pads_attribute(c, k, s, d, c.padding())});
    to_nhwc(c.name(), g);
    add_activation(c.activation(), c.name(), g, false);
}

void convert_max_pooling2d(const layers::Layer& layer, GraphBuilder& g) { convert_pooling(layer, g, "MaxPool", {}); }

// nabla's avg_pool2d divides by the number of real (unpadded) positions:
// count_include_pad = 0, ONNX's default, written out so it is visible.
void convert_average_pooling2d(const layers::Layer& layer, GraphBuilder& g) {
    convert_pooling(layer, g, "AveragePool", {int_attribute("count_include_pad", 0)});
}

// The mean over height and width of NHWC: no transposes needed. Opset 17's
// ReduceMean takes axes as an attribute (opset 18 made it an input).
void convert_global_average_pooling2d(const layers::Layer& layer, GraphBuilder& g) {
    const auto& p = as<layers::GlobalAveragePooling2D>(layer);
    g.add_unary("ReduceMean", p.name(),
                {ints_attribute("axes", {1, 2}), int_attribute("keepdims", p.keepdims() ? 1 : 0)});
}

// Inference mode: x * scale + shift over the last axis, with scale and
// shift computed here by the same expression as nabla's batch_norm
// (scale = gamma / sqrt(var + eps), shift = beta - mean * scale), so Mul and
// Add reproduce predict exactly, at any rank and without transposes. ONNX's
// BatchNormalization would need NCHW and computes its own rounding.
void convert_batch_normalization(const layers::Layer& layer, GraphBuilder& g) {
    const auto& bn = as<layers::BatchNormalization>(layer);
    const auto& o = bn.options();
    const std::string who = "BatchNormalization '" + bn.name() + "'";
    const Tensor variance = bn.moving_variance().value(), mean = bn.moving_mean().value();
    Tensor scale = 1.0 / nabla::ops::sqrt(variance + o.epsilon);
    if (o.scale) scale = scale * bn.gamma().value();
    Tensor shift = -(mean * scale);
    if (o.center) shift = shift + bn.beta().value();
    const std::string x = g.current();
    g.add_node("Mul", bn.name() + "/mul", {x, g.add_initializer(who, bn.name() + "/scale", scale)});
    g.add_node("Add", bn.name() + "/add", {g.current(), g.add_initializer(who, bn.name() + "/shift", shift)});
}

// The shape input is [0, d1, d2, ...]: with allowzero = 0 a 0 copies the
// input's (symbolic) batch size; the sample dims are the layer's resolved
// output shape (a -1 of the target already worked out).
void convert_reshape(const layers::Layer& layer, GraphBuilder& g) {
    const auto& r = as<layers::Reshape>(layer);
    std::vector<std::int64_t> shape{0};
    const Shape& out = r.output_shape();
    for (std::size_t i = 1; i < out.size(); ++i) shape.push_back(out[i] >= 0 ? out[i] : r.target_shape()[i - 1]);
    const std::string x = g.current();
    g.add_node("Reshape", r.name(), {x, g.add_int64_initializer(r.name() + "/shape", shape)},
               {int_attribute("allowzero", 0)});
}

}  // namespace nabla::onnx::detail
