// Each layer's forward pass on small hand-computed examples, and its backward
// pass against central finite differences (in double). Layers are made
// through the table (make_layer), as the parser makes them.
#include <gtest/gtest.h>

#include "handgrad/layers/layer.h"
#include "handgrad/train/gradcheck.h"
#include "support/layer_cases.h"

namespace handgrad {
namespace {

template <class T>
std::unique_ptr<Layer<T>> made(const std::string& name, const std::vector<double>& args,
                               const Dims& in) {
  auto l = make_layer<T>(name, args);
  l->configure(in);
  return l;
}

template <class T>
Pass<T> pass(const T* params, int n) {
  Pass<T> p;
  p.params = params;
  p.n = n;
  return p;
}

TEST(Conv, ForwardHandComputed) {
  // in (1,1,3,3) = 1..9; weight (1,1,2,2) = [1 2; 3 4]; bias 0.5
  auto conv = made<float>("conv", {1, 2}, {1, 3, 3});
  EXPECT_EQ(conv->out_dims(), (Dims{1, 2, 2}));
  const float params[] = {1, 2, 3, 4, 0.5f};
  const float in[] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  float out[4];
  conv->forward(pass(params, 1), in, out);
  // out[0,0] = 1*1 + 2*2 + 3*4 + 4*5 + 0.5
  EXPECT_FLOAT_EQ(out[0], 37.5f);
  EXPECT_FLOAT_EQ(out[1], 1 * 2 + 2 * 3 + 3 * 5 + 4 * 6 + 0.5f);
  EXPECT_FLOAT_EQ(out[2], 1 * 4 + 2 * 5 + 3 * 7 + 4 * 8 + 0.5f);
  EXPECT_FLOAT_EQ(out[3], 1 * 5 + 2 * 6 + 3 * 8 + 4 * 9 + 0.5f);
}

TEST(Conv, ForwardTwoChannelsStridePadding) {
  // in (1,2,2,2): channel 0 all 1, channel 1 all 2; weight (1,2,3,3) all 1; pad 1, stride 2.
  // Output 1x1x1: the 3x3 window at (-1,-1) covers in[0..1, 0..1] of both channels.
  auto conv = made<double>("conv", {1, 3, 2, 1}, {2, 2, 2});
  EXPECT_EQ(conv->out_dims(), (Dims{1, 1, 1}));
  std::vector<double> params(19, 1.0);
  params[18] = -1.0;  // bias
  const double in[] = {1, 1, 1, 1, 2, 2, 2, 2};
  double out[1];
  conv->forward(pass(params.data(), 1), in, out);
  EXPECT_DOUBLE_EQ(out[0], 4 * 1 + 4 * 2 - 1.0);
}

TEST(MaxPool, ForwardAndBackwardRouteToTheMax) {
  auto pool = made<float>("maxpool", {2, 2}, {1, 4, 4});
  EXPECT_EQ(pool->out_dims(), (Dims{1, 2, 2}));
  const float in[] = {1, 5, 2, 0,  //
                      3, 4, 8, 1,  //
                      0, 0, 1, 2,  //
                      9, 0, 3, 7};
  float out[4];
  pool->forward(pass<float>(nullptr, 1), in, out);
  EXPECT_EQ(std::vector<float>(out, out + 4), (std::vector<float>{5, 8, 9, 7}));
  const float dout[] = {10, 20, 30, 40};
  float din[16];
  pool->backward(pass<float>(nullptr, 1), in, out, dout, din, nullptr);
  const std::vector<float> want = {0, 10, 0, 0, 0, 0, 20, 0, 0, 0, 0, 0, 30, 0, 0, 40};
  EXPECT_EQ(std::vector<float>(din, din + 16), want);
}

TEST(MaxPool, FloorsOddSizesAndStrideDefaultsToWindow) {
  EXPECT_EQ(made<float>("maxpool", {2}, {3, 5, 7})->out_dims(), (Dims{3, 2, 3}));
  EXPECT_EQ(made<float>("maxpool", {2}, {3, 5, 7})->spec(), "maxpool(2)");
  EXPECT_EQ(made<float>("maxpool", {3, 2}, {3, 5, 7})->spec(), "maxpool(3,2)");
}

TEST(ReLU, ForwardAndBackward) {
  auto relu = made<float>("relu", {}, {4});
  const float in[] = {-1, 0, 2, -3};
  float out[4], din[4];
  relu->forward(pass<float>(nullptr, 1), in, out);
  EXPECT_EQ(std::vector<float>(out, out + 4), (std::vector<float>{0, 0, 2, 0}));
  const float dout[] = {1, 2, 3, 4};
  relu->backward(pass<float>(nullptr, 1), in, out, dout, din, nullptr);
  EXPECT_EQ(std::vector<float>(din, din + 4), (std::vector<float>{0, 0, 3, 0}));
}

TEST(Linear, ForwardAndBackwardHandComputed) {
  auto fc = made<float>("linear", {2}, {2});
  // W = [1 2; 3 4], b = [1 -1]
  const float params[] = {1, 2, 3, 4, 1, -1};
  const float in[] = {1, 1, 2, 0};  // two samples
  float out[4];
  fc->forward(pass(params, 2), in, out);
  EXPECT_EQ(std::vector<float>(out, out + 4), (std::vector<float>{4, 6, 3, 5}));
  const float dout[] = {1, 0, 0, 1};
  float din[4];
  float dparams[6] = {};
  fc->backward(pass(params, 2), in, out, dout, din, dparams);
  // din = dout W: sample 0 -> row 0 of W, sample 1 -> row 1 of W
  EXPECT_EQ(std::vector<float>(din, din + 4), (std::vector<float>{1, 2, 3, 4}));
  // dW = dout^T in = [1 1; 2 0], db = [1 1]
  EXPECT_EQ(std::vector<float>(dparams, dparams + 6), (std::vector<float>{1, 1, 2, 0, 1, 1}));
}

TEST(Linear, BackwardAddsIntoParamGrads) {
  auto fc = made<float>("linear", {1}, {1});
  const float params[] = {2, 0}, in[] = {3}, dout[] = {1};
  float out[1], dparams[2] = {10, 10};
  fc->forward(pass(params, 1), in, out);
  fc->backward(pass(params, 1), in, out, dout, nullptr, dparams);
  EXPECT_FLOAT_EQ(dparams[0], 13);
  EXPECT_FLOAT_EQ(dparams[1], 11);
}

// Both shape layers copy their input forward and dout backward.
TEST(FlattenIdentity, CopyBothWays) {
  for (const auto& [name, in, out_dims] :
       {std::tuple{"flatten", Dims{2, 3, 4}, Dims{24}}, std::tuple{"identity", Dims{24}, Dims{24}}}) {
    SCOPED_TRACE(name);
    auto l = made<float>(name, {}, in);
    EXPECT_EQ(l->out_dims(), out_dims);
    std::vector<float> x(24), out(24, -1), dout(24), din(24, -1);
    for (int i = 0; i < 24; ++i) x[i] = static_cast<float>(i), dout[i] = static_cast<float>(100 - i);
    l->forward(pass<float>(nullptr, 1), x.data(), out.data());
    EXPECT_EQ(x, out);
    l->backward(pass<float>(nullptr, 1), x.data(), out.data(), dout.data(), din.data(), nullptr);
    EXPECT_EQ(dout, din);
  }
}

// Finite-difference checks of every layer (tests/layer_cases.h: odd sizes,
// several strides and paddings), in training and evaluation mode.
class LayerGrad : public ::testing::TestWithParam<test::LayerCase> {};

TEST_P(LayerGrad, MatchesFiniteDifferences) {
  const test::LayerCase& c = GetParam();
  auto layer = made<double>(c.name, c.args, c.in);
  for (Mode mode : {Mode::train, Mode::eval}) {
    for (const auto& row : gradcheck_layer(*layer, 3, 42, 400, mode)) {
      EXPECT_LT(row.max_rel_error, kGradTolerance) << row.what;
      EXPECT_GT(row.checked, 0u) << row.what;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(All, LayerGrad, ::testing::ValuesIn(test::layer_cases()),
                         [](const auto& info) { return info.param.name + std::to_string(info.index); });

// No layer of the table goes without a row.
TEST(LayerTable, EveryLayerHasARow) {
  for (const LayerDef* d : layer_table()) {
    bool found = false;
    for (const auto& c : test::layer_cases()) found = found || c.name == d->name;
    EXPECT_TRUE(found) << d->name << " has no row in tests/layer_cases.h";
  }
}

// The checker itself must fail on a wrong gradient: a linear layer whose
// backward flips the sign of its input gradient is caught.
template <class T>
class SignFlippedLinear final : public Layer<T> {
 public:
  SignFlippedLinear() : Layer<T>(*find_layer("linear"), {3}), inner_(make_layer<T>("linear", {3})) {}
  std::vector<TensorDef> tensors() const override { return inner_->tensors(); }
  std::string torch() const override { return ""; }
  void forward(const Pass<T>& p, const T* in, T* out) const override { inner_->forward(p, in, out); }
  void backward(const Pass<T>& p, const T* in, const T* out, const T* dout, T* din,
                T* dp) const override {
    inner_->backward(p, in, out, dout, din, dp);
    din[0] = -din[0];
  }

 protected:
  Dims shape(const Dims& in) const override { return inner_->configure(in); }

 private:
  std::unique_ptr<Layer<T>> inner_;
};

TEST(GradCheck, CatchesAFlippedSign) {
  SignFlippedLinear<double> bad;
  bad.configure({4});
  const auto rows = gradcheck_layer(bad, 2, 7);
  EXPECT_GT(rows[0].max_rel_error, 0.1) << rows[0].what;  // input gradient is wrong
  EXPECT_LT(rows[1].max_rel_error, kGradTolerance);        // weight gradient is right
}

}  // namespace
}  // namespace handgrad
