// Architecture strings, shape inference, parameter naming and whole-network
// gradient checks.
#include <gtest/gtest.h>

#include <cmath>

#include "handgrad/core/error.h"
#include "handgrad/layers/arch.h"
#include "handgrad/model/network.h"
#include "handgrad/model/presets.h"
#include "handgrad/train/gradcheck.h"

namespace handgrad {
namespace {

std::string usage_error(const std::string& arch, const Dims& in) {
  try {
    Network<float> net(arch, in);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

TEST(Arch, ParsesNamesAndArguments) {
  const auto s = parse_arch("  conv(4, 5) relu MaxPool(2)\tlinear( 10 ) ");
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s[0].name, "conv");
  EXPECT_EQ(s[0].args, (std::vector<double>{4, 5}));
  EXPECT_EQ(s[2].name, "maxpool");
  EXPECT_EQ(s[3].args, (std::vector<double>{10}));
  // Arguments may be decimals: the layer decides whether it wants an integer.
  EXPECT_EQ(parse_arch("leaky_relu(0.01) dropout(.5) x(1e-3, -2)")[2].args,
            (std::vector<double>{1e-3, -2}));
}

TEST(Arch, RejectsMalformedStrings) {
  for (const char* bad : {"", "conv(4,5", "conv((4,5)", "conv(a,5)", "conv(4,5))", "relu,",
                          "conv(4;5)", "linear(1.5.2)", "(4)", "x(inf)", "x(nan)", "x(1e999)"}) {
    EXPECT_THROW(parse_arch(bad), UsageError) << bad;
  }
}

TEST(Network, ArgumentsAreCheckedAgainstTheTable) {
  EXPECT_NE(usage_error("flatten linear(1.5)", {1, 4, 4}).find("integer"), std::string::npos);
  EXPECT_NE(usage_error("flatten linear(0)", {1, 4, 4}).find("positive"), std::string::npos);
  EXPECT_NE(usage_error("conv(4,3,1,-1)", {1, 8, 8}).find("padding must be >= 0"),
            std::string::npos);
  EXPECT_NE(usage_error("maxpool(2,2,2)", {1, 8, 8}).find("takes (kernel[, stride])"),
            std::string::npos);
  EXPECT_NE(
      usage_error("flatten dense(3)", {1, 4, 4})
          .find("(known: avgpool, batchnorm, conv, dropout, elu, flatten, gap, gelu, identity,"),
      std::string::npos);
}

TEST(Network, CanonicalSpecsDropDefaultArguments) {
  Network<float> net("CONV(4,5,1,0) relu conv(2,3,2) conv(1,1,1,1) maxpool(2,2) flatten linear(3)",
                     {1, 20, 20});
  EXPECT_EQ(net.arch(), "conv(4,5) relu conv(2,3,2) conv(1,1,1,1) maxpool(2) flatten linear(3)");
}

TEST(Network, SeedCnnShapesAndTorchNames) {
  const Preset& p = find_preset("seed-cnn");
  Network<float> net(p.arch, p.input);
  EXPECT_EQ(net.output_dims(), (Dims{10}));
  EXPECT_EQ(net.layer(2).out_dims(), (Dims{4, 12, 12}));
  EXPECT_EQ(net.layer(5).out_dims(), (Dims{8, 4, 4}));
  std::vector<std::string> names;
  for (const auto& pi : net.param_info()) names.push_back(pi.name + ":" + dims_str(pi.dims));
  EXPECT_EQ(names, (std::vector<std::string>{"0.weight:4x1x5x5", "0.bias:4", "3.weight:8x4x5x5",
                                             "3.bias:8", "7.weight:128x128", "7.bias:128",
                                             "9.weight:10x128", "9.bias:10"}));
  EXPECT_EQ(net.num_params(), 18714u);
  EXPECT_EQ(net.arch(), p.arch);
}

TEST(Network, ErrorsNameTheLayerAndShapes) {
  std::string e = usage_error("conv(4,30) relu", {1, 28, 28});
  EXPECT_NE(e.find("layer 0 'conv(4,30)'"), std::string::npos) << e;
  EXPECT_NE(e.find("1x28x28"), std::string::npos) << e;
  e = usage_error("conv(4,5) linear(10)", {1, 28, 28});
  EXPECT_NE(e.find("layer 1 'linear(10)'"), std::string::npos) << e;
  EXPECT_NE(e.find("flatten"), std::string::npos) << e;
  e = usage_error("conv(4,5) softmax", {1, 28, 28});
  EXPECT_NE(e.find("unknown layer 'softmax'"), std::string::npos) << e;
  e = usage_error("conv(4)", {1, 28, 28});
  EXPECT_NE(e.find("takes (out_channels, kernel"), std::string::npos) << e;
  e = usage_error("linear(0)", {2});
  EXPECT_NE(e.find("positive"), std::string::npos) << e;
  e = usage_error("maxpool(2)", {2});
  EXPECT_NE(e.find("CxHxW"), std::string::npos) << e;
}

TEST(Network, TorchInitIsBoundedAndSeeded) {
  Network<float> a("flatten linear(128) relu linear(10)", {1, 28, 28});
  Network<float> b("flatten linear(128) relu linear(10)", {1, 28, 28});
  a.init(3);
  b.init(3);
  const float bound = 1.0f / std::sqrt(784.0f);
  const ParamInfo& w = a.find_param("1.weight");
  double sum = 0;
  for (size_t i = 0; i < w.size; ++i) {
    const float v = a.params()[w.offset + i];
    ASSERT_LE(std::fabs(v), bound);
    ASSERT_EQ(v, b.params()[w.offset + i]);
    sum += v;
  }
  EXPECT_LT(std::fabs(sum / w.size), bound * 0.01);  // centred
  b.init(4);
  EXPECT_NE(a.params()[0], b.params()[0]);
}

TEST(Network, HeAndXavierInit) {
  Network<double> net("linear(200) relu linear(100)", {50});
  net.init(0, Init::he);
  const ParamInfo& w = net.find_param("0.weight");
  double ss = 0;
  for (size_t i = 0; i < w.size; ++i) ss += net.params()[w.offset + i] * net.params()[w.offset + i];
  EXPECT_NEAR(ss / w.size, 2.0 / 50, 0.1 * 2.0 / 50);
  EXPECT_EQ(net.params()[net.find_param("0.bias").offset], 0.0);
  net.init(0, Init::xavier);
  const double bound = std::sqrt(6.0 / (200 + 100));
  const ParamInfo& w2 = net.find_param("2.weight");
  for (size_t i = 0; i < w2.size; ++i) ASSERT_LE(std::fabs(net.params()[w2.offset + i]), bound);
}

class NetworkGrad : public ::testing::TestWithParam<std::pair<std::string, Dims>> {};

TEST_P(NetworkGrad, EveryTensorMatchesFiniteDifferences) {
  const auto& [arch, input] = GetParam();
  const GradReport r = gradcheck_network(arch, input, 3, 1, 60);
  for (const auto& row : r.layers) EXPECT_LT(row.max_rel_error, kGradTolerance) << row.what;
  for (const auto& row : r.params) EXPECT_LT(row.max_rel_error, kGradTolerance) << row.what;
  // Each tensor and the input, in training and in evaluation mode.
  EXPECT_EQ(r.params.size(), 2 * (Network<double>(arch, input).param_info().size() + 1));
}

INSTANTIATE_TEST_SUITE_P(
    PresetsAndMore, NetworkGrad,
    ::testing::Values(std::make_pair(find_preset("seed-cnn").arch, Dims{1, 28, 28}),
                      std::make_pair(find_preset("seed-mlp").arch, Dims{1, 28, 28}),
                      std::make_pair(find_preset("seed-2d").arch, Dims{2}),
                      std::make_pair(std::string("conv(3,3) relu maxpool(2) flatten linear(5)"),
                                     Dims{2, 9, 9}),
                      std::make_pair(std::string("conv(6,3,1,1) relu conv(4,3,2) maxpool(3,2) "
                                                 "flatten linear(7) identity relu linear(3)"),
                                     Dims{3, 13, 11}),
                      // The zoo: batch norm in both modes through the whole
                      // network, dropout with the fixed key of the check.
                      std::make_pair(std::string("conv(4,3) batchnorm elu avgpool(2) conv(5,2) "
                                                 "sigmoid gap flatten dropout(0.3) linear(3)"),
                                     Dims{2, 9, 9}),
                      std::make_pair(std::string("linear(6) batchnorm gelu dropout linear(5) "
                                                 "leaky_relu(0.2) tanh linear(3)"),
                                     Dims{4})),
    [](const auto& info) { return "arch" + std::to_string(info.index); });

}  // namespace
}  // namespace handgrad
