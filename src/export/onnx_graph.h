#pragma once
// The whole exported model as plain data, before any protobuf: what
// build_onnx_graph() assembles from a network and onnx_write.cpp serialises.
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <functional>

#include "handgrad/export/onnx.h"
#include "handgrad/layers/onnx_node.h"
#include "handgrad/model/network.h"

namespace handgrad {

// A float32 constant of the graph (weights, biases, normalisation).
struct OnnxInitializer {
  std::string name;
  std::vector<int64_t> dims;
  std::vector<float> data;
};

// A graph input or output: float32 with these dims; a negative dim is the
// symbolic batch dimension "N".
struct OnnxValue {
  std::string name;
  std::vector<int64_t> dims;
};

struct OnnxGraph {
  int opset = kOnnxDefaultOpset;
  std::string name, doc;
  OnnxValue input;
  std::vector<OnnxValue> outputs;
  std::vector<OnnxInitializer> initializers;
  std::vector<OnnxNode> nodes;  // in topological order
  std::vector<std::pair<std::string, std::string>> metadata;
};

// A layer's lowering: Layer::onnx, or a stand-in (tests wire one wrongly).
using OnnxLowering = std::function<std::vector<OnnxNode>(const Layer<float>&, const OnnxCtx&)>;
std::vector<OnnxNode> layer_onnx(const Layer<float>& layer, const OnnxCtx& ctx);

// The network's input step comes first. Throws Error naming `where` and the
// layer for a layer without a lowering (an empty one), a lowering whose nodes
// read a tensor nothing defines or do not write their output, and a
// non-finite parameter.
OnnxGraph build_onnx_graph(const Network<float>& net,
                           const std::map<std::string, std::string>& metadata,
                           const OnnxExportOptions& o, const std::string& where,
                           const OnnxLowering& lower = layer_onnx);

// Serialises to ONNX protobuf bytes after running onnx's checker and strict
// shape inference on the result. Throws Error when built without ONNX.
std::string serialize_onnx(const OnnxGraph& g, const std::string& where);

}  // namespace handgrad
