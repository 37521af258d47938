#pragma once
// A layer's ONNX lowering as plain data: the nodes it adds to the graph,
// with their attributes, and nothing that depends on protobuf. Each layer
// file returns its own (Layer::onnx); src/export turns them into an
// onnx::ModelProto (onnx_write.cpp).
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace handgrad {

// One attribute of a node; the alternative picks the ONNX attribute type
// (INT, FLOAT, INTS, FLOATS, STRING).
struct OnnxAttr {
  using Value = std::variant<int64_t, float, std::vector<int64_t>, std::vector<float>, std::string>;
  std::string name;
  Value value;
};

// Named constructors, so that `1` and `1.0` never pick the wrong type.
inline OnnxAttr attr_int(std::string name, int64_t v) {
  return {std::move(name), v};
}
inline OnnxAttr attr_float(std::string name, float v) {
  return {std::move(name), v};
}
inline OnnxAttr attr_ints(std::string name, std::vector<int64_t> v) {
  return {std::move(name), std::move(v)};
}
inline OnnxAttr attr_floats(std::string name, std::vector<float> v) {
  return {std::move(name), std::move(v)};
}
inline OnnxAttr attr_string(std::string name, std::string v) {
  return {std::move(name), std::move(v)};
}

// One node of the default ("ai.onnx") domain: op type as in the ONNX
// operator list ("Conv", "Gemm"), tensor names in and out. Constants a
// lowering needs are themselves nodes: {"Constant", {}, {name},
// {attr_floats("value_floats", {...})}} (or "value_float" for a scalar).
struct OnnxNode {
  std::string op;
  std::vector<std::string> inputs, outputs;
  std::vector<OnnxAttr> attrs = {};
};

// What a layer's lowering is given.
struct OnnxCtx {
  // This layer's input tensor: (N, in_dims), float32.
  std::string input;
  // The name the layer's result must have: (N, out_dims). Exactly one of
  // the returned nodes writes it.
  std::string output;
  // The initializers holding this layer's trainable tensors and its
  // buffers (running statistics), in tensors() order, named as in the
  // model file: {"0.weight", "0.bias"}.
  std::vector<std::string> params, buffers;
  // The opset being written (kOnnxMinOpset..kOnnxMaxOpset), for layers whose
  // lowering depends on it.
  int opset = 0;
  // A graph-wide unique name for an intermediate tensor; `hint` makes it
  // readable ("3.pre" -> "3.pre" or "3.pre_1").
  std::function<std::string(const std::string& hint)> fresh;
};

}  // namespace handgrad
