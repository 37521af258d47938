// The ONNX export without any consumer: the graph handgrad assembles from a
// network (lowerings, normalisation, wiring checks, refusals) and the CLI's
// errors. The real consumers run in test_onnx_runtime.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <set>

#include "export/onnx_graph.h"
#include "handgrad/core/error.h"
#include "handgrad/model/model_file.h"
#include "support/layer_cases.h"
#include "support/test_util.h"

using namespace handgrad::test;  // the tests' helpers (support/test_util.h)

namespace handgrad {
namespace {

using test::TempDir;

const OnnxNode& node(const OnnxGraph& g, const std::string& op, int nth = 0) {
  for (const OnnxNode& n : g.nodes) {
    if (n.op == op && nth-- == 0) return n;
  }
  throw std::runtime_error("no node " + op);
}

const OnnxAttr::Value& attr(const OnnxNode& n, const std::string& name) {
  for (const OnnxAttr& a : n.attrs) {
    if (a.name == name) return a.value;
  }
  throw std::runtime_error(n.op + " has no attribute " + name);
}

std::vector<int64_t> ints(const OnnxNode& n, const std::string& name) {
  return std::get<std::vector<int64_t>>(attr(n, name));
}

std::vector<std::string> ops(const OnnxGraph& g) {
  std::vector<std::string> v;
  for (const OnnxNode& n : g.nodes) v.push_back(n.op);
  return v;
}

Network<float> make_net(const std::string& arch, const Dims& in) {
  Network<float> net(arch, in);
  net.init(3);
  return net;
}

// Every layer of the table has an ONNX form (a layer added without one
// fails here, not only at export time): each layer row (support/layer_cases.h)
// is lowered alone, and every table layer must have a row.
TEST(OnnxGraph, EveryLayerInTheTableHasALowering) {
  std::set<std::string> lowered;
  for (const auto& c : layer_cases()) {
    const Network<float> net(c.token(), c.in);
    std::vector<std::string> params, buffers;  // the layer's initializers, by name
    for (const auto& t : net.layer(0).tensors()) (t.trainable ? params : buffers).push_back(t.name);
    const OnnxCtx ctx{
        "x", "y", params, buffers, kOnnxDefaultOpset, [](const std::string& h) { return h; }};
    EXPECT_FALSE(net.layer(0).onnx(ctx).empty()) << c.token();
    lowered.insert(c.name);
  }
  for (const LayerDef* d : layer_table()) EXPECT_TRUE(lowered.count(d->name)) << d->name;
}

TEST(OnnxGraph, ConvAndPoolAttributes) {
  const auto net = make_net("conv(6,3,2,1) relu maxpool(3,2) flatten linear(10)", {1, 28, 28});
  const OnnxGraph g = build_onnx_graph(net, {{"arch", net.arch()}}, {}, "m");
  EXPECT_EQ(ops(g),
            (std::vector<std::string>{"Conv", "Relu", "MaxPool", "Flatten", "Gemm", "Softmax"}));
  const OnnxNode& conv = node(g, "Conv");
  EXPECT_EQ(conv.inputs, (std::vector<std::string>{"input", "0.weight", "0.bias"}));
  EXPECT_EQ(ints(conv, "kernel_shape"), (std::vector<int64_t>{3, 3}));
  EXPECT_EQ(ints(conv, "strides"), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(ints(conv, "pads"), (std::vector<int64_t>{1, 1, 1, 1}));
  const OnnxNode& pool = node(g, "MaxPool");
  EXPECT_EQ(ints(pool, "kernel_shape"), (std::vector<int64_t>{3, 3}));
  EXPECT_EQ(ints(pool, "strides"), (std::vector<int64_t>{2, 2}));
  // Gemm(x, W, b) with W (O, I): x W^T + b.
  EXPECT_EQ(std::get<int64_t>(attr(node(g, "Gemm"), "transB")), 1);
  EXPECT_EQ(std::get<int64_t>(attr(node(g, "Flatten"), "axis")), 1);
  EXPECT_EQ(std::get<int64_t>(attr(node(g, "Softmax"), "axis")), 1);
}

TEST(OnnxGraph, NamesShapesAndInitializers) {
  const auto net = make_net("conv(2,3) relu flatten linear(4)", {1, 5, 5});
  OnnxExportOptions o;
  o.batch = 7;
  const OnnxGraph g = build_onnx_graph(net, {}, o, "m");
  EXPECT_EQ(g.input.name, "input");
  EXPECT_EQ(g.input.dims, (std::vector<int64_t>{7, 1, 5, 5}));
  ASSERT_EQ(g.outputs.size(), 2u);
  EXPECT_EQ(g.outputs[0].name, "logits");
  EXPECT_EQ(g.outputs[1].name, "probabilities");
  EXPECT_EQ(g.outputs[1].dims, (std::vector<int64_t>{7, 4}));
  EXPECT_EQ(node(g, "Gemm").outputs, (std::vector<std::string>{"logits"}));
  ASSERT_EQ(g.initializers.size(), 4u);
  EXPECT_EQ(g.initializers[0].name, "0.weight");
  EXPECT_EQ(g.initializers[0].dims, (std::vector<int64_t>{2, 1, 3, 3}));
  EXPECT_EQ(g.initializers[3].name, "3.bias");
  const ParamInfo& w = net.find_param("3.weight");
  EXPECT_EQ(g.initializers[2].data,
            std::vector<float>(net.params() + w.offset, net.params() + w.offset + w.size));
  OnnxExportOptions dynamic;
  EXPECT_EQ(build_onnx_graph(net, {}, dynamic, "m").input.dims.front(), -1);
}

TEST(OnnxGraph, TheInputStepComesFirst) {
  auto net = make_net("linear(3)", {2});
  InputNorm st;
  st.mean = {0.5f, -1.0f};
  st.std = {2.0f, 0.25f};
  net.set_input_norm(st);
  const OnnxGraph g = build_onnx_graph(net, {}, {}, "m");
  EXPECT_EQ(ops(g), (std::vector<std::string>{"Sub", "Div", "Gemm", "Softmax"}));
  EXPECT_EQ(g.nodes[0].inputs, (std::vector<std::string>{"input", "standardize.mean"}));
  EXPECT_EQ(g.nodes[2].inputs[0], g.nodes[1].outputs[0]);
  EXPECT_EQ(g.initializers[1].data, st.std);
}

std::vector<OnnxNode> all_but_relu(const Layer<float>& l, const OnnxCtx& ctx) {
  return l.def().name == "relu" ? std::vector<OnnxNode>{} : l.onnx(ctx);
}

TEST(OnnxGraph, RefusesALayerWithoutLowering) {
  const auto net = make_net("linear(4) relu linear(2)", {3});
  try {
    build_onnx_graph(net, {}, {}, "m.safetensors", all_but_relu);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "m.safetensors: layer 1 'relu' has no ONNX lowering; it cannot be exported");
  }
}

std::vector<OnnxNode> reads_nothing(const Layer<float>&, const OnnxCtx& ctx) {
  return {{"Relu", {"nowhere"}, {ctx.output}}};
}
std::vector<OnnxNode> writes_elsewhere(const Layer<float>&, const OnnxCtx& ctx) {
  return {{"Relu", {ctx.input}, {ctx.fresh("x")}}};
}

TEST(OnnxGraph, CatchesAMiswiredLowering) {
  const auto net = make_net("linear(4) relu linear(2)", {3});
  const auto bad_input = [](const Layer<float>& l, const OnnxCtx& ctx) {
    return l.def().name == "relu" ? reads_nothing(l, ctx) : l.onnx(ctx);
  };
  const auto bad_output = [](const Layer<float>& l, const OnnxCtx& ctx) {
    return l.def().name == "relu" ? writes_elsewhere(l, ctx) : l.onnx(ctx);
  };
  EXPECT_THROW(
      {
        try {
          build_onnx_graph(net, {}, {}, "m", bad_input);
        } catch (const Error& e) {
          EXPECT_NE(std::string(e.what()).find("reads 'nowhere'"), std::string::npos) << e.what();
          throw;
        }
      },
      Error);
  EXPECT_THROW(build_onnx_graph(net, {}, {}, "m", bad_output), Error);
}

TEST(OnnxGraph, RefusesNonFiniteParametersAndBadOptions) {
  auto net = make_net("linear(2)", {2});
  net.params()[1] = NAN;
  EXPECT_THROW(build_onnx_graph(net, {}, {}, "m"), Error);
  net.params()[1] = 0;
  OnnxExportOptions o;
  o.opset = kOnnxMaxOpset + 1;
  EXPECT_THROW(build_onnx_graph(net, {}, o, "m"), UsageError);
  o.opset = kOnnxMinOpset - 1;
  EXPECT_THROW(build_onnx_graph(net, {}, o, "m"), UsageError);
}

// ---- the CLI ----

struct ExportCli : ::testing::Test {
  TempDir dir{"onnx_cli"};
  std::string model = dir.file("m.safetensors");
  void SetUp() override { save_model(model, make_net("linear(4) relu linear(3)", {2})); }
  CliResult run(const std::string& flags) {
    return run_cli("export --model " + model + " " + flags);
  }
  bool written(const std::string& name) { return std::filesystem::exists(dir.file(name)); }
};

TEST_F(ExportCli, WritesAModelOrSaysItCannot) {
  const CliResult r = run("--out " + dir.file("m.onnx"));
  if (!onnx_export_available()) {
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("built without ONNX support"), std::string::npos) << r.err;
    EXPECT_NE(run_cli("info").out.find("onnx export: no"), std::string::npos);
    GTEST_SKIP() << "built without ONNX support: checked that export and info say so";
  }
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(written("m.onnx"));
  EXPECT_NE(r.out.find("opset 17"), std::string::npos) << r.out;
  EXPECT_NE(run_cli("info").out.find("onnx export: yes (opsets 13-17"), std::string::npos);
}

TEST_F(ExportCli, BadFlagsAreOneLineAndWriteNothing) {
  for (const std::string flags :
       {"--opset 12", "--opset 18", "--batch 0", "--batch x", "--batch -3", "--batch 4x"}) {
    const CliResult r = run(flags + " --out " + dir.file("m.onnx"));
    EXPECT_EQ(r.code, 2) << flags;
    EXPECT_EQ(count_lines(r.err), 1) << r.err;
    EXPECT_NE(r.err.find(flags.substr(0, flags.find(' '))), std::string::npos) << r.err;
    EXPECT_FALSE(written("m.onnx")) << flags;
  }
}

TEST_F(ExportCli, BadFilesNameThemselves) {
  if (!onnx_export_available()) GTEST_SKIP() << "built without ONNX support";
  const CliResult missing =
      run_cli("export --model " + dir.file("nope.safetensors") + " --out " + dir.file("m.onnx"));
  EXPECT_EQ(missing.code, 1);
  EXPECT_EQ(count_lines(missing.err), 1) << missing.err;
  EXPECT_NE(missing.err.find("nope.safetensors"), std::string::npos) << missing.err;
  const CliResult no_dir = run("--out " + dir.file("no/such/m.onnx"));
  EXPECT_EQ(no_dir.code, 1);
  EXPECT_EQ(count_lines(no_dir.err), 1) << no_dir.err;
  EXPECT_NE(no_dir.err.find("no/such/m.onnx"), std::string::npos) << no_dir.err;
  const CliResult itself = run("--out " + model);
  EXPECT_EQ(itself.code, 2);
  EXPECT_NE(itself.err.find("--out"), std::string::npos) << itself.err;
  // Nothing half-written: the folder holds only the model.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path), {}), 1);
}

TEST_F(ExportCli, RefusesANaNModel) {
  auto net = make_net("linear(4) relu linear(3)", {2});
  net.params()[0] = NAN;
  save_model(model, net);
  const CliResult r = run("--out " + dir.file("m.onnx"));
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
  if (onnx_export_available()) {
    EXPECT_NE(r.err.find("0.weight has a non-finite value"), std::string::npos) << r.err;
  }
  EXPECT_FALSE(written("m.onnx"));
}

}  // namespace
}  // namespace handgrad
