#pragma once
// The ONNX lowering of each layer kind, keyed by its name in architecture
// strings. Until the layer table lands these live together in
// lowerings.cpp; each then moves into its layer's file as
// `Layer<T>::onnx(const OnnxCtx&)`, with the same body.
#include <string>
#include <vector>

#include "export/onnx_node.h"
#include "handgrad/layer.h"

namespace handgrad {

// Nodes computing ctx.output from ctx.input (and ctx.params) in evaluation
// mode. Throws Error if the layer's configuration has no ONNX form.
using OnnxLowering = std::vector<OnnxNode> (*)(const Layer<float>& layer, const OnnxCtx& ctx);

// nullptr for a layer kind without a lowering.
OnnxLowering find_onnx_lowering(const std::string& layer_name);
// The layer kinds that have one, sorted ("conv", "flatten", ...).
std::vector<std::string> onnx_lowered_layers();
// The kind of a layer from its spec: "conv(4,5)" -> "conv".
std::string layer_kind(const std::string& spec);

}  // namespace handgrad
