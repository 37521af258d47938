// ONNX lowerings of the current layers (conv, relu, maxpool, flatten,
// linear, identity). Each is a small free function with the body its layer
// file will hold as Layer<T>::onnx() once the layer table lands.
#include "export/lowerings.h"

#include <algorithm>
#include <map>

#include "handgrad/error.h"
#include "handgrad/layers.h"

namespace handgrad {
namespace {

template <class L>
const L& as(const Layer<float>& layer) {
  const L* l = dynamic_cast<const L*>(&layer);
  if (!l) throw Error("ONNX export: layer '" + layer.spec() + "' is not the class its name says");
  return *l;
}

// conv(out, k, stride, pad): (N, C, H, W) -> (N, O, Ho, Wo), weight (O, C, k, k),
// bias (O); same padding on all four sides, floor division as ONNX's default.
std::vector<OnnxNode> lower_conv(const Layer<float>& layer, const OnnxCtx& ctx) {
  const auto& c = as<Conv2d<float>>(layer);
  const int64_t k = c.kernel(), s = c.stride(), p = c.pad();
  return {
      {"Conv",
       {ctx.input, ctx.params.at(0), ctx.params.at(1)},
       {ctx.output},
       {attr_ints("kernel_shape", {k, k}), attr_ints("strides", {s, s}),
        attr_ints("pads", {p, p, p, p}), attr_ints("dilations", {1, 1}), attr_int("group", 1)}}};
}

// maxpool(k, stride): (N, C, H, W) -> (N, C, Ho, Wo), no padding,
// Ho = floor((H - k) / stride) + 1 (ceil_mode 0), windows may overlap.
std::vector<OnnxNode> lower_maxpool(const Layer<float>& layer, const OnnxCtx& ctx) {
  const auto& m = as<MaxPool2d<float>>(layer);
  const int64_t k = m.kernel(), s = m.stride();
  return {{"MaxPool",
           {ctx.input},
           {ctx.output},
           {attr_ints("kernel_shape", {k, k}), attr_ints("strides", {s, s}),
            attr_ints("pads", {0, 0, 0, 0}), attr_int("ceil_mode", 0)}}};
}

std::vector<OnnxNode> lower_relu(const Layer<float>&, const OnnxCtx& ctx) {
  return {{"Relu", {ctx.input}, {ctx.output}}};
}

// flatten: (N, d1, d2, ...) -> (N, d1*d2*...), row-major like torch.nn.Flatten.
std::vector<OnnxNode> lower_flatten(const Layer<float>&, const OnnxCtx& ctx) {
  return {{"Flatten", {ctx.input}, {ctx.output}, {attr_int("axis", 1)}}};
}

// linear(out): (N, I) -> (N, O) = x W^T + b with weight (O, I), bias (O).
std::vector<OnnxNode> lower_linear(const Layer<float>&, const OnnxCtx& ctx) {
  return {{"Gemm",
           {ctx.input, ctx.params.at(0), ctx.params.at(1)},
           {ctx.output},
           {attr_float("alpha", 1.0f), attr_float("beta", 1.0f), attr_int("transA", 0),
            attr_int("transB", 1)}}};
}

std::vector<OnnxNode> lower_identity(const Layer<float>&, const OnnxCtx& ctx) {
  return {{"Identity", {ctx.input}, {ctx.output}}};
}

const std::map<std::string, OnnxLowering>& table() {
  static const std::map<std::string, OnnxLowering> t = {
      {"conv", lower_conv},       {"relu", lower_relu},     {"maxpool", lower_maxpool},
      {"flatten", lower_flatten}, {"linear", lower_linear}, {"identity", lower_identity},
  };
  return t;
}

}  // namespace

OnnxLowering find_onnx_lowering(const std::string& layer_name) {
  const auto it = table().find(layer_name);
  return it == table().end() ? nullptr : it->second;
}

std::vector<std::string> onnx_lowered_layers() {
  std::vector<std::string> names;
  for (const auto& [name, fn] : table()) names.push_back(name);
  return names;
}

std::string layer_kind(const std::string& spec) {
  return spec.substr(0, std::min(spec.find('('), spec.size()));
}

}  // namespace handgrad
