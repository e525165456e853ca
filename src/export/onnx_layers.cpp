// The layer -> ONNX conversions, one function per layer class, and the one
// table that lists them; the image layers are in onnx_image_layers.cpp.
#include <functional>

#include "nabla/core/error.hpp"
#include "nabla/layers/activation.hpp"
#include "nabla/layers/dense.hpp"
#include "nabla/layers/dropout.hpp"
#include "nabla/layers/flatten.hpp"
#include "nabla/layers/input_layer.hpp"
#include "onnx_graph.hpp"

namespace nabla::onnx::detail {

// An Activation("linear") layer keeps an Identity node, so every layer of
// the model is visible in the graph.
void add_activation(ops::Activation a, const std::string& layer, GraphBuilder& g, bool identity_for_linear) {
    const std::string name = layer + "/" + std::string(ops::name(a));
    switch (a) {
        case ops::Activation::Linear:
            if (identity_for_linear) g.add_unary("Identity", name);
            return;
        case ops::Activation::ReLU: g.add_unary("Relu", name); return;
        case ops::Activation::Sigmoid: g.add_unary("Sigmoid", name); return;
        case ops::Activation::Tanh: g.add_unary("Tanh", name); return;
        // nabla's softmax is over the last axis; opset >= 13 Softmax is one axis too.
        case ops::Activation::Softmax: g.add_unary("Softmax", name, {int_attribute("axis", -1)}); return;
    }
    throw ValueError("ONNX export: layer '" + layer + "' has an activation with no ONNX operator");
}

namespace {

void convert_dense(const layers::Layer& layer, GraphBuilder& g) {
    const auto& d = as<layers::Dense>(layer);
    const std::string who = "Dense '" + d.name() + "'";
    // Keras's kernel is (in, units): Gemm's B as it is, no transB.
    std::vector<std::string> inputs{g.current(), g.add_initializer(who, d.kernel().name(), d.kernel().value())};
    if (d.use_bias()) inputs.push_back(g.add_initializer(who, d.bias().name(), d.bias().value()));
    g.add_node("Gemm", d.name() + "/gemm", std::move(inputs));
    add_activation(d.activation(), d.name(), g, false);
}

void convert_activation(const layers::Layer& layer, GraphBuilder& g) {
    add_activation(as<layers::Activation>(layer).activation(), layer.name(), g, true);
}

void convert_flatten(const layers::Layer& layer, GraphBuilder& g) {
    g.add_unary("Flatten", layer.name(), {int_attribute("axis", 1)});
}

// Inference only: Dropout is the identity.
void convert_dropout(const layers::Layer& layer, GraphBuilder& g) { g.add_unary("Identity", layer.name()); }

// The graph input already has the InputLayer's shape.
void convert_input(const layers::Layer&, GraphBuilder&) {}

using Conversion = std::function<void(const layers::Layer&, GraphBuilder&)>;

const std::map<std::string, Conversion, std::less<>>& conversions() {
    static const std::map<std::string, Conversion, std::less<>> table = {
        {"Activation", convert_activation},
        {"AveragePooling2D", convert_average_pooling2d},
        {"BatchNormalization", convert_batch_normalization},
        {"Conv2D", convert_conv2d},
        {"Dense", convert_dense},
        {"Dropout", convert_dropout},
        {"Flatten", convert_flatten},
        {"GlobalAveragePooling2D", convert_global_average_pooling2d},
        {"InputLayer", convert_input},
        {"MaxPooling2D", convert_max_pooling2d},
        {"Reshape", convert_reshape},
    };
    return table;
}

}  // namespace

std::vector<std::string> converted_classes() {
    std::vector<std::string> out;
    for (const auto& [k, v] : conversions()) out.push_back(k);
    return out;
}

void convert_layer(const layers::Layer& layer, GraphBuilder& graph) {
    const auto& table = conversions();
    const auto it = table.find(layer.class_name());
    if (it == table.end()) {
        std::string names;
        for (const auto& k : converted_classes()) names += (names.empty() ? "" : ", ") + k;
        throw ValueError("ONNX export: layer '" + layer.name() + "' (" + std::string(layer.class_name()) +
                         ") has no ONNX conversion; the layers nabla exports are " + names);
    }
    it->second(layer, graph);
}

}  // namespace nabla::onnx::detail
