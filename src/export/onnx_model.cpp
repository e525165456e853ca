// The ONNX ModelProto of a Sequential: the graph the layer conversions build
// (onnx_layers.cpp), serialized with the field numbers of onnx.proto
// (onnx 1.12, IR version 8), and the file write.
#include <bit>
#include <cstring>

#include "nabla/core/error.hpp"
#include "nabla/export/onnx.hpp"
#include "nabla/io/file.hpp"
#include "onnx_graph.hpp"
#include "protobuf.hpp"

namespace nabla::onnx {

namespace detail {

Attribute int_attribute(std::string name, std::int64_t value) {
    return {.name = std::move(name), .kind = Attribute::Kind::Int, .i = value, .f = 0, .ints = {}};
}
Attribute float_attribute(std::string name, float value) {
    return {.name = std::move(name), .kind = Attribute::Kind::Float, .i = 0, .f = value, .ints = {}};
}
Attribute ints_attribute(std::string name, std::vector<std::int64_t> values) {
    return {.name = std::move(name), .kind = Attribute::Kind::Ints, .ints = std::move(values)};
}

void GraphBuilder::add_node(std::string op_type, std::string name, std::vector<std::string> inputs,
                            std::vector<Attribute> attributes) {
    current_ = name;
    nodes_.push_back({std::move(op_type), name, std::move(inputs), {std::move(name)}, std::move(attributes)});
}

void GraphBuilder::add_unary(std::string op_type, std::string name, std::vector<Attribute> attributes) {
    add_node(std::move(op_type), std::move(name), {current_}, std::move(attributes));
}

std::string GraphBuilder::add_initializer(const std::string& who, std::string name, const Tensor& values) {
    if (values.dtype() != float32)
        throw ValueError("ONNX export: " + who + " has " + std::string(nabla::name(values.dtype())) +
                         " weights; only float32 models are exported (build the layer with dtype float32)");
    initializers_.push_back({name, values.shape(), values.contiguous()});
    return name;
}

std::string GraphBuilder::add_int64_initializer(std::string name, const std::vector<std::int64_t>& values) {
    initializers_.push_back({name, {static_cast<std::int64_t>(values.size())},
                             Tensor(values, {static_cast<std::int64_t>(values.size())})});
    return name;
}

void GraphBuilder::finish(const std::string& output) {
    if (nodes_.empty()) add_unary("Identity", output);
    nodes_.back().outputs = {output};
    current_ = output;
}

namespace {

// onnx.proto field numbers (TensorProto.DataType FLOAT = 1; AttributeProto.AttributeType).
enum : int { kFloat = 1, kInt64 = 7 };
enum : int { kAttrFloat = 1, kAttrInt = 2, kAttrInts = 7 };

// Little-endian bytes of `n` elements of T (U: the unsigned integer of its width).
template <typename U, typename T>
std::vector<std::uint8_t> little_endian(const T* p, std::size_t n) {
    std::vector<std::uint8_t> raw(n * sizeof(T));
    if constexpr (std::endian::native == std::endian::little) {
        if (n) std::memcpy(raw.data(), p, raw.size());
    } else {
        for (std::size_t i = 0; i < n; ++i) {
            const U bits = std::bit_cast<U>(p[i]);
            for (std::size_t b = 0; b < sizeof(T); ++b) raw[sizeof(T) * i + b] = static_cast<std::uint8_t>(bits >> (8 * b));
        }
    }
    return raw;
}

ProtoWriter tensor_proto(const Initializer& t) {
    ProtoWriter w;
    const bool ints = t.values.dtype() == int64;
    for (auto d : t.dims) w.int64_field(1, d);    // dims
    w.varint_field(2, ints ? kInt64 : kFloat);    // data_type
    w.string_field(8, t.name);                    // name
    const std::size_t n = static_cast<std::size_t>(t.values.size());
    // raw_data: little-endian, as the format requires
    if (ints) w.bytes_field(9, little_endian<std::uint64_t>(t.values.data<std::int64_t>(), n));
    else w.bytes_field(9, little_endian<std::uint32_t>(t.values.data<float>(), n));
    return w;
}

// ValueInfoProto of a float tensor; a negative size is symbolic: "batch" on
// the first axis, its own name on any other (ONNX takes dimensions with one
// name to be equal, so an unknown height must not be called "batch").
ProtoWriter value_info(const std::string& name, const Shape& shape) {
    ProtoWriter dims;
    for (std::size_t axis = 0; axis < shape.size(); ++axis) {
        ProtoWriter dim;
        if (shape[axis] < 0)  // dim_param
            dim.string_field(2, axis == 0 ? std::string("batch") : name + "_dim" + std::to_string(axis));
        else
            dim.int64_field(1, shape[axis]);  // dim_value
        dims.message_field(1, dim);
    }
    ProtoWriter tensor;
    tensor.varint_field(1, kFloat);  // elem_type
    tensor.message_field(2, dims);   // shape
    ProtoWriter type;
    type.message_field(1, tensor);   // tensor_type
    ProtoWriter w;
    w.string_field(1, name);
    w.message_field(2, type);
    return w;
}

ProtoWriter attribute_proto(const Attribute& a) {
    ProtoWriter w;
    w.string_field(1, a.name);
    switch (a.kind) {
        case Attribute::Kind::Float:
            w.float_field(2, a.f);
            w.varint_field(20, kAttrFloat);
            break;
        case Attribute::Kind::Int:
            w.int64_field(3, a.i);
            w.varint_field(20, kAttrInt);
            break;
        case Attribute::Kind::Ints:
            for (auto v : a.ints) w.int64_field(8, v);
            w.varint_field(20, kAttrInts);
            break;
    }
    return w;
}

ProtoWriter node_proto(const Node& n) {
    ProtoWriter w;
    for (const auto& s : n.inputs) w.string_field(1, s);
    for (const auto& s : n.outputs) w.string_field(2, s);
    w.string_field(3, n.name);
    w.string_field(4, n.op_type);
    for (const auto& a : n.attributes) w.message_field(5, attribute_proto(a));
    return w;
}

constexpr const char* kInput = "input";
constexpr const char* kOutput = "output";

}  // namespace
}  // namespace detail

std::vector<std::uint8_t> to_bytes(const models::Sequential& model) {
    using namespace detail;
    if (!model.built())
        throw ValueError("ONNX export: model '" + model.name() +
                         "' is not built, so its input shape is unknown; give the first layer an input_shape, "
                         "call build({-1, 784}) or call the model on a batch first");
    GraphBuilder graph(kInput);
    for (const auto& layer : model.layers()) convert_layer(*layer, graph);
    graph.finish(kOutput);

    ProtoWriter g;
    for (const auto& n : graph.nodes()) g.message_field(1, node_proto(n));
    g.string_field(2, model.name());
    for (const auto& t : graph.initializers()) g.message_field(5, tensor_proto(t));
    g.message_field(11, value_info(kInput, model.input_shape()));
    g.message_field(12, value_info(kOutput, model.output_shape()));

    ProtoWriter opset;
    opset.string_field(1, "");  // the default domain, ai.onnx
    opset.int64_field(2, kOpsetVersion);
    ProtoWriter m;
    m.int64_field(1, kIrVersion);
    m.string_field(2, "nabla");
    m.string_field(3, "0.1.0");
    m.message_field(7, g);
    m.message_field(8, opset);
    return m.take();
}

void save(const models::Sequential& model, const std::string& path) {
    io::check_writable(path);  // before the work, so a bad path fails fast
    io::atomic_write(path, to_bytes(model));
}

std::vector<std::string> supported_layers() { return detail::converted_classes(); }

}  // namespace nabla::onnx

namespace nabla::models {

void Sequential::export_model(const std::string& path, const std::string& format) const {
    if (format == "onnx") return onnx::save(*this, path);
    throw ValueError("export_model: unrecognized format '" + format + "'; the supported format is 'onnx' "
                     "(Keras's tf_saved_model and openvino need TensorFlow or OpenVINO)");
}

}  // namespace nabla::models
