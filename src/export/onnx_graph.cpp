// Assembles the exported graph from a network: normalisation nodes, each
// layer's lowering, Softmax; checks that every lowering is wired correctly.
#include "export/onnx_graph.h"

#include <cmath>
#include <set>

#include "handgrad/core/error.h"

namespace handgrad {
namespace {

std::vector<int64_t> batch_dims(int64_t batch, const Dims& per_sample) {
  std::vector<int64_t> d{batch > 0 ? batch : -1};
  for (int v : per_sample) d.push_back(v);
  return d;
}

// Tensor names: unique across the graph, readable.
class Names {
 public:
  bool taken(const std::string& n) const { return used_.count(n) != 0; }
  void take(const std::string& n) { used_.insert(n); }
  std::string fresh(const std::string& hint) {
    std::string n = hint;
    for (int i = 1; taken(n); ++i) n = hint + "_" + std::to_string(i);
    take(n);
    return n;
  }

 private:
  std::set<std::string> used_;
};

// (x - mean) / std per feature, as InputNorm::apply computes it (one
// float subtraction, one float division), broadcast over N.
void add_normalization(OnnxGraph& g, const InputNorm& norm, const Dims& in, Names& names,
                       std::string& cur) {
  std::vector<int64_t> dims(in.begin(), in.end());
  g.initializers.push_back({"standardize.mean", dims, norm.mean});
  g.initializers.push_back({"standardize.std", dims, norm.std});
  const std::string centered = names.fresh("standardize.centered");
  const std::string out = names.fresh("standardize.out");
  g.nodes.push_back({"Sub", {cur, "standardize.mean"}, {centered}});
  g.nodes.push_back({"Div", {centered, "standardize.std"}, {out}});
  cur = out;
}

// Layer `layer`'s tensors of one kind (`infos` views into `block`) as
// initializers.
void add_tensors(OnnxGraph& g, const std::vector<ParamInfo>& infos, const float* block,
                 size_t layer, const std::string& where, Names& names,
                 std::vector<std::string>& out) {
  for (const ParamInfo& p : infos) {
    if (p.layer != static_cast<int>(layer)) continue;
    const float* v = block + p.offset;
    for (size_t i = 0; i < p.size; ++i) {
      if (!std::isfinite(v[i])) {
        throw Error(where + ": parameter " + p.name + " has a non-finite value; not exported");
      }
    }
    names.take(p.name);
    g.initializers.push_back(
        {p.name, std::vector<int64_t>(p.dims.begin(), p.dims.end()), {v, v + p.size}});
    out.push_back(p.name);
  }
}

// A lowering's nodes may read only tensors defined before them and must
// write ctx.output exactly once.
void check_wiring(const std::vector<OnnxNode>& nodes, const OnnxCtx& ctx,
                  std::set<std::string>& defined, const std::string& what) {
  int writes = 0;
  for (const OnnxNode& n : nodes) {
    for (const std::string& in : n.inputs) {
      if (!in.empty() && !defined.count(in)) {
        throw Error(what + ": its ONNX node " + n.op + " reads '" + in +
                    "', which nothing defines");
      }
    }
    for (const std::string& out : n.outputs) {
      if (defined.count(out))
        throw Error(what + ": its ONNX node " + n.op + " rewrites '" + out + "'");
      defined.insert(out);
      writes += out == ctx.output;
    }
  }
  if (writes != 1) throw Error(what + ": its ONNX lowering does not write '" + ctx.output + "'");
}

// The layers in order, each through its lowering; the last one writes
// "logits". `defined`: the tensors available so far.
void add_layers(OnnxGraph& g, const Network<float>& net, const OnnxExportOptions& o,
                const std::string& where, const OnnxLowering& lower, Names& names,
                std::set<std::string>& defined, std::string& cur) {
  for (size_t i = 0; i < net.num_layers(); ++i) {
    const Layer<float>& layer = net.layer(i);
    const std::string& kind = layer.def().name;
    const std::string what = where + ": layer " + std::to_string(i) + " '" + layer.spec() + "'";
    OnnxCtx ctx;
    ctx.input = cur;
    ctx.opset = o.opset;
    add_tensors(g, net.param_info(), net.params(), i, where, names, ctx.params);
    add_tensors(g, net.buffer_info(), net.buffers(), i, where, names, ctx.buffers);
    for (const std::string& p : ctx.params) defined.insert(p);
    for (const std::string& b : ctx.buffers) defined.insert(b);
    ctx.output = i + 1 == net.num_layers() ? "logits" : names.fresh(std::to_string(i) + "." + kind);
    ctx.fresh = [&names](const std::string& hint) { return names.fresh(hint); };
    std::vector<OnnxNode> nodes = lower(layer, ctx);
    if (nodes.empty()) throw Error(what + " has no ONNX lowering; it cannot be exported");
    check_wiring(nodes, ctx, defined, what);
    for (OnnxNode& n : nodes) g.nodes.push_back(std::move(n));
    cur = ctx.output;
  }
}

}  // namespace

std::vector<OnnxNode> layer_onnx(const Layer<float>& layer, const OnnxCtx& ctx) {
  return layer.onnx(ctx);
}

OnnxGraph build_onnx_graph(const Network<float>& net,
                           const std::map<std::string, std::string>& metadata,
                           const OnnxExportOptions& o, const std::string& where,
                           const OnnxLowering& lower) {
  check_onnx_options(o);
  const int classes = net.num_classes();
  const InputNorm& norm = net.input_norm();
  OnnxGraph g;
  g.opset = o.opset;
  g.name = "handgrad";
  g.doc = net.arch() + " on " + dims_str(net.input_dims());
  g.input = {"input", batch_dims(o.batch, net.input_dims())};
  g.outputs = {{"logits", batch_dims(o.batch, {classes})},
               {"probabilities", batch_dims(o.batch, {classes})}};
  Names names;
  for (const char* n :
       {"input", "logits", "probabilities", "standardize.mean", "standardize.std"}) {
    names.take(n);
  }
  std::string cur = "input";
  if (!norm.empty()) add_normalization(g, norm, net.input_dims(), names, cur);
  std::set<std::string> defined{cur};
  for (const OnnxInitializer& t : g.initializers) defined.insert(t.name);
  add_layers(g, net, o, where, lower, names, defined, cur);
  g.nodes.push_back({"Softmax", {"logits"}, {"probabilities"}, {attr_int("axis", 1)}});
  for (const auto& [k, v] : metadata) g.metadata.emplace_back(k, v);
  return g;
}

}  // namespace handgrad
