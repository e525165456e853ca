#pragma once
// Internal: an ONNX graph under construction, and the per-layer conversions
// that fill it. A conversion reads the layer and appends nodes and
// initializers; the builder keeps the name of the tensor the next layer
// reads. To export a new layer class, write one conversion and add it to
// the table in onnx_layers.cpp — nothing else changes.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "nabla/core/tensor.hpp"
#include "nabla/core/error.hpp"
#include "nabla/layers/layer.hpp"
#include "nabla/ops/nn.hpp"

namespace nabla::onnx::detail {

// An AttributeProto of the kinds the conversions use.
struct Attribute {
    enum class Kind { Int, Float, Ints };
    std::string name;
    Kind kind = Kind::Int;
    std::int64_t i = 0;
    float f = 0;
    std::vector<std::int64_t> ints;
};
Attribute int_attribute(std::string name, std::int64_t value);
Attribute float_attribute(std::string name, float value);
Attribute ints_attribute(std::string name, std::vector<std::int64_t> values);

struct Node {
    std::string op_type, name;
    std::vector<std::string> inputs, outputs;
    std::vector<Attribute> attributes;
};

// A float32 (weights) or int64 (shapes) initializer: little-endian
// raw_data of a contiguous copy.
struct Initializer {
    std::string name;
    Shape dims;
    Tensor values;
};

class GraphBuilder {
public:
    explicit GraphBuilder(std::string input_name) : current_(std::move(input_name)) {}

    // The tensor the next layer reads (the graph input at first).
    const std::string& current() const { return current_; }
    // Appends a node named `name` (unique in the graph) that reads `inputs`
    // and writes one tensor of the same name, which becomes current.
    void add_node(std::string op_type, std::string name, std::vector<std::string> inputs,
                  std::vector<Attribute> attributes = {});
    // `op_type`(current()): the common one-input node.
    void add_unary(std::string op_type, std::string name, std::vector<Attribute> attributes = {});
    // Registers a weight; returns its name for a node's inputs. ValueError
    // (naming `who`) unless it is float32.
    std::string add_initializer(const std::string& who, std::string name, const Tensor& values);
    // An int64 vector (a Reshape's shape input); returns its name.
    std::string add_int64_initializer(std::string name, const std::vector<std::int64_t>& values);

    // The last node writes `output`: the graph's output is then a node's
    // output, not an extra Identity (unless there is no node at all).
    void finish(const std::string& output);

    const std::vector<Node>& nodes() const { return nodes_; }
    const std::vector<Initializer>& initializers() const { return initializers_; }

private:
    std::string current_;
    std::vector<Node> nodes_;
    std::vector<Initializer> initializers_;
};

// Appends `layer` to the graph; ValueError naming the layer if its class has no conversion.
void convert_layer(const layers::Layer& layer, GraphBuilder& graph);
std::vector<std::string> converted_classes();

// The layer as its class; a class_name() that lies (a user's layer calling
// itself "Dense") is an error, not undefined behaviour.
template <typename L>
const L& as(const layers::Layer& layer);

// The node for an activation, named "<layer>/<activation>"; linear adds
// nothing unless `identity_for_linear`.
void add_activation(ops::Activation a, const std::string& layer, GraphBuilder& g, bool identity_for_linear);

// The channels-last image layers (onnx_image_layers.cpp).
void convert_conv2d(const layers::Layer& layer, GraphBuilder& g);
void convert_max_pooling2d(const layers::Layer& layer, GraphBuilder& g);
void convert_average_pooling2d(const layers::Layer& layer, GraphBuilder& g);
void convert_global_average_pooling2d(const layers::Layer& layer, GraphBuilder& g);
void convert_batch_normalization(const layers::Layer& layer, GraphBuilder& g);
void convert_reshape(const layers::Layer& layer, GraphBuilder& g);

template <typename L>
const L& as(const layers::Layer& layer) {
    const auto* p = dynamic_cast<const L*>(&layer);
    if (!p)
        throw ValueError("ONNX export: layer '" + layer.name() + "' says it is a " + std::string(layer.class_name()) +
                         " but is another class; it has no ONNX conversion");
    return *p;
}

}  // namespace nabla::onnx::detail
