// Each layer's forward pass on small hand-computed examples, and its backward
// pass against central finite differences (in double).
#include <gtest/gtest.h>

#include "handgrad/train/gradcheck.h"
#include "layers/layers.h"

namespace handgrad {
namespace {

TEST(Conv2d, ForwardHandComputed) {
  // in (1,1,3,3) = 1..9; weight (1,1,2,2) = [1 2; 3 4]; bias 0.5
  Conv2d<float> conv(1, 2);
  EXPECT_EQ(conv.configure({1, 3, 3}), (Dims{1, 2, 2}));
  const float params[] = {1, 2, 3, 4, 0.5f};
  const float in[] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  float out[4];
  conv.forward(params, in, out, 1);
  // out[0,0] = 1*1 + 2*2 + 3*4 + 4*5 + 0.5
  EXPECT_FLOAT_EQ(out[0], 37.5f);
  EXPECT_FLOAT_EQ(out[1], 1 * 2 + 2 * 3 + 3 * 5 + 4 * 6 + 0.5f);
  EXPECT_FLOAT_EQ(out[2], 1 * 4 + 2 * 5 + 3 * 7 + 4 * 8 + 0.5f);
  EXPECT_FLOAT_EQ(out[3], 1 * 5 + 2 * 6 + 3 * 8 + 4 * 9 + 0.5f);
}

TEST(Conv2d, ForwardTwoChannelsStridePadding) {
  // in (1,2,2,2): channel 0 all 1, channel 1 all 2; weight (1,2,3,3) all 1; pad 1, stride 2.
  // Output 1x1x1: the 3x3 window at (-1,-1) covers in[0..1, 0..1] of both channels.
  Conv2d<double> conv(1, 3, 2, 1);
  EXPECT_EQ(conv.configure({2, 2, 2}), (Dims{1, 1, 1}));
  std::vector<double> params(19, 1.0);
  params[18] = -1.0;  // bias
  const double in[] = {1, 1, 1, 1, 2, 2, 2, 2};
  double out[1];
  conv.forward(params.data(), in, out, 1);
  EXPECT_DOUBLE_EQ(out[0], 4 * 1 + 4 * 2 - 1.0);
}

TEST(MaxPool2d, ForwardAndBackwardRouteToTheMax) {
  MaxPool2d<float> pool(2, 2);
  EXPECT_EQ(pool.configure({1, 4, 4}), (Dims{1, 2, 2}));
  const float in[] = {1, 5, 2, 0,  //
                      3, 4, 8, 1,  //
                      0, 0, 1, 2,  //
                      9, 0, 3, 7};
  float out[4];
  pool.forward(nullptr, in, out, 1);
  EXPECT_EQ(std::vector<float>(out, out + 4), (std::vector<float>{5, 8, 9, 7}));
  const float dout[] = {10, 20, 30, 40};
  float din[16];
  pool.backward(nullptr, in, out, dout, din, nullptr, 1);
  const std::vector<float> want = {0, 10, 0, 0, 0, 0, 20, 0, 0, 0, 0, 0, 30, 0, 0, 40};
  EXPECT_EQ(std::vector<float>(din, din + 16), want);
}

TEST(MaxPool2d, FloorsOddSizes) {
  MaxPool2d<float> pool(2, 2);
  EXPECT_EQ(pool.configure({3, 5, 7}), (Dims{3, 2, 3}));
}

TEST(ReLU, ForwardAndBackward) {
  ReLU<float> relu;
  relu.configure({4});
  const float in[] = {-1, 0, 2, -3};
  float out[4], din[4];
  relu.forward(nullptr, in, out, 1);
  EXPECT_EQ(std::vector<float>(out, out + 4), (std::vector<float>{0, 0, 2, 0}));
  const float dout[] = {1, 2, 3, 4};
  relu.backward(nullptr, in, out, dout, din, nullptr, 1);
  EXPECT_EQ(std::vector<float>(din, din + 4), (std::vector<float>{0, 0, 3, 0}));
}

TEST(Linear, ForwardAndBackwardHandComputed) {
  Linear<float> fc(2);
  fc.configure({2});
  // W = [1 2; 3 4], b = [1 -1]
  const float params[] = {1, 2, 3, 4, 1, -1};
  const float in[] = {1, 1, 2, 0};  // two samples
  float out[4];
  fc.forward(params, in, out, 2);
  EXPECT_EQ(std::vector<float>(out, out + 4), (std::vector<float>{4, 6, 3, 5}));
  const float dout[] = {1, 0, 0, 1};
  float din[4];
  float dparams[6] = {};
  fc.backward(params, in, out, dout, din, dparams, 2);
  // din = dout W: sample 0 -> row 0 of W, sample 1 -> row 1 of W
  EXPECT_EQ(std::vector<float>(din, din + 4), (std::vector<float>{1, 2, 3, 4}));
  // dW = dout^T in = [1 1; 2 0], db = [1 1]
  EXPECT_EQ(std::vector<float>(dparams, dparams + 6), (std::vector<float>{1, 1, 2, 0, 1, 1}));
}

TEST(Linear, BackwardAddsIntoParamGrads) {
  Linear<float> fc(1);
  fc.configure({1});
  const float params[] = {2, 0}, in[] = {3}, dout[] = {1};
  float out[1], dparams[2] = {10, 10};
  fc.forward(params, in, out, 1);
  fc.backward(params, in, out, dout, nullptr, dparams, 1);
  EXPECT_FLOAT_EQ(dparams[0], 13);
  EXPECT_FLOAT_EQ(dparams[1], 11);
}

TEST(FlattenIdentity, CopyBothWays) {
  Flatten<float> f;
  EXPECT_EQ(f.configure({2, 3, 4}), (Dims{24}));
  Identity<float> id;
  EXPECT_EQ(id.configure({5}), (Dims{5}));
  std::vector<float> in(24), out(24), din(24);
  for (int i = 0; i < 24; ++i) in[i] = static_cast<float>(i);
  f.forward(nullptr, in.data(), out.data(), 1);
  EXPECT_EQ(in, out);
  f.backward(nullptr, in.data(), out.data(), out.data(), din.data(), nullptr, 1);
  EXPECT_EQ(in, din);
}

// Finite-difference checks of every layer, with odd sizes and several
// strides/paddings.
struct Case {
  std::string name;
  std::vector<int> args;
  Dims in;
};

class LayerGrad : public ::testing::TestWithParam<Case> {};

TEST_P(LayerGrad, MatchesFiniteDifferences) {
  const Case& c = GetParam();
  auto layer = make_layer<double>(c.name, c.args);
  layer->configure(c.in);
  for (const auto& row : gradcheck_layer(*layer, 3, 42)) {
    EXPECT_LT(row.max_rel_error, kGradTolerance) << row.what;
    EXPECT_GT(row.checked, 0u) << row.what;
  }
}

INSTANTIATE_TEST_SUITE_P(
    All, LayerGrad,
    ::testing::Values(Case{"conv", {4, 5}, {1, 12, 12}}, Case{"conv", {3, 3}, {2, 7, 9}},
                      Case{"conv", {2, 3, 2}, {3, 9, 8}}, Case{"conv", {2, 3, 1, 1}, {2, 5, 5}},
                      Case{"conv", {5, 7, 2, 3}, {1, 9, 9}}, Case{"relu", {}, {3, 4, 5}},
                      Case{"maxpool", {2}, {2, 8, 8}}, Case{"maxpool", {3, 2}, {2, 7, 9}},
                      Case{"maxpool", {2}, {1, 5, 7}}, Case{"flatten", {}, {2, 3, 3}},
                      Case{"linear", {7}, {13}}, Case{"linear", {1}, {1}},
                      Case{"identity", {}, {6}}),
    [](const auto& info) { return info.param.name + std::to_string(info.index); });

// The checker itself must fail on a wrong gradient: a layer whose backward
// has a flipped sign in its input gradient is caught.
template <class T>
class SignFlippedLinear final : public Layer<T> {
 public:
  SignFlippedLinear() : inner_(3) {}
  std::string spec() const override { return "broken"; }
  Dims configure(const Dims& in) override {
    this->in_ = in;
    this->out_ = inner_.configure(in);
    return this->out_;
  }
  std::vector<ParamShape> param_shapes() const override { return inner_.param_shapes(); }
  void forward(const T* p, const T* in, T* out, int n) const override {
    inner_.forward(p, in, out, n);
  }
  void backward(const T* p, const T* in, const T* out, const T* dout, T* din, T* dp,
                int n) const override {
    inner_.backward(p, in, out, dout, din, dp, n);
    din[0] = -din[0];
  }

 private:
  Linear<T> inner_;
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
