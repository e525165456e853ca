#pragma once
// ONNX export of a Sequential model, for inference elsewhere (onnxruntime,
// TensorRT, OpenVINO, a browser...). Keras 3's model.export(path, "onnx") is
// Sequential::export_model(path, "onnx") (`export` is a C++ keyword); these
// are the functions behind it.
//
//   model.export_model("model.onnx", "onnx");
//   // python: onnxruntime.InferenceSession("model.onnx").run(None, {"input": x})
//
// The file is an ONNX ModelProto, opset 17 / IR version 8: one graph input
// "input" of shape (batch, <the model's sample shape>) with "batch" a
// symbolic dimension, one output "output", float32 throughout, the weights
// as initializers. Each layer becomes (docs/deploy.md, "ONNX export"):
//   Dense          Gemm(input, kernel, bias) then Relu / Sigmoid / Tanh /
//                  Softmax(axis=-1), nothing for linear
//   Activation     the same activation node (Identity for linear)
//   Flatten        Flatten(axis=1)
//   Dropout        Identity (inference)
//   InputLayer     nothing: it is the graph input
// A layer without a conversion is a ValueError naming it and listing the
// layers that have one; so is a model that is not built (its input shape
// is unknown) or a layer with float64 weights.
#include <cstdint>
#include <string>
#include <vector>

#include "nabla/models/sequential.hpp"

namespace nabla::onnx {

inline constexpr std::int64_t kIrVersion = 8;
inline constexpr std::int64_t kOpsetVersion = 17;

// The serialized ModelProto.
std::vector<std::uint8_t> to_bytes(const models::Sequential& model);
// Writes to_bytes(model) to `path` atomically (temporary file, fsync,
// rename); the path is checked before any work. IOError naming the path.
void save(const models::Sequential& model, const std::string& path);
// The layer classes that have a conversion ("Activation", "Dense", ...).
std::vector<std::string> supported_layers();

}  // namespace nabla::onnx
